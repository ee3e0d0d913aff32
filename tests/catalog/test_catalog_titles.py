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
        # arcs of one work fold to it (English `Arc` suffix, or an arc/season marker in the original title)
        ("ONE PIECE: East Blue // ワンピース: イーストブルー編", "one piece"),
        ("ONE PIECE: Whole Cake Island ③ // ワンピース: ホールケーキアイランド編③", "one piece"),
        ("ONE PIECE: 406/407 // ワンピース: 第406～407話", "one piece"),
        ("ONE PIECE: Season 1", "one piece"),
        ("Demon Slayer: Kimetsu no Yaiba: Swordsmith Village Arc // 鬼滅の刃: 刀鍛冶の里編", "demon slayer"),
        ("Magi: The Kingdom of Magic // マギ: 第2期", "magi"),
        # parts and final seasons
        ("Attack on Titan: The Final Season Part 3 // 進撃の巨人: ファイナルシーズン パート3", "attack on titan"),
        ("Attack on Titan: Season 3 Part 1 // 進撃の巨人: シーズン3 パート1", "attack on titan"),
        ("Attack on Titan: Season 1 // 進撃の巨人: シーズン1", "attack on titan"),
        ("Cable Girls: Final Season: Part 1 // Las chicas del cable: Temporada final: Parte 1", "cable girls"),
        ("Pokémon Horizons: The Series: Part1 // ポケットモンスター リコとロイの旅立ち: Part1", "pokémon horizons"),
        ("Jack Irish: The Series: Season 2", "jack irish"),
        ("The Witcher Bestiary Season 1, Part 2", "the witcher bestiary"),
        # numbered sequels with a subtitle
        ("Hotel Transylvania 3: Summer Vacation", "hotel transylvania"),
        ("Terminator 2: Judgment Day", "terminator"),
        # ... but names that hold a number or a colon stay whole
        ("Formula 1: Drive to Survive: Season 5", "formula 1 drive to survive"),
        ("Apollo 17: The Untold Story of the Last Men", "apollo 17 the untold story of the last men"),
        ("Open Season 2", "open season"),
        ("Re:ZERO -Starting Life in Another World- Director's Cut: Season 2 // "
         "Re:ゼロから始める異世界生活 新編集版: Re:ゼロから始める異世界生活 2nd season",
         "re zero starting life in another world director s cut"),  # `Re:` is not an arc's colon
        ("Glass Onion: A Knives Out Mystery", "glass onion a knives out mystery"),
        ("American Pie Presents: The Book of Love", "american pie presents the book of love"),
        # a number after words that name no work is part of the name
        ("The 43: Season 1 // Los días de Ayotzinapa: Temporada 1", "the 43"),
        ("Movie 43", "movie 43"),
        ("This Is 40", "this is 40"),
        ("Back to 15: Season 2 // De Volta aos 15: Temporada 2", "back to 15"),
        ("Korea No.1: Season 1 // 코리아 넘버원: 시즌 1", "korea no 1"),
        ("The Number 23", "the number 23"),
        # a number past any sequel's is part of the name, unless it numbers a season
        ("Case 39", "case 39"),
        ("Area 51", "area 51"),
        ("Unit 42: Season 2 // Unité 42: Saison 2", "unit 42"),
        ("Storm of Love: Staffel 16 // Sturm der Liebe: Staffel 16", "storm of love staffel"),
        # a number past any sequel's is part of the name
        ("Case 39", "case 39"),
        ("Area 51", "area 51"),
        ("Mile 22", "mile 22"),
        ("Part 2: The Return", "part 2 the return"),
        ("Project A 2 // A計劃續集 // A 计划续集", "project a"),  # `Project A` is a film's name
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


def test_fold_accents_only_on_latin_letters() -> None:
    assert t.fold_accents("naruto shippûden") == "naruto shippuden"
    assert t.fold_accents("merlí sapere aude") == "merli sapere aude"
    assert t.fold_accents("ガンダム") == "ガンダム"  # the voicing mark is part of the letter
    assert t.fold_accents("더 글로리") == "더 글로리"
