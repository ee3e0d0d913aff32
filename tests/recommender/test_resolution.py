"""Title resolution over the full bundled catalog: the public query set, the issue's examples,
franchise notes, ties, filters and autocomplete, on the real serving code."""

from __future__ import annotations

from collections import Counter

import pytest

from recommender.matching import CONFIDENT_SCORE, loose_form, match_form, split_number_phrase
from recommender.serving import Recommender, Resolution, UnknownTitleError
from tests.resolution_catalog import (
    FILM_WITH_SEQUEL,
    MUST_NOT,
    SHARED_NAME,
    films_with_sequels,
    full_catalog_recommender,
    load_title_queries,
    sequel_film_queries,
)

pytestmark = pytest.mark.slow  # the title fixture over the full catalog


@pytest.fixture(scope="module")
def rec() -> Recommender:
    return full_catalog_recommender()


def resolve(rec: Recommender, query: str, **filters: str) -> Resolution:
    return rec.resolve(query, **filters)


# -- the public query set ------------------------------------------------------------------------


def test_query_set_is_large_and_names_real_titles(rec: Recommender) -> None:
    queries = load_title_queries()
    assert len(queries) >= 300
    titles = {item.title for item in (rec.item(int(i)) for i in rec.items["item_id"])}
    assert all(q.expected in titles for q in queries if q.kind != MUST_NOT)
    kinds = Counter(q.kind for q in queries)
    assert {"exact", "misspelling", "original-script", "accent", "punctuation", "prefix/containment",
            "season-number", "franchise", "ambiguity-by-popularity", "filter", MUST_NOT, FILM_WITH_SEQUEL,
            SHARED_NAME} <= set(kinds)
    assert kinds[MUST_NOT] >= 30


def test_query_set_holds_every_film_with_a_sequel_as_generated_from_the_catalog(rec: Recommender) -> None:
    generated = sequel_film_queries(rec.items)
    queries = load_title_queries()
    assert all(q in queries for q in generated)  # regenerate with `python -m tests.resolution_catalog`
    assert [q for q in queries if q.kind == FILM_WITH_SEQUEL] == [q for q in generated if q.kind == FILM_WITH_SEQUEL]


def test_query_set_resolves_to_the_expected_titles(rec: Recommender) -> None:
    queries = load_title_queries()
    wrong, confident_garbage = [], []
    for q in queries:
        resolution = resolve(rec, q.query, **q.filters)
        if q.kind == MUST_NOT:
            if resolution.confident:
                confident_garbage.append((q.query, resolution.item.title if resolution.item else None))
        elif not (resolution.confident and resolution.item is not None and resolution.item.title == q.expected):
            wrong.append((q.kind, q.query, resolution.item.title if resolution.item else None, q.expected))
    assert confident_garbage == []
    resolvable = sum(q.kind != MUST_NOT for q in queries)
    assert 1 - len(wrong) / resolvable >= 0.98, wrong


# -- the issue's examples ------------------------------------------------------------------------

ISSUE_EXAMPLES = [
    ("Glass Onion", "Glass Onion: A Knives Out Mystery"),
    ("pokemon", "Pokémon The Series: Indigo League: Season 1 // ポケットモンスター"),
    ("amelie", "Amélie // Le fabuleux destin d'Amélie Poulain"),
    ("harry potter", "Harry Potter and the Sorcerer's Stone"),
    ("demon slayer",
     "Demon Slayer: Kimetsu no Yaiba: Tanjiro Kamado, Unwavering Resolve Arc // 鬼滅の刃: 竈門炭治郎 立志編"),
    ("night agent", "The Night Agent: Season 1"),
    ("queen charlotte", "Queen Charlotte: A Bridgerton Story"),
    ("dahmer", "DAHMER: Monster: The Jeffrey Dahmer Story"),
    ("baby shark", "Baby Shark's Big Show!: Season 1"),
    ("lockwood and co", "Lockwood & Co.: Season 1"),
    ("locke and key", "Locke & Key: Season 1"),
    ("stranger things season 4", "Stranger Things 4"),
    ("Kingdom", "Kingdom: Season 1 // 킹덤: 시즌 1"),
    ("witcher", "The Witcher: Season 3"),
    ("strnger thngs", "Stranger Things 4"),
    ("wensday", "Wednesday: Season 1"),
    ("더 글로리", "The Glory: Season 1 // 더 글로리: 시즌 1"),
    ("進撃の巨人", "Attack on Titan: Season 1 // 進撃の巨人: シーズン1"),
]


