"""The ranking's rules on small catalogs built for each: era as a period, title words that need another
reason, hubs, the maturity ceiling (recommender/ranking/, docs/ranking-rules.md)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recommender.ranking.blend import PRIOR_WEIGHTS, BlendWeights
from recommender.ranking.channels import (
    CHANNELS,
    GATE_THIN,
    GATE_UNKNOWN,
    KIND_FLOOR,
    KIND_UNKNOWN,
    SHOW_QUERY_FACTORS,
    THIN_QUERY_FACTORS,
    TITLE_GATE_POWER,
    TONE_PENALTIES,
    Channels,
    load_tone_penalties,
    tone_table,
)
from recommender.ranking.hubs import MIN_HUB_QUERIES
from recommender.ranking.ranker import Ranker


def _items(rows: list[dict]) -> pd.DataFrame:
    items = pd.DataFrame(rows)
    for column, default in (("franchise_key", None), ("genres", ""), ("maturity", "unknown"), ("certification", "")):
        if column not in items:
            items[column] = default
    items["franchise_key"] = items["franchise_key"].fillna(items["title"].str.lower())
    return items


def test_shared_title_words_count_only_when_genres_or_people_agree() -> None:
    items = _items([
        {"title": "Stranger Things", "genres": "sci-fi, horror, tv mysteries"},
        {"title": "The Stranger", "genres": "crime, british"},  # a false friend: nothing else agrees
        {"title": "Stranger Things: Spotlight", "genres": "sci-fi, horror, tv mysteries"},  # agrees on genres
        {"title": "Stranger Danger", "genres": ""},  # no listing: the title match is all there is
        {"title": "Crime Scene", "genres": "crime, british"},
    ])
    channels = Channels.build(items, np.eye(5, dtype=np.float32))
    raw = channels._text_channel("title_words", np.array([0]), None)[0]
    gated = channels.channel("title_words", np.array([0]))[0]
    assert raw[1] > 0 and gated[1] == 0.0
    assert 0 < gated[2] <= raw[2] and gated[2] > 0.5 * raw[2]
    assert 0 < GATE_UNKNOWN < 1  # unknown genres: a shared name alone is half the evidence
    assert gated[3] == pytest.approx(GATE_UNKNOWN * raw[3])
    assert channels.channel("title_chars", np.array([0]))[0][1] == 0.0


def _hub_catalog(n: int = 160) -> tuple[pd.DataFrame, np.ndarray]:
    """n titles of distinct franchises; title 0 is watched by everyone and vaguely like everything."""
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(n, 8)).astype(np.float32)
    vectors[0] = vectors[1:].mean(0)  # the centre of the catalog: near every query
    items = _items([{"title": f"T{i}", "hours_viewed": (10**9 if i == 0 else 10**6 + n - i)} for i in range(n)])
    return items, vectors


def _hub_values(ranker: Ranker, query: int) -> np.ndarray:
    """The hub channel's values of every item for this query's kind."""
    return ranker.channels.channel("hub", np.array([query]))[0]


def test_a_title_in_every_list_pays_for_the_lists_it_fills() -> None:
    items, vectors = _hub_catalog()
    plain = Ranker(items, vectors, BlendWeights({"embedding": 1.0, "hours_viewed": 2.0}))
    lists = [plain.rank(q, 5)[0] for q in range(1, len(items))]
    assert sum(0 in chosen for chosen in lists) > 0.5 * len(lists)  # the hub, without the rule
    assert plain.hubs.values.nnz == 0  # no hub weight: the count does not even run
    ranker = Ranker(items, vectors, BlendWeights({"embedding": 1.0, "hours_viewed": 2.0, "hub": -3.0}))
    values = _hub_values(ranker, 1)
    assert values[0] == values.max() > 0.5
    assert np.count_nonzero(values) < 0.2 * len(items)  # a title in no more than its share of lists pays nothing
    lists = [ranker.rank(q, 5)[0] for q in range(1, len(items))]
    assert sum(0 in chosen for chosen in lists) < 0.2 * len(lists)


def test_a_hub_of_one_kind_of_list_pays_only_in_that_kind() -> None:
    """An anime that fills every anime list pays there, not in English films' lists (which it does not fill),
    and an English film that fills the films' lists pays there only."""
    rng = np.random.default_rng(1)
    n = 120
    vectors = rng.normal(size=(2 * n, 8)).astype(np.float32)
    anime_hub, film_hub = 0, n
    vectors[anime_hub] = vectors[1:n].mean(0)
    vectors[film_hub] = vectors[n + 1:].mean(0)
    rows = [{"title": f"A{i}", "language": "Japanese", "content_type": "Show", "hours_viewed": 10**6 + n - i}
            for i in range(n)]
    rows += [{"title": f"F{i}", "language": "English", "content_type": "Movie", "hours_viewed": 10**6 + n - i}
             for i in range(n)]
    rows[anime_hub]["hours_viewed"] = rows[film_hub]["hours_viewed"] = 10**9
    items = _items(rows)
    weights = {"embedding": 1.0, "hours_viewed": 2.0, "same_language": 5.0, "hub": -3.0}
    ranker = Ranker(items, vectors, BlendWeights(weights))
    anime_kind, film_kind = _hub_values(ranker, 1), _hub_values(ranker, n + 1)
    assert anime_kind[anime_hub] > 0.5 and film_kind[film_hub] > 0.5
    assert anime_kind[film_hub] == 0.0 and film_kind[anime_hub] == 0.0
    lists = [ranker.rank(q, 5)[0] for q in range(1, n)]
    assert sum(anime_hub in chosen for chosen in lists) < 0.2 * len(lists)


