"""Serving on the session model: franchise folding, filters, popularity order, bad queries, autocomplete.

These run against real trained embeddings (2 epochs on the fixture), so the assertions are about
invariants the serving code guarantees, plus a few neighbourhoods any content model must get right
(seasons of one show are nearer to each other than to anything else).
"""

from __future__ import annotations

import pytest

from recommender.matching import MAX_QUERY_LENGTH
from recommender.ranking.channels import NOT_GENRES
from recommender.serving import QueryError, Recommender, UnknownTitleError

QUERIES = ["Outer Banks: Season 1", "Stranger Things", "The Walking Dead: Season 3", "Gilmore Girls: Season 2",
           "The Glory", "Wednesday", "Squid Game", "The Night Agent"]


@pytest.fixture(scope="module")
def rec(session_recommender: Recommender) -> Recommender:
    return session_recommender


# -- franchise folding ---------------------------------------------------------------------------


@pytest.mark.parametrize("query", QUERIES)
def test_one_entry_per_franchise_and_never_the_query_franchise(rec: Recommender, query: str) -> None:
    result = rec.recommend(query, k=20)
    keys = [r.item.franchise_key for r in result.items]
    assert len(result.items) == 20
    assert len(set(keys)) == len(keys), keys
    assert result.query.franchise_key not in keys
    assert [r.rank for r in result.items] == list(range(1, 21))
    scores = [r.score for r in result.items]
    assert scores == sorted(scores, reverse=True) and all(-1.0001 <= s <= 1.0001 for s in scores)
    assert all(r.reason for r in result.items)
    assert result.model_version == rec.version


@pytest.mark.parametrize(("query", "siblings"), [
    ("Outer Banks: Season 1", {"Outer Banks: Season 2", "Outer Banks: Season 3"}),
    ("Gilmore Girls: Season 2", {f"Gilmore Girls: Season {n}" for n in (1, 3, 4, 5, 6, 7)}),
    ("Stranger Things 4", {"Stranger Things", "Stranger Things 2", "Stranger Things 3"}),
])
def test_include_franchise_puts_other_seasons_first(rec: Recommender, query: str, siblings: set[str]) -> None:
    result = rec.recommend(query, k=len(siblings) + 3, include_franchise=True)
    titles = [r.item.title for r in result.items]
    assert set(titles[: len(siblings)]) == siblings, titles
    assert result.query.title not in titles  # never the query itself
    assert "same franchise" in result.items[0].reason


def test_the_why_line_names_kinds_of_title_not_where_they_are_from(rec: Recommender) -> None:
    """`international` or `korean` shared by two Korean dramas is not a reason (the genre channel ignores them)."""
    reasons = [r.reason for q in ("The Glory", "Money Heist", "Squid Game") for r in rec.recommend(q, k=10).items]
    named = [g for reason in reasons if "shared genres: " in reason
             for g in reason.split("shared genres: ")[1].split(";")[0].split(", ")]
    assert named and not set(named) & NOT_GENRES, named


# -- filters and ordering ------------------------------------------------------------------------


def test_language_and_type_filters(rec: Recommender) -> None:
    korean = rec.recommend("Wednesday", k=10, language="korean")  # case-insensitive
    assert len(korean.items) == 10 and {r.item.language for r in korean.items} == {"Korean"}
    movies = rec.recommend("The Glory", k=10, content_type="Movie")
    assert {r.item.content_type for r in movies.items} == {"Movie"}
    both = rec.recommend("Wednesday", k=30, language="Korean", content_type="Show")
    assert both.items and all((r.item.language, r.item.content_type) == ("Korean", "Show") for r in both.items)
    assert len({r.item.franchise_key for r in both.items}) == len(both.items)
    # A filter with fewer matches than k returns what there is, not padding.
    hindi = rec.recommend("Wednesday", k=100, language="Hindi")
    assert 0 < len(hindi.items) <= 8 and {r.item.language for r in hindi.items} == {"Hindi"}
    with pytest.raises(QueryError, match="Unknown language `Klingon`; choose one of Arabic, Chinese, English"):
        rec.recommend("Wednesday", language="Klingon")
    with pytest.raises(QueryError, match="Unknown type"):
        rec.recommend("Wednesday", content_type="Podcast")
    # The report's labels, and the original languages its English/Non-English labels hid (`languages`).
    assert {"English", "Hindi", "Japanese", "Korean", "Non-English", "Spanish", "French"} < set(rec.languages)
    assert rec.languages == sorted(rec.languages)
    assert rec.content_types == ["Movie", "Show"]


@pytest.mark.parametrize("query", ["Wednesday", "The Glory", "Outer Banks"])
def test_by_popularity_reorders_the_nearest_titles_by_hours(rec: Recommender, query: str) -> None:
    nearest = rec.recommend(query, k=50)
    popular = rec.recommend(query, k=10, by_popularity=True)
    hours = [r.item.hours_viewed for r in popular.items]
    assert hours == sorted(hours, reverse=True)
    pool = sorted(nearest.items, key=lambda r: -r.item.hours_viewed)
    assert [r.item.item_id for r in popular.items] == [r.item.item_id for r in pool[:10]]
    assert [r.item.item_id for r in popular.items] != [r.item.item_id for r in nearest.items[:10]]
    assert [r.rank for r in popular.items] == list(range(1, 11))


