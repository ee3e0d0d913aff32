"""Matching a library to the catalog, and ranking among one server's titles (catalog and extra)."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.content_type import MOVIE, SHOW
from recommender.library import EXTRA_ID_BASE, ExtraTitle, LibraryScope, LibraryTitle, ServerLibrary, match_library
from recommender.library.match import match_title
from recommender.serving import Recommender


def test_matching_by_name_year_and_type(session_recommender: Recommender) -> None:
    rec = session_recommender
    wednesday = rec.resolve("Wednesday").item
    assert wednesday is not None
    exact = match_title(rec, LibraryTitle("Wednesday", 2022, SHOW))
    assert exact.item == wednesday and exact.doubt is None
    typo = match_title(rec, LibraryTitle("Wendesday", 2022, SHOW))
    assert typo.item == wednesday and typo.doubt == "approximate title"
    remake = match_title(rec, LibraryTitle("Wednesday", 1990, SHOW))  # same name, another work
    assert remake.item is None
    invented = match_title(rec, LibraryTitle("Quiet Harbour Accounts", 1999, MOVIE))
    assert invented.item is None
    outcome = match_library(rec, [exact.entry, typo.entry, remake.entry, invented.entry])
    assert (len(outcome.matched), len(outcome.doubtful), len(outcome.missing)) == (1, 1, 2)
    assert outcome.item_ids == [wednesday.item_id]


def _extra(title: str, maturity: str, *, genres: str = "comedy, fantasy", year: int = 2022) -> ExtraTitle:
    certification = {"kids": "TV-Y", "adult": "TV-MA", "unknown": ""}[maturity]
    return ExtraTitle(title, year, SHOW, "English", genres, certification, maturity)


@pytest.fixture(scope="module")
def library(session_recommender: Recommender) -> tuple[LibraryScope, list[int]]:
    rec = session_recommender
    rng = np.random.default_rng(7)
    ids = sorted(int(i) for i in rng.choice(len(rec), size=120, replace=False))
    wednesday = rec.resolve("Wednesday").item
    assert wednesday is not None
    ids.append(wednesday.item_id)
    extras = (_extra("Kids Extra", "kids"), _extra("Unknown Extra", "unknown"), _extra("Adult Extra", "adult"))
    vectors = rec.embeddings[[wednesday.item_id] * 3].copy()  # as close to Wednesday as a title can be
    return LibraryScope(rec, ServerLibrary(frozenset(ids), extras, vectors)), ids


def test_library_lists_hold_only_the_servers_titles(library: tuple[LibraryScope, list[int]],
                                                    session_recommender: Recommender) -> None:
    scope, _ = library
    query = session_recommender.resolve("Stranger Things").item
    assert query is not None
    result = scope.recommend(query.item_id, 20)
    assert len(result.items) == 20
    assert all(scope.has(r.item.item_id) for r in result.items)
    assert not scope.has(next(i for i in range(len(session_recommender)) if i not in set(scope.rows.tolist())))
    scores = [r.score for r in result.items]
    assert scores == sorted(scores, reverse=True) or result.query.maturity in ("kids", "family")


def test_an_extra_made_like_the_query_ranks_high(library: tuple[LibraryScope, list[int]],
                                                 session_recommender: Recommender) -> None:
    scope, _ = library
    wednesday = session_recommender.resolve("Wednesday").item
    assert wednesday is not None
    result = scope.recommend(wednesday.item_id, 10, family_safe=False)
    extras = [r for r in result.items if r.item.item_id >= EXTRA_ID_BASE]
    assert extras and extras[0].rank <= 5, [(r.item.title, r.score) for r in result.items]


def test_kids_lists_never_get_unknown_or_adult_library_titles(library: tuple[LibraryScope, list[int]],
                                                              session_recommender: Recommender) -> None:
    scope, _ = library
    rec = session_recommender
    kids = [r for r in range(len(rec)) if rec.ranker.maturity[r] == "kids"]
    assert kids
    for row in kids[:5]:
        items = scope.recommend(rec.item(row).item_id, 30).items
        assert all(r.item.maturity not in ("adult", "unknown") for r in items), [r.item for r in items]
    safe = scope.recommend(rec.resolve("Wednesday").item.item_id, 30, family_safe=True).items  # type: ignore[union-attr]
    assert all(r.item.maturity not in ("adult", "unknown") for r in safe)
    unknown_query = next(r for r in range(len(rec)) if rec.ranker.maturity[r] == "unknown")
    listed = scope.recommend(rec.item(unknown_query).item_id, 30).items
    assert "Adult Extra" not in {r.item.title for r in listed}


def test_filters_and_exclusions_apply_to_extra_titles(library: tuple[LibraryScope, list[int]],
                                                      session_recommender: Recommender) -> None:
    scope, _ = library
    wednesday = session_recommender.resolve("Wednesday").item
    assert wednesday is not None
    films = scope.recommend(wednesday.item_id, 10, content_type=MOVIE).items
    assert films and all(r.item.content_type == MOVIE for r in films)
    everything = scope.recommend(wednesday.item_id, 30).items
    extra_ids = [r.item.item_id for r in everything if r.item.item_id >= EXTRA_ID_BASE]
    assert extra_ids
    again = scope.recommend(wednesday.item_id, 30, exclude_ids=extra_ids).items
    assert not set(extra_ids) & {r.item.item_id for r in again}


def test_whole_catalog_lists_take_the_servers_own_titles_where_they_rank(
        library: tuple[LibraryScope, list[int]], session_recommender: Recommender) -> None:
    scope, _ = library
    wednesday = session_recommender.resolve("Wednesday").item
    assert wednesday is not None
    catalog = session_recommender.recommend(wednesday.item_id, 10)
    merged = scope.with_extras(catalog, 10)
    extras = [r.item.title for r in merged.items if r.item.item_id >= EXTRA_ID_BASE]
    assert extras and "Kids Extra" in extras
    kept = [r.item.item_id for r in merged.items if r.item.item_id < EXTRA_ID_BASE]
    assert kept == [r.item.item_id for r in catalog.items][:len(kept)]  # the catalog's order is untouched
    assert [r.rank for r in merged.items] == list(range(1, 11))
    assert scope.with_extras(catalog, 10, content_type=MOVIE).items == [  # no extra is a film: nothing merged
        *catalog.items]