def test_lists_members_ask_for_weigh_more_in_the_count() -> None:
    """A title in the lists of the few most-watched queries only (under 5% of all lists) is a hub of what members
    open: each list counts by its title's hours viewed, no list for more than 5% of its kind."""
    items, vectors = _hub_catalog()
    n, popular = len(items), np.arange(1, 8)
    centre = vectors[popular].mean(0)
    vectors[popular] = centre + 0.2 * vectors[popular]
    vectors[0] = centre  # the hub: closest to the popular queries, far from the rest
    items = items.assign(hours_viewed=[10**8] + [10**8] * len(popular) + [10**3] * (n - 1 - len(popular)))
    plain = Ranker(items, vectors, BlendWeights({"embedding": 1.0}))
    filled = sum(0 in plain.rank(int(q), 5)[0] for q in popular)
    assert filled == len(popular) and sum(0 in plain.rank(q, 5)[0] for q in range(1, n)) < 0.05 * n
    ranker = Ranker(items, vectors, BlendWeights({"embedding": 1.0, "hub": -3.0}))
    assert _hub_values(ranker, 1)[0] > 0.3
    assert sum(0 in ranker.rank(int(q), 5)[0] for q in popular) < filled


def test_the_hub_pass_needs_enough_queries_to_count() -> None:
    items, vectors = _hub_catalog(MIN_HUB_QUERIES - 10)
    ranker = Ranker(items, vectors, BlendWeights({"embedding": 1.0, "hub": -3.0}))
    assert ranker.hubs.values.nnz == 0


def test_fitted_weights_from_before_the_rules_get_the_held_weights() -> None:
    old = BlendWeights({"embedding": 40.0, "same_type": 5.0}, {"k": 10})
    vector = dict(zip(("hub", "maturity_above"), old.vector()[[-1, 12]], strict=True))
    assert vector == {"hub": PRIOR_WEIGHTS["hub"], "maturity_above": PRIOR_WEIGHTS["maturity_above"]}
    assert BlendWeights({"embedding": 1.0}).vector()[-1] == 0.0  # hand-made weights mean what they say