@pytest.mark.parametrize(("query", "title"), ISSUE_EXAMPLES)
def test_issue_examples_resolve(rec: Recommender, query: str, title: str) -> None:
    resolution = rec.resolve(query)
    assert resolution.confident, resolution
    assert resolution.item is not None and resolution.item.title == title
    assert rec.recommend(query, k=3).query.title == title


def test_kingdom_with_a_language_filter_can_mean_only_the_korean_series(rec: Recommender) -> None:
    korean = rec.resolve("Kingdom", language="korean")  # filters are matched case-insensitively
    assert korean.confident and korean.item is not None and korean.item.title == "Kingdom: Season 1 // 킹덤: 시즌 1"
    japanese = rec.resolve("Kingdom", language="Japanese")
    assert japanese.item is not None and japanese.item.language == "Japanese"
    # recommend() hands its filters to resolution too
    assert rec.recommend("Kingdom", k=3, language="Japanese").query.language == "Japanese"
    assert rec.recommend("Kingdom", k=3, language="Korean").query.title == "Kingdom: Season 1 // 킹덤: 시즌 1"


def test_witcher_is_not_the_watcher(rec: Recommender) -> None:
    resolution = rec.resolve("witcher")
    assert resolution.item is not None and resolution.item.franchise_key == "the witcher"
    assert "Watcher (2022)" not in [c.item.title for c in resolution.candidates[:3]]


def test_a_filter_that_matches_nothing_still_resolves_the_title(rec: Recommender) -> None:
    resolution = rec.resolve("Wednesday", language="Korean")
    assert resolution.confident and resolution.item is not None and resolution.item.title == "Wednesday: Season 1"


# -- franchise answers and notes -----------------------------------------------------------------


@pytest.mark.parametrize(("query", "title"), [
    ("stranger things", "Stranger Things 4"),
    ("bridgerton", "Bridgerton: Season 1"),
])
def test_bare_franchise_names_use_the_most_watched_entry_and_say_so(rec: Recommender, query: str, title: str) -> None:
    resolution = rec.resolve(query)
    assert resolution.confident and resolution.item is not None and resolution.item.title == title
    assert resolution.note is not None
    assert resolution.note.startswith(f"{query} — using {title} (most watched)")
    assert resolution.note.endswith("; type the full title for another")  # no "in the list": the CLI shows none
    others = {c.item.title for c in resolution.candidates[1:]}
    assert others and all(rec.resolve(t).item.franchise_key == resolution.item.franchise_key  # type: ignore[union-attr]
                          for t in others)


def test_an_exact_single_title_needs_no_note(rec: Recommender) -> None:
    resolution = rec.resolve("Stranger Things 4")
    assert resolution.confident and resolution.note is None and resolution.ambiguity_reason is None


def test_season_not_in_the_catalog_is_a_did_you_mean_with_the_work(rec: Recommender) -> None:
    resolution = rec.resolve("wednesday season 7")
    assert not resolution.confident
    assert resolution.item is not None and resolution.item.title == "Wednesday: Season 1"
    assert resolution.note is not None and "season 7" in resolution.note
    with pytest.raises(UnknownTitleError, match="Did you mean `Wednesday: Season 1`"):
        rec.recommend("wednesday season 7")


def test_resolution_keeps_its_old_shape(rec: Recommender) -> None:
    old_style = Resolution("x", rec.resolve("Wednesday").item, 100.0, [])
    assert old_style.confident and old_style.note is None and old_style.ambiguity_reason is None
    assert not Resolution("x", old_style.item, CONFIDENT_SCORE - 1, []).confident
    assert not Resolution("x", old_style.item, 100.0, [], ambiguity_reason="tie").confident


# -- a film's own title, and works sharing a name ------------------------------------------------


def test_every_film_with_a_sequel_typed_exactly_is_that_film_not_a_sequel(rec: Recommender) -> None:
    """Each film T of the catalog whose `T 2`/`T II`/`T Part 2`... is in it too, typed in lower case:
    T itself, or, where other works carry exactly that name and are watched more (`Don (2022)` for
    `don`), the most watched of them with T offered as an alternative; never one of its sequels."""
    sequels = films_with_sequels(rec.items)
    wrong = []
    for (film, its_sequels), row in zip(sorted(sequels.items()), sequel_film_queries(rec.items), strict=True):
        resolution = rec.resolve(row.query)
        got = resolution.item.title if resolution.item else None
        offered = [m.item.title for m in resolution.alternatives]
        if not (resolution.confident and got == row.expected and got not in its_sequels
                and (got == film or film in offered)):
            wrong.append((row.query, got, offered))
    assert len(sequels) >= 200 and wrong == []


