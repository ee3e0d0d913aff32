"""The large-catalog shortcuts in title resolution change nothing on the bundled catalog: with them
switched off (the previous code path: every word posting intersected, no bigram budget) every fixture
query and typed prefix resolves and completes exactly the same."""

from __future__ import annotations

import pytest

from recommender.matching import resolve
from recommender.serving import Recommender
from tests.resolution_catalog import full_catalog_recommender, load_title_queries

pytestmark = pytest.mark.slow  # every fixture query and prefix on the full catalog, twice


@pytest.fixture(scope="module")
def rec() -> Recommender:
    return full_catalog_recommender()


def _answers(rec: Recommender, texts: list[str]) -> list[tuple]:
    out = []
    for text in texts:
        r = rec.resolve(text)
        out.append((r.item.item_id if r.item else None, round(r.confidence, 6), r.note, r.ambiguity_reason,
                    [(c.item.item_id, round(c.score, 6)) for c in r.candidates]))
    return out


def test_shortcuts_agree_with_the_exhaustive_path(rec: Recommender, monkeypatch: pytest.MonkeyPatch) -> None:
    queries = [q.query for q in load_title_queries()]
    prefixes = sorted({q[:n] for q in queries for n in range(3, min(len(q), 14), 2)})
    with_shortcuts = _answers(rec, queries), [[i.item_id for i in rec.autocomplete(p)] for p in prefixes]
    monkeypatch.setattr(resolve, "_BIGRAM_BUDGET", 10**12)
    monkeypatch.setattr(resolve, "_INTERSECT_RATIO", 10**12)
    exhaustive = _answers(rec, queries), [[i.item_id for i in rec.autocomplete(p)] for p in prefixes]
    assert with_shortcuts == exhaustive