def _maturity_catalog() -> tuple[pd.DataFrame, np.ndarray]:
    rows = [  # title, certification, band; the embedding makes later titles *more* like the query
        ("Tots", "TV-Y", "kids"), ("Rhymes", "TV-Y", "kids"), ("Sitcom", "TV-G", "kids"),
        ("Heroes", "TV-Y7", "kids"), ("Orphans", "TV-PG", "family"),
        ("Teen Drama", "TV-14", "teen"), ("Teen Mystery", "TV-14", "teen"), ("Steamy", "TV-MA", "adult"),
    ]
    items = _items([{"title": t, "certification": c, "maturity": b} for t, c, b in rows])
    closeness = {"Rhymes": 0.2, "Sitcom": 0.5, "Heroes": 0.8, "Orphans": 0.9, "Teen Mystery": 0.5, "Steamy": 0.6}
    vectors = np.zeros((len(rows), 2), dtype=np.float32)
    for i, (title, *_) in enumerate(rows):
        c = closeness.get(title, 1.0)
        vectors[i] = (c, np.sqrt(1 - c * c))
    return items, vectors


def test_a_preschool_query_gets_preschool_titles_before_older_childrens_and_family_ones() -> None:
    items, vectors = _maturity_catalog()
    ranker = Ranker(items, vectors, BlendWeights({"embedding": 1.0}))
    titles = items["title"].tolist()
    chosen = [titles[r] for r in ranker.rank(0, 4)[0]]
    assert chosen == ["Rhymes", "Sitcom", "Orphans", "Heroes"]  # TV-Y, then TV-G, then the closest others
    asked = [titles[r] for r in ranker.rank(0, 4, maturity_ceiling=False)[0]]
    assert asked == ["Orphans", "Heroes", "Sitcom", "Rhymes"]  # the member asked: similarity alone
    assert "Steamy" not in [titles[r] for r in ranker.rank(0, 7, maturity_ceiling=False)[0]]  # safety holds


def test_an_unrated_preschool_franchise_gets_a_preschool_list_and_stays_unrated_elsewhere() -> None:
    """Peppa Pig has no listing: its list is a TV-Y query's (no adult, no unrated title above rated children's
    ones), but as a candidate it is still unrated, below every rated children's title in a kids' list."""
    items, vectors = _maturity_catalog()
    unrated = _items([{"title": "Peppa Pig: Season 1", "franchise_key": "peppa pig"},
                      {"title": "Unrated Drama", "franchise_key": "unrated drama"}])
    items = pd.concat([items, unrated], ignore_index=True)
    vectors = np.vstack([vectors, [[1.0, 0.0], [0.99, np.sqrt(1 - 0.99**2)]]]).astype(np.float32)
    ranker = Ranker(items, vectors, BlendWeights({"embedding": 1.0}))
    titles = items["title"].tolist()
    peppa, tots = titles.index("Peppa Pig: Season 1"), titles.index("Tots")
    chosen = [titles[r] for r in ranker.rank(peppa, 9)[0]]
    assert chosen[:3] == ["Tots", "Rhymes", "Sitcom"]  # TV-Y, then TV-G, before the closer unrated drama
    assert "Steamy" not in chosen and chosen.index("Unrated Drama") > chosen.index("Orphans")
    assert [titles[r] for r in ranker.rank(tots, 9)[0]].index("Peppa Pig: Season 1") > 3  # still unrated here
    other = titles.index("Unrated Drama")  # an unrated title outside the table keeps the unknown-band rules
    assert not ranker.is_safe_query(other) and ranker.blocks_adult(other)


