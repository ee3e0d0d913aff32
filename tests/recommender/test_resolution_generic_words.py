"""Words that name no work on their own (`the`, `movie`, `season 1`) neither key a franchise nor answer
a query confidently, while the titles that contain them still resolve by their full names."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.matching import CONFIDENT_SCORE, Outcome, TitleIndex

TITLES = [
    "The 43: Season 1 // Los días de Ayotzinapa: Temporada 1",
    "Movie 43",
    "BEEF: Season 1",
    "Alchemy of Souls: Part 2 // 환혼: 파트 2",
    "Unicorn Academy: Chapter 1",
    "Wednesday: Season 1",
    "Lupin: Part 3",
    "This Is 40",
]


@pytest.fixture(scope="module")
def index() -> TitleIndex:
    hours = np.array([50.0, 40.0, 900.0, 300.0, 200.0, 1000.0, 400.0, 30.0])
    return TitleIndex(TITLES, hours)


def confident(outcome: Outcome) -> bool:
    return outcome.answer is not None and outcome.confidence >= CONFIDENT_SCORE and outcome.ambiguity_reason is None


@pytest.mark.parametrize("query", ["the", "movie", "the movie", "season 1", "part 2", "chapter 1", "this is"])
def test_generic_words_alone_answer_nothing_confidently(index: TitleIndex, query: str) -> None:
    assert not confident(index.resolve(query)), query


@pytest.mark.parametrize(("query", "title"), [
    ("the 43", TITLES[0]), ("movie 43", TITLES[1]), ("this is 40", TITLES[7]), ("wednesday", TITLES[5]),
    ("beef", TITLES[2]), ("alchemy of souls part 2", TITLES[3]),
])
def test_titles_holding_generic_words_resolve_by_their_names(index: TitleIndex, query: str, title: str) -> None:
    outcome = index.resolve(query)
    assert confident(outcome) and outcome.answer is not None and TITLES[outcome.answer] == title