@pytest.mark.parametrize(("query", "title"), [
    ("extraction", "Extraction"), ("enola holmes", "Enola Holmes"), ("john wick", "John Wick"),
    ("extraction 2", "Extraction 2"), ("enola holmes two", "Enola Holmes 2"), ("extraction part 2", "Extraction 2"),
    ("extraction ii", "Extraction 2"),
])
def test_a_sequel_only_when_asked_for(rec: Recommender, query: str, title: str) -> None:
    resolution = rec.resolve(query)
    assert resolution.confident and resolution.item is not None and resolution.item.title == title


def test_an_exact_film_title_with_sequels_needs_no_note(rec: Recommender) -> None:
    resolution = rec.resolve("enola holmes")
    assert resolution.note is None and resolution.alternatives == []
    assert [c.item.title for c in resolution.candidates] == ["Enola Holmes", "Enola Holmes 2"]


def test_a_spelt_out_number_that_is_no_sequel_stays_a_title(rec: Recommender) -> None:
    assert split_number_phrase("rogue two") == ("rogue", [("word", 2)])
    resolution = rec.resolve("wednesday two")  # no second season: no "not in the catalog" answer
    assert resolution.note is None or "in the catalog" not in resolution.note


@pytest.mark.parametrize(("query", "title", "kind", "others"), [
    ("One Piece", "ONE PIECE: Season 1", "English show", ["ONE PIECE: East Blue // ワンピース: イーストブルー編"]),
    ("Kingdom", "Kingdom: Season 1 // 킹덤: 시즌 1", "Korean show", ["Kingdom: Series 1 // キングダム: 第1シリーズ"]),
    ("extraction", "Extraction", "English film", ["Extraction (2015)"]),
    ("noise", "Noise", "English film", ["Noise // Ruido", "Noise // ノイズ"]),
])
def test_works_sharing_a_name_answer_the_most_watched_and_offer_the_others(
        rec: Recommender, query: str, title: str, kind: str, others: list[str]) -> None:
    resolution = rec.resolve(query)
    assert resolution.confident and resolution.item is not None and resolution.item.title == title
    assert [m.item.title for m in resolution.alternatives] == others
    hours = [resolution.item.hours_viewed] + [m.item.hours_viewed for m in resolution.alternatives]
    assert hours == sorted(hours, reverse=True)
    assert [c.item.title for c in resolution.candidates[:len(others) + 1]] == [title, *others]
    assert resolution.note is not None
    assert resolution.note.startswith(f"{query} — using {title} ({kind}, most watched of {len(others) + 1} works")


@pytest.mark.parametrize(("query", "title"), [("Dark", "Dark: Season 1"), ("You", "You: Season 4")])
def test_a_show_name_of_one_work_keeps_its_most_watched_season(rec: Recommender, query: str, title: str) -> None:
    resolution = rec.resolve(query)
    assert resolution.confident and resolution.item is not None and resolution.item.title == title
    assert resolution.alternatives == [] and resolution.note is not None and "(most watched)" in resolution.note


def test_a_filter_decides_between_works_of_one_name(rec: Recommender) -> None:
    anime = rec.resolve("One Piece", language="Japanese")
    assert anime.confident and anime.item is not None and anime.item.language == "Japanese"
    assert anime.alternatives == []
    film = rec.resolve("the forest", content_type="Movie")
    assert film.item is not None and film.item.title == "The Forest (2016)"


# -- did you mean, and why -----------------------------------------------------------------------


def test_one_word_inside_many_titles_is_a_did_you_mean_with_a_reason(rec: Recommender) -> None:
    resolution = rec.resolve("lockwood")
    assert not resolution.confident
    assert resolution.candidates[0].item.title == "Lockwood & Co.: Season 1"
    assert resolution.ambiguity_reason is not None and "part of" in resolution.ambiguity_reason
    with pytest.raises(UnknownTitleError, match="could mean several titles"):
        rec.recommend("lockwood")


def test_one_word_inside_one_title_says_a_title_not_1_titles(rec: Recommender) -> None:
    resolution = rec.resolve("everyone")
    assert not resolution.confident
    assert resolution.ambiguity_reason == "`everyone` is only part of a title; type more of the one you mean"