def test_an_unrated_film_of_a_childrens_franchise_gets_a_kids_list_and_stays_unrated_elsewhere() -> None:
    """The Boss Baby film is rated nowhere, its TV-Y7 series is: its list must not open with the closest
    unrated title (fans were served an adult war series), yet as a candidate it stays unrated."""
    items, vectors = _maturity_catalog()
    unrated = _items([{"title": "Baby Film", "franchise_key": "baby"},
                      {"title": "Baby Series", "franchise_key": "baby", "maturity": "kids", "certification": "TV-Y7"},
                      {"title": "Unrated War Drama", "franchise_key": "war"},
                      {"title": "Adult Film", "franchise_key": "grown"},
                      {"title": "Adult Film 2", "franchise_key": "grown", "maturity": "adult"}])
    items = pd.concat([items, unrated], ignore_index=True)
    closest = [[1.0, 0.0], [0.0, 1.0], [0.99, np.sqrt(1 - 0.99**2)], [0.98, np.sqrt(1 - 0.98**2)], [0.0, 1.0]]
    vectors = np.vstack([vectors, closest]).astype(np.float32)
    ranker = Ranker(items, vectors, BlendWeights({"embedding": 1.0}))
    titles = items["title"].tolist()
    film = titles.index("Baby Film")
    chosen = [titles[r] for r in ranker.rank(film, 9)[0]]
    assert ranker.is_safe_query(film)
    assert chosen.index("Unrated War Drama") > chosen.index("Orphans")  # every rated children's title first
    assert "Steamy" not in chosen and "Adult Film 2" not in chosen
    assert ranker.safety_tier[film] == ranker.safety_tier[titles.index("Unrated War Drama")]  # a candidate: unrated
    assert not ranker.is_safe_query(titles.index("Adult Film"))  # a franchise with an adult entry: no


def _older_childrens_catalog() -> tuple[pd.DataFrame, np.ndarray]:
    rows = [  # title, certification, band, franchise, closeness to the queries (which sit at 1.0)
        ("Family Adventure", "PG", "family", "adventure", 1.0), ("Baby Film", "", "unknown", "baby", 1.0),
        ("Baby Series", "TV-Y7", "kids", "baby", 0.0), ("Rhymes", "TV-Y", "kids", "rhymes", 0.95),
        ("Tween Sitcom", "TV-G", "kids", "sitcom", 0.6), ("Heroes", "TV-Y7", "kids", "heroes", 0.5),
        ("Orphans", "TV-PG", "family", "orphans", 0.4), ("Teen Mystery", "TV-14", "teen", "mystery", 0.9),
        ("Peppa Pig: Season 2", "", "unknown", "peppa pig", 0.99), ("Steamy", "TV-MA", "adult", "steamy", 0.98),
    ]
    items = _items([{"title": t, "certification": c, "maturity": b, "franchise_key": f} for t, c, b, f, _ in rows])
    vectors = np.array([(c, np.sqrt(1 - c * c)) for *_, c in rows], dtype=np.float32)
    return items, vectors


@pytest.mark.parametrize(("query", "known_safe", "unrated"), [
    # Baby Film is folded into Baby Series' franchise: one entry per franchise.
    ("Family Adventure", ["Tween Sitcom", "Heroes", "Orphans", "Baby Series"], ["Peppa Pig: Season 2"]),
    ("Baby Film", ["Family Adventure", "Tween Sitcom", "Heroes", "Orphans"], ["Peppa Pig: Season 2"]),
])
def test_an_older_childrens_or_family_query_gets_tv_y_titles_after_its_other_safe_ones(
        query: str, known_safe: list[str], unrated: list[str]) -> None:
    """A Minions (PG) or Boss Baby (unrated, TV-Y7 series) fan is past CoComelon: the close TV-Y title comes
    after every other known-safe one, still before teen and unrated titles (the preschool franchise's too)."""
    items, vectors = _older_childrens_catalog()
    ranker = Ranker(items, vectors, BlendWeights({"embedding": 1.0}))
    titles = items["title"].tolist()
    row = titles.index(query)
    assert [titles[r] for r in ranker.rank(row, 9)[0]] == [*known_safe, "Rhymes", "Teen Mystery", *unrated]
    asked = [titles[r] for r in ranker.rank(row, 9, maturity_ceiling=False)[0]]
    assert asked.index("Rhymes") < asked.index("Tween Sitcom") and "Steamy" not in asked  # any maturity: similarity


