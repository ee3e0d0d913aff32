"""The ANN index: agrees with exact search, honours filters exactly, travels with a model version
(checksummed, a corrupt index refused like any other file), and behind `Recommender` gives the same
lists as the exact path when its shortlist covers the catalog."""

from __future__ import annotations

import gc
import json
import weakref
from pathlib import Path

import numpy as np
import pytest

from recommender import artifacts, serving
from recommender.artifacts import ArtifactError
from recommender.derived import DERIVED_FILES
from recommender.index import INDEX_FILE, AnnIndex, wants_index
from recommender.index import ann as ann_module
from recommender.index.ann import exact_top
from recommender.serving import Recommender

N, DIM = 4000, 24


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    """Clustered unit vectors (like franchises and genres), so neighbourhoods are crowded."""
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(60, DIM))
    rows = centres[rng.integers(0, 60, N)] + rng.normal(0, 0.35, (N, DIM))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def index(vectors: np.ndarray) -> AnnIndex:
    return AnnIndex.build(vectors)


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    return len(set(found.tolist()) & set(truth.tolist())) / len(truth)


def test_agrees_with_exact_search(index: AnnIndex, vectors: np.ndarray) -> None:
    queries = np.random.default_rng(0).choice(N, 200, replace=False)
    recall = np.mean([_recall(index.search(vectors[q], 10), exact_top(vectors, vectors[q], 10)) for q in queries])
    assert recall >= 0.95
    # Best first: the similarities of what it returns never increase down the list.
    found = index.search(vectors[7], 10)
    assert np.all(np.diff(vectors[found] @ vectors[7]) <= 1e-6)


@pytest.mark.parametrize("exact_subset", [ann_module.EXACT_SUBSET, 50])
@pytest.mark.parametrize("share", [0.02, 0.3, 0.9])
def test_filters_are_honoured_exactly(index: AnnIndex, vectors: np.ndarray, monkeypatch, share: float,
                                      exact_subset: int) -> None:
    """Small subsets are searched exactly; large ones over-fetched (EXACT_SUBSET=50 forces that path)."""
    monkeypatch.setattr(ann_module, "EXACT_SUBSET", exact_subset)
    rng = np.random.default_rng(int(share * 100))
    allowed = rng.random(N) < share
    recalls = []
    for q in rng.choice(N, 40, replace=False):
        found = index.search(vectors[q], 10, allowed=allowed)
        assert allowed[found].all() and len(found) == 10
        rows = np.flatnonzero(allowed)
        truth = rows[exact_top(vectors[rows], vectors[q], 10)]
        recalls.append(_recall(found, truth))
    assert np.mean(recalls) >= 0.95
    if allowed.sum() <= exact_subset:
        assert np.mean(recalls) == 1.0  # searched exactly


def test_a_filter_nothing_meets_returns_nothing(index: AnnIndex, vectors: np.ndarray) -> None:
    assert len(index.search(vectors[0], 10, allowed=np.zeros(N, dtype=bool))) == 0


def test_setting_chooses_the_index() -> None:
    assert not wants_index(10_000, "auto", 50_000) and wants_index(50_000, "auto", 50_000)
    assert wants_index(10, "on") and not wants_index(10**7, "off")


def _current(root: Path) -> str:
    name = artifacts.current_version(root)
    assert name is not None
    return name


def _version_with_index(root: Path, source: Path, name: str) -> Path:
    """A copy of an intact version with an index saved and checksummed as `save_artifact` does."""
    loaded = artifacts.load_artifact(source)
    return artifacts.save_artifact(root, embeddings=loaded.embeddings, items=loaded.items, vocab=loaded.vocab,
                                   metadata={**loaded.metadata, "activated_at": None}, version=name,
                                   derived=DERIVED_FILES, index_mode="on")


def test_index_is_saved_checksummed_and_loaded(model_root_copy: Path) -> None:
    version = _version_with_index(model_root_copy, model_root_copy / _current(model_root_copy), "20991231-000000-ann")
    files = json.loads((version / "metadata.json").read_text())["files"]
    assert files[INDEX_FILE] == artifacts.sha256_file(version / INDEX_FILE)
    rec = Recommender.load(version)
    assert rec.ann is not None and len(rec.ann) == len(rec)