def test_a_typo_between_two_equally_watched_works_is_a_tie_with_its_reason(rec: Recommender) -> None:
    # `kingdm` is one letter from both `The Kingdom` (2007, 15.4M hours) and the Korean `Kingdom`
    # (10.2M): neither is clearly ahead, so the user picks.
    resolution = rec.resolve("kingdm")
    assert not resolution.confident
    assert resolution.ambiguity_reason is not None and "about equally" in resolution.ambiguity_reason
    top_three = {c.item.title for c in resolution.candidates[:3]}
    assert {"The Kingdom (2007)", "Kingdom: Season 1 // 킹덤: 시즌 1"} <= top_three
    with pytest.raises(UnknownTitleError, match=r"could mean several titles.*Did you mean"):
        rec.recommend("kingdm")
    # the user's filter settles it
    korean = rec.resolve("kingdm", language="Korean")
    assert korean.confident and korean.item is not None and korean.item.title == "Kingdom: Season 1 // 킹덤: 시즌 1"
    # and a clearly more watched work wins a typo-level tie outright
    assert rec.resolve("wensday").confident


@pytest.mark.parametrize("query", ["qwertyuiop", "the sopranos", "game of thrones", "succession", "the wire"])
def test_titles_not_in_the_catalog_are_never_confident(rec: Recommender, query: str) -> None:
    assert not rec.resolve(query).confident


# -- query forms ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "form"), [
    ("Amélie", "amelie"), ("Pokémon", "pokemon"), ("Harry Potter and the Sorcerer's Stone",
                                                   "harry potter and the sorcerers stone"),
    ("더 글로리", "더 글로리"), ("進撃の巨人", "進撃の巨人"), ("がんばれ", "がんばれ"),  # kana keep their dakuten
])
def test_match_form_folds_latin_accents_only(text: str, form: str) -> None:
    assert match_form(text) == form


@pytest.mark.parametrize(("form", "loose"), [
    ("lockwood and co", "lockwood co"), ("the night agent season 1", "night agent season 1"),
    ("s w a t 2017 season 1", "swat 2017 season 1"), ("the the", "the the"),
])
def test_loose_form(form: str, loose: str) -> None:
    assert loose_form(form) == loose


@pytest.mark.parametrize(("form", "split"), [
    ("stranger things season 4", ("stranger things", [("season", 4)])),
    ("wednesday s2", ("wednesday", [("s", 2)])),
    ("stranger things season four", ("stranger things", [("season", 4)])),
    ("attack on titan season 3 part 2", ("attack on titan", [("part", 2), ("season", 3)])),
    ("rocky ii", ("rocky", [("any", 2)])),
    ("1917", ("1917", [])),
    ("blade runner 2049", ("blade runner 2049", [])),
])
def test_split_number_phrase(form: str, split: tuple[str, list[tuple[str, int]]]) -> None:
    assert split_number_phrase(form) == split


# -- autocomplete --------------------------------------------------------------------------------


def test_autocomplete_lists_franchises_before_their_seasons(rec: Recommender) -> None:
    titles = [i.title for i in rec.autocomplete("stranger")]
    assert titles[0] == "Stranger Things 4"
    first_other_season = titles.index("Stranger Things")
    franchises_before = {rec.resolve(t).item.franchise_key for t in titles[:first_other_season]}  # type: ignore[union-attr]
    assert len(franchises_before) == first_other_season  # one entry per franchise up to there
    assert {"Stranger Things 2", "Stranger Things 3"} <= set(titles)


@pytest.mark.parametrize(("prefix", "first"), [
    ("glass on", "Glass Onion: A Knives Out Mystery"),
    ("pokem", "Pokémon The Series: Indigo League: Season 1 // ポケットモンスター"),
    ("night ag", "The Night Agent: Season 1"),
    ("더 글", "The Glory: Season 1 // 더 글로리: 시즌 1"),
    ("lockwood and", "Lockwood & Co.: Season 1"),
    ("onion", "Glass Onion: A Knives Out Mystery"),
])
def test_autocomplete_finds_what_people_start_typing(rec: Recommender, prefix: str, first: str) -> None:
    items = rec.autocomplete(prefix)
    assert items and items[0].title == first, [i.title for i in items[:5]]
    assert len(items) <= 25 and len({i.item_id for i in items}) == len(items)