def test_a_tv_g_query_gets_tv_g_titles_then_older_childrens_then_tv_y() -> None:
    """TV-G also rates tween sitcoms (Henry Danger): their fans get TV-G titles, then shows for older children
    and family ones, and the preschool shows (TV-Y) last among the known-safe titles."""
    rows = [("Danger Sitcom", "TV-G", "kids", 1.0), ("Rescue Bots", "TV-Y", "kids", 0.95),
            ("Heroes", "TV-Y7", "kids", 0.5), ("Orphans", "TV-PG", "family", 0.45),
            ("Other Sitcom", "TV-G", "kids", 0.3)]
    items = _items([{"title": t, "certification": c, "maturity": b} for t, c, b, _ in rows])
    vectors = np.array([(c, np.sqrt(1 - c * c)) for *_, c in rows], dtype=np.float32)
    ranker = Ranker(items, vectors, BlendWeights({"embedding": 1.0}))
    titles = items["title"].tolist()
    assert [titles[r] for r in ranker.rank(0, 4)[0]] == ["Other Sitcom", "Heroes", "Orphans", "Rescue Bots"]


def test_a_teen_query_pays_for_adult_titles_unless_the_member_asks() -> None:
    items, vectors = _maturity_catalog()
    vectors[:] = (0.0, 1.0)  # everything far from the teen query but these three:
    vectors[5], vectors[6], vectors[7] = (1.0, 0.0), (0.8, 0.6), (0.9, np.sqrt(0.19))  # query, teen, adult
    ranker = Ranker(items, vectors, BlendWeights({"embedding": 1.0}))
    titles = items["title"].tolist()
    assert [titles[r] for r in ranker.rank(5, 1)[0]] == ["Steamy"]
    ceiling = Ranker(items, vectors, BlendWeights({"embedding": 1.0, "maturity_above": -0.2}))
    assert ceiling.channels.channel("maturity_above", np.array([5]))[0].tolist() == [0, 0, 0, 0, 0, 0, 0, 1]
    assert [titles[r] for r in ceiling.rank(5, 1)[0]] == ["Teen Mystery"]
    assert [titles[r] for r in ceiling.rank(5, 1, maturity_ceiling=False)[0]] == ["Steamy"]
    np.testing.assert_allclose(ceiling.scores(5), ceiling.channels.blend(ceiling._w, np.array([5]))[0], atol=1e-6)


def test_a_title_no_listing_describes_gets_its_language_before_popular_filler() -> None:
    """A Korean drama without a listing has only its name, year, language and type to go by: its list holds
    Korean dramas before the popular English shows of its year, and a described query keeps the plain weights."""
    rows = [{"title": f"Korean drama {i}", "language": "Korean", "content_type": "Show", "hours_viewed": 10**5,
             "release_year": 2023} for i in range(6)]
    rows += [{"title": f"English hit {i}", "language": "English", "content_type": "Show", "hours_viewed": 10**8,
              "release_year": 2023} for i in range(6)]
    rows.append({"title": "Described", "language": "Korean", "content_type": "Movie", "hours_viewed": 10**5,
                 "release_year": 2023, "genres": "romance"})
    items = _items(rows)
    ranker = Ranker(items, np.ones((len(items), 4), dtype=np.float32),
                    BlendWeights({"hours_viewed": 1.0, "same_language": 0.2, "era": 0.5}))
    assert ranker.channels.thin[0] and not ranker.channels.thin[len(items) - 1]
    chosen, _ = ranker.rank(0, 5)
    assert all(items.loc[r, "language"] == "Korean" for r in chosen)
    factors = ranker.channels.query_factors(np.array([0, len(items) - 1]))
    same_language = CHANNELS.index("same_language")
    assert factors[same_language].tolist() == [THIN_QUERY_FACTORS["same_language"], 1.0]
    described, _ = ranker.rank(len(items) - 1, 5)
    assert any(items.loc[r, "language"] == "English" for r in described)  # popularity still counts when described


def _same_scores(ranker: Ranker, rows: range) -> None:
    """The per-request scorer gives what the block blend (evaluation, the fit) gives."""
    for row in rows:
        np.testing.assert_allclose(ranker.scores(row), ranker.channels.blend(ranker._w, np.array([row]))[0],
                                   atol=1e-6)


