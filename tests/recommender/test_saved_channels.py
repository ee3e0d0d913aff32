"""The ranker's text channels and the title index are built when a version is saved, and loaded (not
rebuilt) when it serves.

What must hold: the saved arrays are exactly the ones building gives on the version's own item table,
so a version served from them ranks and resolves exactly as one built at load; a version saved before
(no `channels.npz` / `title_index.npz`) or by code of another layout still loads, by building them; and
a compact serving load still hands offline tools the whole item table. Damaged files are in
`test_recommender_artifacts.DAMAGE`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recommender import artifacts
from recommender.artifacts import TITLE_INDEX_FILE
from recommender.derived import DERIVED_FILES
from recommender.matching import TitleIndex
from recommender.ranking.channel_store import CHANNELS_FILE
from recommender.ranking.channels import TEXT_CHANNELS, fit_text
from recommender.serving import Recommender


def _version(root: Path) -> Path:
    return artifacts.resolve_model_path(root)


def _lists(rec: Recommender, queries: list[int]) -> list[list[tuple[int, float]]]:
    return [[(r.item.item_id, r.score) for r in rec.recommend(q, k=10).items] for q in queries]


def test_saved_channels_are_the_fitted_ones_and_rank_identically(model_root: Path) -> None:
    version = _version(model_root)
    whole = artifacts.load_artifact(version)
    compact = artifacts.load_artifact(version, derived=DERIVED_FILES, compact=True)
    channels = compact.derived.get(CHANNELS_FILE)
    assert channels is not None and tuple(channels) == TEXT_CHANNELS
    fitted = fit_text(whole.items)
    for name in TEXT_CHANNELS:
        saved, fresh = compact.derived.get(CHANNELS_FILE)[name], fitted[name]
        assert saved.shape == fresh.shape and saved.dtype == fresh.dtype == np.float32, name
        for part in ("data", "indices", "indptr"):
            np.testing.assert_array_equal(getattr(saved, part), getattr(fresh, part), err_msg=f"{name}.{part}")
    assert channels["title_chars"].nnz > 0 and channels["genres"].nnz > 0

    assert compact.derived.get(TITLE_INDEX_FILE) is not None
    built = TitleIndex(whole.items["title"].tolist(), whole.items["hours_viewed"].to_numpy()).arrays()
    saved_index = compact.derived.get(TITLE_INDEX_FILE).arrays()
    assert set(saved_index) == set(built)
    for name, array in built.items():
        assert saved_index[name].dtype == array.dtype, name
        np.testing.assert_array_equal(saved_index[name], array, err_msg=name)

    # Served from the saved channels, title index and compact table vs built from the whole table.
    served = Recommender.load(version)
    refitted = Recommender(whole.embeddings, whole.items, whole.metadata)
    queries = list(range(0, len(served), 23))
    assert _lists(served, queries) == _lists(refitted, queries)
    typed = ["wednesday", "Stranger Things season 4", "glass onion", "wensday", "the", "더 글로리", "Korean"]
    typed += [str(title)[: 3 + i % 9] for i, title in enumerate(whole.items["title"].iloc[::57])]
    for text in typed:
        assert served.resolve(text) == refitted.resolve(text), text
        assert served.autocomplete(text) == refitted.autocomplete(text), text
    assert _lists(served, queries[:5]) != [[]] * 5
    filtered = served.recommend(queries[1], k=5, language="English", by_popularity=True)
    again = refitted.recommend(queries[1], k=5, language="English", by_popularity=True)
    assert [(r.item, r.reason) for r in filtered.items] == [(r.item, r.reason) for r in again.items]


def test_a_compact_load_holds_the_serving_columns_and_gives_the_whole_table_on_demand(model_root: Path) -> None:
    version = _version(model_root)
    compact = artifacts.load_artifact(version, derived=DERIVED_FILES, compact=True)
    assert set(compact.items.columns) <= set(artifacts.RANKING_COLUMNS)
    assert "description" not in compact.items.columns and compact.items["language"].dtype == "category"
    rec = Recommender.load(version)
    assert rec._table is None  # the serving process keeps the arrays it serves from, not a table
    whole = artifacts.load_artifact(version).items
    pd.testing.assert_frame_equal(rec.items, whole)  # offline tools (evaluate, the blend fit) read it all


@pytest.mark.slow
def test_a_version_saved_without_channels_still_loads_by_fitting_them(model_root_copy: Path) -> None:
    version = _version(model_root_copy)
    expected = _lists(Recommender.load(version), list(range(0, 686, 31)))
    meta = json.loads((version / "metadata.json").read_text())
    for name in (CHANNELS_FILE, artifacts.TITLE_INDEX_FILE):  # as every version saved before these were
        (version / name).unlink()
        del meta["files"][name]
    (version / "metadata.json").write_text(json.dumps(meta))

    compact = artifacts.load_artifact(version, derived=DERIVED_FILES, compact=True)
    assert compact.derived.get(CHANNELS_FILE) is None and compact.derived.get(TITLE_INDEX_FILE) is None
    old = Recommender.load(model_root_copy)
    assert "serving_fallback" not in old.metadata and "description" in old.items.columns
    assert _lists(old, list(range(0, 686, 31))) == expected


def test_a_title_index_saved_in_another_layout_is_rebuilt_not_refused(model_root_copy: Path, caplog) -> None:
    version = _version(model_root_copy)
    expected = Recommender.load(version).resolve("wensday")
    arrays = dict(np.load(version / artifacts.TITLE_INDEX_FILE))
    np.savez(version / artifacts.TITLE_INDEX_FILE, **{**arrays, "layout": np.array([0])})  # older code's
    meta = json.loads((version / "metadata.json").read_text())
    meta["files"][artifacts.TITLE_INDEX_FILE] = artifacts.sha256_file(version / artifacts.TITLE_INDEX_FILE)
    (version / "metadata.json").write_text(json.dumps(meta))

    with caplog.at_level("WARNING", logger="recommender.artifacts"):
        loaded = artifacts.load_artifact(version, derived=DERIVED_FILES, compact=True)
        assert loaded.derived.get(TITLE_INDEX_FILE) is None
    assert "title_index.npz was saved by code of another layout" in caplog.text
    assert Recommender.load(version).resolve("wensday") == expected
