"""The served list's shortlist: the best kept rows without partitioning the whole catalog, ties included."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.ranking.ranker import _GROUP, _best_rows


def _groups_holding_a_kept_row(keep: np.ndarray) -> int:
    groups = len(keep) // _GROUP
    kept = np.flatnonzero(keep)
    return len(np.unique(kept[kept < groups * _GROUP] % groups)) + int((kept >= groups * _GROUP).sum())


def _cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, key, keep): ties, tier offsets, filters that keep few rows, rows kept only in one stretch."""
    rng = np.random.default_rng(5)
    n = 5_003  # not a multiple of the group size: the last rows are a group each
    scores = rng.normal(size=n)
    tied = np.round(scores, 1)  # hundreds of rows on each value
    tiers = scores - 1e4 * rng.integers(0, 4, n)
    everything = np.ones(n, dtype=bool)
    few = rng.random(n) < 0.02
    stretch = np.zeros(n, dtype=bool)
    stretch[1_000:1_400] = True
    best_removed = everything.copy()
    best_removed[np.argsort(-scores)[:60]] = False  # the filter removes exactly the best rows
    return [("plain", scores, everything), ("ties", tied, everything), ("tiers", tiers, everything),
            ("few kept", scores, few), ("one stretch kept", scores, stretch), ("best removed", scores, best_removed),
            ("ties, few kept", tied, few)]


@pytest.mark.parametrize("pool", [42, 100])
@pytest.mark.parametrize(("name", "key", "keep"), _cases(), ids=[case[0] for case in _cases()])
def test_the_shortlist_is_every_kept_row_at_or_above_its_worst_and_at_least_the_pool(
    name: str, key: np.ndarray, keep: np.ndarray, pool: int
) -> None:
    rows = _best_rows(key, keep, pool)
    if rows is None:  # left to the full partition only when the kept rows are in fewer groups than the pool
        assert _groups_holding_a_kept_row(keep) < pool, name
        return
    assert keep[rows].all()
    worst = key[rows].min()
    assert set(rows.tolist()) == set(np.flatnonzero(keep & (key >= worst)).tolist())  # a prefix of the order
    assert len(rows) >= min(pool, int(keep.sum()))


def test_a_catalog_of_fewer_groups_than_the_pool_is_left_to_the_full_partition() -> None:
    assert _best_rows(np.arange(100.0), np.ones(100, dtype=bool), 42) is None