def test_a_query_no_listing_describes_reads_its_franchise_best_described_entry() -> None:
    """The Last Kingdom film has no listing; the series has one. The film's list follows the series' genres,
    story and cast instead of the popular titles of its year; as a candidate the film stays undescribed."""
    items = _items([
        {"title": "Kingdom: The Film", "franchise_key": "kingdom", "release_year": 2023, "hours_viewed": 10**6},
        {"title": "Kingdom: Season 1", "franchise_key": "kingdom", "release_year": 2015, "hours_viewed": 10**7,
         "genres": "war, history", "description": "saxon warriors fight viking raiders", "cast": "Ann Lee"},
        {"title": "Kingdom: Season 2", "franchise_key": "kingdom", "release_year": 2017, "hours_viewed": 10**6,
         "genres": "war", "description": ""},
        {"title": "Vikings", "release_year": 2013, "hours_viewed": 10**5, "genres": "war, history",
         "description": "viking raiders sail west", "cast": "Ann Lee"},
        {"title": "Cake Contest", "release_year": 2023, "hours_viewed": 10**8},
        {"title": "Baking Show", "release_year": 2023, "hours_viewed": 10**8, "genres": "reality",
         "description": "bakers fight the clock", "cast": "Bo Chef"},
    ])
    ranker = Ranker(items, np.ones((len(items), 2), dtype=np.float32),
                    BlendWeights({"genres": 1.0, "description": 1.0, "people": 1.0, "era": 0.5,
                                  "hours_viewed": 0.5}))
    channels = ranker.channels
    assert channels.describer.tolist() == [1, 1, 2, 3, 4, 5]  # the most described entry, then the most watched
    assert channels.thin[0] and channels.query_kind(np.array([0]))[0] == 0  # no longer a thin query
    assert [items["title"][r] for r in ranker.rank(0, 1)[0]] == ["Vikings"]
    assert channels.channel("genres", np.array([3]))[0][0] == 0.0  # as a candidate the film has no genres
    _same_scores(ranker, range(len(items)))


def test_era_and_popularity_lift_only_titles_of_the_querys_kind() -> None:
    """A crime show's list: an older crime show before this year's popular baking show. Between two films the
    co-likes measure that era and popularity carry across genres, so a film query keeps them whole."""
    rows = [
        {"title": "Crime Show", "content_type": "Show", "genres": "crime, drama", "release_year": 2023},
        {"title": "Crime Film", "content_type": "Movie", "genres": "crime, drama", "release_year": 2023},
        {"title": "Baking Show", "content_type": "Show", "genres": "reality", "release_year": 2023,
         "hours_viewed": 10**8},
        {"title": "Baking Film", "content_type": "Movie", "genres": "reality", "release_year": 2023,
         "hours_viewed": 10**8},
        {"title": "Old Crime Show", "content_type": "Show", "genres": "crime, drama", "release_year": 2012,
         "hours_viewed": 10**6},
        {"title": "Old Crime Film", "content_type": "Movie", "genres": "crime, drama", "release_year": 2012,
         "hours_viewed": 10**6},
        {"title": "Unknown Show", "content_type": "Show", "release_year": 2023, "hours_viewed": 10**8},
    ]
    items = _items(rows)
    ranker = Ranker(items, np.ones((len(items), 2), dtype=np.float32),
                    BlendWeights({"genres": 0.05, "era": 1.0, "hours_viewed": 1.0}))
    assert KIND_FLOOR < 1 and KIND_UNKNOWN < 1
    agreement = ranker.channels.kind_agreement(np.array([0, 1]))
    assert agreement[0, [2, 3, 4, 6]].tolist() == pytest.approx([KIND_FLOOR, KIND_FLOOR, 1.0, KIND_UNKNOWN])
    assert agreement[1, [2, 3, 4, 6]].tolist() == pytest.approx([KIND_FLOOR, 1.0, 1.0, KIND_UNKNOWN])
    titles = items["title"].tolist()
    show_list = [titles[r] for r in ranker.rank(0, 6)[0]]
    assert show_list.index("Old Crime Show") < show_list.index("Baking Show")
    film_list = [titles[r] for r in ranker.rank(1, 6)[0]]
    assert film_list.index("Baking Film") < film_list.index("Old Crime Film")
    _same_scores(ranker, range(len(items)))