@pytest.mark.parametrize("k", [0, -1, 101])
def test_k_out_of_range(rec: Recommender, k: int) -> None:
    with pytest.raises(QueryError, match="k must be between 1 and 100"):
        rec.recommend("Wednesday", k=k)


def test_query_by_item_id(rec: Recommender) -> None:
    by_title = rec.recommend("The Night Agent", k=5)
    by_id = rec.recommend(by_title.query.item_id, k=5)
    assert [r.item for r in by_id.items] == [r.item for r in by_title.items]
    with pytest.raises(QueryError, match="No title has id 999999"):
        rec.recommend(999999)


# -- title resolution ----------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "message"), [
    ("", "Type a show or movie title"),
    ("   \t\n", "Type a show or movie title"),
    ("x" * 6000, "6,000 characters long; titles are at most 200"),
    ("🎬🍿🎥", "no letters or digits"),
    ("!!! ??? ...", "no letters or digits"),
])
def test_garbage_queries_get_a_user_message(rec: Recommender, query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message) as caught:
        rec.recommend(query)
    assert not isinstance(caught.value, UnknownTitleError)
    with pytest.raises(QueryError):
        rec.resolve(query)


def test_sql_and_nonsense_are_unknown_titles_without_candidates(rec: Recommender) -> None:
    for query in ("Robert'); DROP TABLE items;--", "xqzzy plomb vvv"):
        with pytest.raises(UnknownTitleError, match="No title resembles") as caught:
            rec.recommend(query)
        assert caught.value.resolution.candidates == []
    assert len(rec) == 686  # nothing happened to the catalog


def test_unknown_title_offers_did_you_mean(rec: Recommender) -> None:
    with pytest.raises(UnknownTitleError, match="Did you mean `Wednesday: Season 1`") as caught:
        rec.recommend("wendesday adams")
    resolution = caught.value.resolution
    assert not resolution.confident and resolution.candidates
    assert resolution.candidates[0].item.title == "Wednesday: Season 1"
    scores = [c.score for c in resolution.candidates]
    assert scores == sorted(scores, reverse=True) and scores[0] < 85


@pytest.mark.parametrize(("query", "title"), [
    ("strnger thngs", "Stranger Things 4"),  # a franchise name: its most watched entry (issue 10)
    ("STRANGER THINGS", "Stranger Things 4"),
    ("outer banks", "Outer Banks: Season 3"),  # a show without its season: the most watched season
    ("더 글로리", "The Glory: Season 1 // 더 글로리: 시즌 1"),  # the original-language title
    ("the glory season 1", "The Glory: Season 1 // 더 글로리: 시즌 1"),
    ("squid gam", "Squid Game: Season 1 // 오징어 게임: 시즌 1"),
    ("  Wednesday  ", "Wednesday: Season 1"),
])
def test_resolution_of_realistic_queries(rec: Recommender, query: str, title: str) -> None:
    resolution = rec.resolve(query)
    assert resolution.confident and resolution.item.title == title, resolution
    assert rec.recommend(query, k=3).query.title == title


def test_query_at_the_length_limit_is_accepted(rec: Recommender) -> None:
    with pytest.raises(UnknownTitleError):
        rec.recommend("z" * MAX_QUERY_LENGTH)


# -- autocomplete --------------------------------------------------------------------------------


def test_autocomplete_finds_prefixes(rec: Recommender) -> None:
    assert rec.autocomplete("wedn")[0].title == "Wednesday: Season 1"
    assert [i.title for i in rec.autocomplete("outer b")[:3]] == [
        "Outer Banks: Season 3", "Outer Banks: Season 1", "Outer Banks: Season 2"]  # most watched first
    assert rec.autocomplete("더 글")[0].title.startswith("The Glory")
    for n in range(5, len("stranger things") + 1):
        titles = [i.title for i in rec.autocomplete("stranger things"[:n])]
        assert "Stranger Things" in titles, (n, titles)


@pytest.mark.parametrize("prefix", ["", " ", "s", "the", "a", "x" * 6000, "🎬", "zzzzqqq"])
@pytest.mark.parametrize("limit", [25, 100, 5])
def test_autocomplete_stays_within_discord_limit(rec: Recommender, prefix: str, limit: int) -> None:
    items = rec.autocomplete(prefix, limit=limit)
    assert len(items) <= min(limit, 25)
    assert len({i.item_id for i in items}) == len(items)
    if prefix.strip() in ("", "🎬") or len(prefix) > MAX_QUERY_LENGTH:
        # Nothing usable typed yet: the most watched titles, so the menu is never empty.
        assert len(items) == min(limit, 25)
        hours = [i.hours_viewed for i in items]
        assert hours == sorted(hours, reverse=True)


def test_excluded_titles_are_never_listed_and_the_list_stays_full(rec: Recommender) -> None:
    """The seen-marks hook: excluded ids disappear, the next titles move up, unknown ids are ignored."""
    before = rec.recommend("Wednesday", k=10)
    excluded = {before.items[0].item.item_id, before.items[3].item.item_id, 10**9}
    after = rec.recommend("Wednesday", k=10, exclude_ids=excluded)
    ids = [r.item.item_id for r in after.items]
    assert len(ids) == 10 and not excluded & set(ids)
    kept = [r.item.item_id for r in before.items if r.item.item_id not in excluded]
    assert ids[: len(kept)] == kept  # the rest keep their order
