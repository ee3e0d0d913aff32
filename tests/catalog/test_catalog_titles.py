"""Unit tests for recommender.titles: the one normalisation every title comparison goes through."""

from __future__ import annotations

import unicodedata

import pytest

from recommender import titles as t


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ginny & Georgia", "ginny georgia"),
        ("  OUTER   Banks!! ", "outer banks"),
        ("Sex/Life: Season 2", "sex life season 2"),
        ("S.W.A.T.", "s w a t"),
        ("snake_case_title", "snake case title"),
        ("더 글로리: 시즌 1", "더 글로리 시즌 1"),            # Hangul kept, not stripped as punctuation
        ("弱虫ペダル GLORY LINE", "弱虫ペダル glory line"),   # Japanese kept too
        ("ＷＥＤＮＥＳＤＡＹ", "wednesday"),                  # full-width folds (NFKC)
        ("Straße", "strasse"),                                # casefold, not lower
        ("", ""),
        ("!!!", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert t.normalize(raw) == expected


def test_normalize_composed_and_decomposed_accents_agree() -> None:
    composed = "Amélie"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert t.normalize(composed) == t.normalize(decomposed) == "amélie"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("The Glory: Season 1 // 더 글로리: 시즌 1", ("The Glory: Season 1", "더 글로리: 시즌 1")),
        ("Wednesday: Season 1", ("Wednesday: Season 1", "")),
        ("A // B // C", ("A", "B // C")),           # only the first separator splits
        ("AC/DC Live", ("AC/DC Live", "")),          # a bare slash is not the separator
        ("  Padded  //  Gepolstert ", ("Padded", "Gepolstert")),
    ],
)
def test_split_alias(title: str, expected: tuple[str, str]) -> None:
    assert t.split_alias(title) == expected


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("Outer Banks: Season 2", "outer banks"),
        ("Stranger Things 4", "stranger things"),
        ("Stranger Things", "stranger things"),
        ("1917", "1917"),                         # a number that is the whole title stays
        ("2 Hearts", "2 hearts"),                 # leading number is not a sequel
        ("Rocky II", "rocky"),
        ("Rocky V", "rocky"),
        ("Rocky (1976)", "rocky"),
        ("Money Heist: Part 5 // La casa de papel: Parte 5", "money heist"),
        ("Money Heist: Part 5", "money heist"),
        ("Suits (2011): Season 1", "suits"),
        ("Kaleidoscope: Limited Series", "kaleidoscope"),
        ("Money Heist: From Tokyo to Berlin: Volume 2", "money heist from tokyo to berlin"),
        ("The Glory: Season 1 // 더 글로리: 시즌 1", "the glory"),
        ("Blade Runner 2049", "blade runner 2049"),  # 4 digits are not a sequel number
        ("Extraction 2", "extraction"),
    ],
)
def test_franchise_key(title: str, key: str) -> None:
    assert t.franchise_key(title) == key


def test_alias_key_and_year_in_title() -> None:
    assert t.alias_key("The Glory: Season 1 // 더 글로리: 시즌 1") == "더 글로리"
    assert t.alias_key("Wednesday: Season 1") == ""
    assert t.year_in_title("Suits (2011): Season 1") == 2011
    assert t.year_in_title("Chiquititas (2013)") == 2013
    assert t.year_in_title("1917") is None
    assert t.year_in_title("Room 2049 (3000)") is None   # not a plausible release year
    assert t.base_title("New Amsterdam (2018): Season 1 // Nuevo") == "New Amsterdam"


@pytest.mark.parametrize("title", ["22-Jul", "15-Aug", "Oct-01", "1-Oct", " 3-may ", "DEC-25"])
def test_looks_like_mangled_date(title: str) -> None:
    assert t.looks_like_mangled_date(title)


@pytest.mark.parametrize(
    "title", ["22 July", "15 August", "October 1", "Jul-22-2020", "May-December", "Oct-123", "Catch-22", ""]
)
def test_real_titles_are_not_mangled_dates(title: str) -> None:
    assert not t.looks_like_mangled_date(title)