def test_a_query_without_genres_counts_shared_title_words_less_than_a_described_one() -> None:
    """A Man Called Otto has no listing and its own franchise is never in its list: a shared "man" names another
    work, so it counts for less than when the query has genres and only the candidate has none."""
    items = _items([
        {"title": "A Man Called Otto"},
        {"title": "A Man Apart", "genres": "action"},
        {"title": "Man on Fire"},
        {"title": "Man of Steel", "genres": "action"},
    ])
    ranker = Ranker(items, np.eye(len(items), dtype=np.float32), BlendWeights({"title_words": 1.0}))
    channels = ranker.channels
    raw = channels._text_channel("title_words", np.array([0]), None)[0]
    gated = channels.channel("title_words", np.array([0]))[0]
    assert 0 < GATE_THIN < GATE_UNKNOWN
    np.testing.assert_allclose(gated[1:3], GATE_THIN * raw[1:3], rtol=1e-6)
    described = channels.channel("title_words", np.array([3]))[0]  # Man of Steel has genres, Man on Fire none
    raw = channels._text_channel("title_words", np.array([3]), None)[0]
    assert raw[2] > 0 and described[2] == pytest.approx(GATE_UNKNOWN * raw[2])
    _same_scores(ranker, range(len(items)))


def test_a_show_query_prefers_shows_in_its_language() -> None:
    """A Korean drama's fans want Korean dramas before a popular English film of the same genre."""
    assert SHOW_QUERY_FACTORS["same_type"] > 1 and SHOW_QUERY_FACTORS["same_language"] > 1
    items = _items([
        {"title": "Korean Romance", "content_type": "Show", "language": "Korean", "genres": "romance"},
        {"title": "English Romance Film", "content_type": "Movie", "language": "English", "genres": "romance",
         "hours_viewed": 10**8},
        {"title": "Korean Romance Two", "content_type": "Show", "language": "Korean", "genres": "romance",
         "hours_viewed": 10**5},
        {"title": "English Romance Film Two", "content_type": "Movie", "language": "English", "genres": "romance"},
    ])
    weights = {"genres": 1.0, "hours_viewed": 0.3, "same_type": 0.05, "same_language": 0.05}
    ranker = Ranker(items, np.ones((len(items), 2), dtype=np.float32), BlendWeights(weights))
    titles = items["title"].tolist()
    assert [titles[r] for r in ranker.rank(0, 1)[0]] == ["Korean Romance Two"]
    assert [titles[r] for r in ranker.rank(3, 1)[0]] == ["English Romance Film"]  # a film query: plain weights
    _same_scores(ranker, range(len(items)))


def test_genres_say_what_kind_of_title_not_where_it_is_from() -> None:
    """The Crown is like Victoria (a period drama), not like Top Boy (a crime drama) although the listing calls
    both "british, international": the language and country channels carry where a title is from."""
    items = _items([
        {"title": "The Crown", "genres": "british, international, drama, history, european"},
        {"title": "Top Boy", "genres": "british, international, crime, drama, european"},
        {"title": "Victoria", "genres": "drama, history"},
        {"title": "Made Abroad", "genres": "international"},
    ])
    channels = Channels.build(items, np.eye(len(items), dtype=np.float32))
    genres = channels.channel("genres", np.array([0]))[0]
    assert genres[2] > genres[1] > 0
    assert genres[2] == pytest.approx(1.0, abs=1e-6)
    assert not channels.has_genres[3]  # no genre left: the gates treat it as unknown, not as unlike everything


def test_a_number_alone_is_not_a_shared_title_word() -> None:
    items = _items([
        {"title": "Extraction 2", "genres": "action, thriller"},
        {"title": "The Expendables 2", "genres": "action, thriller"},  # shares only the sequel number
        {"title": "Extraction", "genres": "action, thriller"},  # the query's own work
        {"title": "The 100", "genres": "action, thriller"},
    ])
    channels = Channels.build(items, np.eye(4, dtype=np.float32))
    words = channels._text_channel("title_words", np.array([0]), None)[0]
    assert words[1] == 0.0 and words[3] == 0.0
    assert words[2] > 0.5


