"""Saved model versions: round trip, refusal of damaged directories, and an unbroken `current`.

A damaged or half-written version must be refused with a message naming the directory and the
problem, and must never become (or stop) the version being served.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recommender import artifacts, pipeline
from recommender.artifacts import ArtifactError
from recommender.catalog import Catalog
from recommender.serving import Recommender
from recommender.training import TrainConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_round_trip_keeps_embeddings_items_and_metadata(model_root: Path, catalog_small: Catalog, tmp_path: Path) -> None:
    version = artifacts.current_version(model_root)
    assert version is not None and artifacts.list_versions(model_root) == [version]
    saved = artifacts.load_artifact(model_root / version)
    meta = saved.metadata
    assert meta["version"] == version and meta["format"] == artifacts.FORMAT_VERSION
    assert pd.Timestamp(meta["created_at"]).tzinfo is not None
    assert meta["data_sha256"] == pipeline.data_hash(FIXTURES / "catalog_iso.csv", FIXTURES / "enrichment.csv")
    assert version.endswith(meta["data_sha256"][:6])
    assert meta["params"] == TrainConfig(arch="default", epochs=2, seed=42).to_json()
    gate = meta["evaluation"]["gate"]
    enriched = int((catalog_small.items["genres"] != "").sum())
    assert gate["metric"] == "genre_ndcg@10" and 0.0 < gate["value"] <= 1.0 and 0 < gate["queries"] <= enriched
    assert meta["n_items"] == len(catalog_small.items) and meta["dim"] == 64
    assert (model_root / version / "model.keras").is_file()

    # Save what was loaded again, under another root: everything survives unchanged.
    again = artifacts.save_artifact(tmp_path, embeddings=saved.embeddings, items=saved.items, vocab=saved.vocab,
                                    metadata={k: v for k, v in meta.items() if k != "version"}, version="copy")
    reloaded = artifacts.load_artifact(again)
    np.testing.assert_array_equal(reloaded.embeddings, saved.embeddings)
    pd.testing.assert_frame_equal(reloaded.items, saved.items)
    assert reloaded.vocab == saved.vocab
    assert {k: v for k, v in reloaded.metadata.items() if k != "version"} == {
        k: v for k, v in meta.items() if k != "version"
    }
    # And the served items agree with the cleaned catalog (titles in every script, empty dates).
    served = Recommender.load(model_root)
    assert served.items["title"].tolist() == catalog_small.items["title"].tolist()
    glory = served.item(int(catalog_small.items.index[catalog_small.items["title"].str.startswith("The Glory")][0]))
    assert glory.title == "The Glory: Season 1 // 더 글로리: 시즌 1" and glory.release_date == "2022-12-30"
    assert sum(i.release_date is None for i in map(served.item, served.items["item_id"])) == int(
        catalog_small.items["release_date"].isna().sum()
    )


def _rewrite_checksum(version_dir: Path) -> None:
    meta = json.loads((version_dir / "metadata.json").read_text())
    meta["embeddings_sha256"] = artifacts.sha256_file(version_dir / "embeddings.npy")
    (version_dir / "metadata.json").write_text(json.dumps(meta))


def _save_npy(version_dir: Path, array: np.ndarray) -> None:
    np.save(version_dir / "embeddings.npy", array)
    _rewrite_checksum(version_dir)


def _truncate(file: Path) -> None:
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 2])


def _with_nan(d: Path) -> None:
    e = np.load(d / "embeddings.npy")
    e[5, 3] = np.nan
    _save_npy(d, e)


def _items_drop_rows(d: Path) -> None:
    pd.read_csv(d / "items.csv").head(10).to_csv(d / "items.csv", index=False)


def _items_drop_column(d: Path) -> None:
    pd.read_csv(d / "items.csv").drop(columns=["franchise_key"]).to_csv(d / "items.csv", index=False)


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "missing embeddings": (lambda d: (d / "embeddings.npy").unlink(), "incomplete: missing embeddings.npy"),
    "missing items": (lambda d: (d / "items.csv").unlink(), "incomplete: missing items.csv"),
    "missing metadata": (lambda d: (d / "metadata.json").unlink(), "incomplete: missing metadata.json"),
    "missing vocab": (lambda d: (d / "vocab.json").unlink(), "incomplete: missing vocab.json"),
    "truncated embeddings": (lambda d: _truncate(d / "embeddings.npy"), "does not match its checksum"),
    "garbage embeddings": (lambda d: (d / "embeddings.npy").write_bytes(b"\x93NUMPY garbage" * 50),
                           "does not match its checksum"),
    "wrong shape": (lambda d: _save_npy(d, np.ones((686, 8), np.float32)), r"shape \(686, 8\) and dtype float32, expected \(686, 64\)"),
    "float64": (lambda d: _save_npy(d, np.load(d / "embeddings.npy").astype(np.float64)), "dtype float64"),
    "not an npy": (lambda d: ((d / "embeddings.npy").write_bytes(b"hello"), _rewrite_checksum(d)),
                   "cannot read embeddings or items"),
    "nan": (_with_nan, "NaN or infinite"),
    "invalid metadata json": (lambda d: (d / "metadata.json").write_text('{"version": "x",'), "not valid JSON"),
    "metadata not an object": (lambda d: (d / "metadata.json").write_text("[1, 2]"), "not a JSON object"),
    "invalid vocab json": (lambda d: (d / "vocab.json").write_bytes(b"\xff\xfe{"), "not valid JSON"),
    "wrong format": (lambda d: (d / "metadata.json").write_text(json.dumps({"format": 99})), "unsupported format 99"),
    "items rows lost": (_items_drop_rows, "10 items but 686 embedding rows"),
    "items column lost": (_items_drop_column, "lacks column"),
    "emptied directory": (lambda d: [f.unlink() for f in d.iterdir()], "no trained model in"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_version_is_refused_and_current_keeps_serving(damage: str, model_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "models"
    shutil.copytree(model_root, root)
    current = artifacts.current_version(root)
    candidate = root / "20991231-000000-broken"
    shutil.copytree(root / current, candidate)
    assert Recommender.load(candidate).version == current  # intact copy loads: the damage is the cause

    breaker, message = DAMAGE[damage]
    breaker(candidate)
    with pytest.raises(ArtifactError, match=message) as caught:
        Recommender.load(candidate)
    assert str(candidate) in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(ArtifactError):
        pipeline.verify(candidate)

    assert artifacts.current_version(root) == current
    served = Recommender.load(root)
    assert served.version == current and served.recommend("Wednesday", k=3).items


def test_missing_root_and_dangling_pointer_are_clear(tmp_path: Path, model_root: Path) -> None:
    with pytest.raises(ArtifactError, match="no trained model in .*python -m recommender train"):
        Recommender.load(tmp_path / "nowhere")
    root = tmp_path / "models"
    shutil.copytree(model_root, root)
    (root / "CURRENT").write_text("20000101-000000-gone\n")
    with pytest.raises(ArtifactError, match="20000101-000000-gone does not exist"):
        Recommender.load(root)
    with pytest.raises(ArtifactError, match="cannot activate"):
        artifacts.activate(root, "20000101-000000-gone")


def _train_seed_into(root: Path) -> pipeline.TrainOutcome:
    return pipeline.train_and_save(
        FIXTURES / "catalog_iso.csv", root, TrainConfig(arch="seed", epochs=1, seed=42),
        enrichment=FIXTURES / "enrichment.csv",
    )


def test_failed_verification_does_not_switch_current(model_root: Path, tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "models"
    shutil.copytree(model_root, root)
    current = artifacts.current_version(root)

    # A save that goes wrong on disk after writing (here: the embeddings lose half their bytes).
    real_save = artifacts.save_artifact

    def save_then_damage(*args, **kwargs) -> Path:
        path = real_save(*args, **kwargs)
        _truncate(path / "embeddings.npy")
        return path

    monkeypatch.setattr(artifacts, "save_artifact", save_then_damage)
    outcome = _train_seed_into(root)
    assert not outcome.activated and "checksum" in outcome.reason
    assert artifacts.current_version(root) == current
    assert Recommender.load(root).version == current
    monkeypatch.undo()

    def refuse(path: Path) -> Recommender:
        raise ArtifactError(f"model {path.name} returned no recommendations for a known title")

    monkeypatch.setattr(pipeline, "verify", refuse)
    outcome = _train_seed_into(root)  # same data and maybe the same second: needs a distinct name
    assert not outcome.activated and "failed verification" in outcome.reason
    assert artifacts.current_version(root) == current and Recommender.load(root).version == current
    assert len(artifacts.list_versions(root)) == 3


def test_same_data_in_the_same_second_gets_distinct_versions(tmp_path: Path, catalog_small: Catalog) -> None:
    vectors = np.eye(len(catalog_small.items), 4, dtype=np.float32) + 0.1
    meta = {"data_sha256": "abcdef0123"}
    paths = [artifacts.save_artifact(tmp_path, embeddings=vectors, items=catalog_small.items, vocab={},
                                     metadata=meta) for _ in range(3)]
    assert len({p.name for p in paths}) == 3
    assert artifacts.list_versions(tmp_path) == sorted(p.name for p in paths)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]  # no staging left behind
    with pytest.raises(ArtifactError, match="already exists"):
        artifacts.save_artifact(tmp_path, embeddings=vectors, items=catalog_small.items, vocab={}, metadata=meta,
                                version=paths[0].name)


def test_catalog_smaller_than_k_trains_and_activates(tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("\n".join((FIXTURES / "catalog_iso.csv").read_text(encoding="utf-8").splitlines()[:7]) + "\n",
                    encoding="utf-8")
    outcome = pipeline.train_and_save(tiny, tmp_path / "models", TrainConfig(arch="seed", epochs=1, seed=1))
    assert outcome.activated, outcome.reason
    assert outcome.metrics["gate"]["metric"] == "language_type_agreement@10"
    assert 0.0 <= outcome.metrics["gate"]["value"] <= 1.0
    assert len(Recommender.load(tmp_path / "models").recommend(0, k=10).items) == 5