@pytest.mark.parametrize("damage", ["flipped bytes", "garbage with a matching checksum", "deleted"])
def test_corrupt_index_is_refused_and_the_previous_version_serves(model_root_copy: Path, damage: str) -> None:
    root = model_root_copy
    intact = _current(root)
    version = _version_with_index(root, root / intact, "20991231-000000-ann")
    file = version / INDEX_FILE
    if damage == "deleted":
        file.unlink()
    else:
        data = bytearray(file.read_bytes())
        data[len(data) // 2: len(data) // 2 + 64] = b"\xff" * 64 if damage == "flipped bytes" else b""
        file.write_bytes(bytes(data[:200]) if damage != "flipped bytes" else bytes(data))
        if damage != "flipped bytes":  # a consistent checksum: the index itself must be refused
            meta = json.loads((version / "metadata.json").read_text())
            meta["files"][INDEX_FILE] = artifacts.sha256_file(file)
            (version / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ArtifactError, match=INDEX_FILE if damage != "deleted" else "is missing"):
        Recommender.load(version)
    (root / "CURRENT").write_text(version.name + "\n")
    served = Recommender.load(root)
    assert served.version == intact and served.metadata["serving_fallback"]["wanted"] == version.name


def test_shortlist_covering_the_catalog_gives_the_exact_lists(session_recommender: Recommender,
                                                              monkeypatch) -> None:
    """`Ranker.rank(candidates=every row)` is `rank()`; filters, folding and kids' safety included."""
    exact = session_recommender
    with_index = Recommender(exact.embeddings, exact.items, exact.metadata, ann=AnnIndex.build(exact.embeddings))
    monkeypatch.setattr(serving, "CANDIDATE_POOL", len(exact))
    kids = exact.items.index[exact.ranker.maturity == "kids"][:5].tolist()
    queries = [*range(0, len(exact), 37), *kids]
    for row in queries:
        item_id = int(exact.items["item_id"].iloc[row])
        for options in ({}, {"language": "English"}, {"content_type": "Movie", "include_franchise": True},
                        {"family_safe": True}):
            want = [r.item.item_id for r in exact.recommend(item_id, k=8, **options).items]
            got = [r.item.item_id for r in with_index.recommend(item_id, k=8, **options).items]
            assert got == want, (row, options)


def test_default_shortlist_keeps_filters_and_fills_the_list(session_recommender: Recommender) -> None:
    exact = session_recommender
    with_index = Recommender(exact.embeddings, exact.items, exact.metadata, ann=AnnIndex.build(exact.embeddings))
    for row in range(0, len(exact), 53):
        item_id = int(exact.items["item_id"].iloc[row])
        result = with_index.recommend(item_id, k=10, language="Korean")
        assert all(r.item.language == "Korean" for r in result.items)
        assert len(result.items) == len(exact.recommend(item_id, k=10, language="Korean").items)


def test_loaded_index_serves_its_own_stored_vectors(index: AnnIndex, vectors: np.ndarray, tmp_path: Path) -> None:
    """One copy of the matrix when serving: the loaded index exposes its stored vectors (equal to the
    embeddings, read-only, alive as long as any view of them), and refuses embeddings it was not built from."""
    path = tmp_path / INDEX_FILE
    index.save(path)
    loaded = AnnIndex.load(path, vectors.copy())
    stored = loaded.vectors
    assert np.array_equal(stored, vectors) and not stored.flags.writeable
    row = np.asarray(stored)[7]
    index_alive = weakref.ref(loaded._index)
    del loaded, stored
    gc.collect()
    # The view still holds the index's memory: reading it after the index died would read freed memory.
    assert index_alive() is not None and np.array_equal(row, vectors[7])
    other = vectors.copy()
    other[-1] = -other[-1]
    with pytest.raises(ValueError, match="other embeddings"):
        AnnIndex.load(path, other)