def test_a_shared_word_between_loosely_alike_titles_counts_far_less_than_between_sequels() -> None:
    items = _items([
        {"title": "Red Notice", "genres": "action, comedy, crime, thriller"},
        {"title": "Red Dragon", "genres": "crime, thriller, horror, mystery"},  # one common word, half the genres
        {"title": "Red Notice 2", "genres": "action, comedy, crime, thriller"},  # the sequel: everything agrees
        {"title": "Horror Night", "genres": "horror, mystery"},
        {"title": "Comedy Night", "genres": "comedy"},
    ])
    channels = Channels.build(items, np.eye(5, dtype=np.float32))
    genres = channels.channel("genres", np.array([0]))[0]
    raw = channels._text_channel("title_words", np.array([0]), None)[0]
    gated = channels.channel("title_words", np.array([0]))[0]
    assert 0.3 < genres[1] < 0.7 and TITLE_GATE_POWER > 1
    assert gated[1] == pytest.approx(raw[1] * genres[1] ** TITLE_GATE_POWER, rel=1e-4)
    assert gated[1] < 0.35 * genres[1] * raw[1]
    assert gated[2] == pytest.approx(raw[2], rel=1e-4)


def test_a_family_querys_list_keeps_its_tone_before_titles_that_share_more_genres() -> None:
    """A family fantasy comedy: a family drama before a horror comedy that shares two of its three genres. The
    genre cosine alone puts the horror comedy first; the fitted `tone` penalties (no `family`, added `horror`)
    turn it round. Titles without genres get no tone value either way."""
    items = _items([
        {"title": "Ghost Friends", "genres": "family, comedy, fantasy"},
        {"title": "Scary Laughs", "genres": "comedy, fantasy, horror"},
        {"title": "Home Together", "genres": "family, drama"},
        {"title": "Unlisted Film", "genres": ""},
    ])
    weights = {"genres": 20.0}
    plain = Ranker(items, np.ones((len(items), 2), dtype=np.float32), BlendWeights(weights))
    toned = Ranker(items, np.ones((len(items), 2), dtype=np.float32), BlendWeights({**weights, "tone": 1.0}))
    titles = items["title"].tolist()
    assert [titles[r] for r in plain.rank(0, 2)[0]] == ["Scary Laughs", "Home Together"]
    assert [titles[r] for r in toned.rank(0, 2)[0]] == ["Home Together", "Scary Laughs"]
    tone = toned.channels.tone(np.array([0, 1, 3]))
    family, horror = TONE_PENALTIES["family"], TONE_PENALTIES["horror"]
    assert tone[0].tolist() == pytest.approx([0.0, family[0] + horror[1], 0.0, 0.0])  # missing family, extra horror
    assert tone[1].tolist() == pytest.approx([family[1] + horror[0], 0.0, family[1] + horror[0], 0.0])
    assert not tone[2].any()  # a query without genres
    _same_scores(toned, range(len(items)))


def test_tone_penalties_are_penalties_on_a_few_genres() -> None:
    assert TONE_PENALTIES and all(m <= 0 and e <= 0 for m, e in TONE_PENALTIES.values())
    with pytest.raises(ValueError, match="<= 0"):
        load_tone_penalties('{"penalties": {"horror": {"missing": 3.0}}}')
    with pytest.raises(ValueError, match="more than 8"):
        load_tone_penalties(json.dumps({"penalties": {f"g{i}": {"missing": -1.0} for i in range(9)}}))
    table = tone_table({"a": (-1.0, -0.5), "b": (-2.0, 0.0)})
    assert table[0b01, 0b10] == pytest.approx(-1.0 + 0.0)  # query a, candidate b: a missing, b extra
    assert table[0b11, 0b00] == pytest.approx(-3.0) and table[0b00, 0b11] == pytest.approx(-0.5)
    assert not np.diag(table).any()
