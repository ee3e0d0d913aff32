"""Saved model versions: round trip, refusal of damaged directories, and an unbroken `current`.

A damaged or half-written version must be refused with a message naming the directory and the
problem, and must never become (or stop) the version being served.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recommender import artifacts, pipeline
from recommender.artifacts import ArtifactError
from recommender.catalog import Catalog
from recommender.derived import DERIVED_FILES
from recommender.matching import TitleIndex
from recommender.ranking.channel_store import text_arrays
from recommender.ranking.channels import fit_text
from recommender.serving import Recommender
from recommender.training import TrainConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_round_trip_keeps_embeddings_items_and_metadata(
    model_root: Path, catalog_small: Catalog, tmp_path: Path
) -> None:
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
                                    metadata={k: v for k, v in meta.items() if k != "version"}, version="copy",
                                    derived=DERIVED_FILES)
    reloaded = artifacts.load_artifact(again)
    np.testing.assert_array_equal(reloaded.embeddings, saved.embeddings)
    pd.testing.assert_frame_equal(reloaded.items, saved.items)
    assert reloaded.vocab == saved.vocab
    # Everything but what belongs to one copy: its name, its files' checksums, when it served.
    own = {"version", "files", "derived_from", "activated_at"}
    assert {k: v for k, v in reloaded.metadata.items() if k not in own} == {
        k: v for k, v in meta.items() if k not in own
    }
    assert set(meta["files"]) == {"embeddings.npy", "items.csv", "vocab.json", "model.keras", "channels.npz",
                                 "title_index.npz", "hubs.npz"}  # the hub count, written by the pipeline
    assert set(reloaded.metadata["files"]) == {"embeddings.npy", "items.csv", "vocab.json", "channels.npz",
                                             "title_index.npz"}
    assert meta["activated_at"] and "activated_at" not in reloaded.metadata
    # And the served items agree with the cleaned catalog (titles in every script, empty dates).
    served = Recommender.load(model_root)
    assert served.items["title"].tolist() == catalog_small.items["title"].tolist()
    glory = served.item(int(catalog_small.items.index[catalog_small.items["title"].str.startswith("The Glory")][0]))
    assert glory.title == "The Glory: Season 1 // 더 글로리: 시즌 1" and glory.release_date == "2022-12-30"
    assert sum(i.release_date is None for i in map(served.item, served.items["item_id"])) == int(
        catalog_small.items["release_date"].isna().sum()
    )


def _rewrite_checksum(version_dir: Path) -> None:
    """Make the damage internally consistent, so the content checks (not the checksums) must catch it."""
    meta = json.loads((version_dir / "metadata.json").read_text())
    meta["files"] = {name: artifacts.sha256_file(version_dir / name) for name in meta["files"]}
    (version_dir / "metadata.json").write_text(json.dumps(meta))


def _save_npy(version_dir: Path, array: np.ndarray) -> None:
    np.save(version_dir / "embeddings.npy", array)
    _rewrite_checksum(version_dir)


def _truncate(file: Path) -> None:
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 2])


def _edit_embeddings(change: Callable[[np.ndarray], None]) -> Callable[[Path], None]:
    def damage(d: Path) -> None:
        e = np.load(d / "embeddings.npy")
        change(e)
        _save_npy(d, e)

    return damage


def _edit_items(change: Callable[[pd.DataFrame], pd.DataFrame], *, consistent: bool = True) -> Callable[[Path], None]:
    def damage(d: Path) -> None:
        change(pd.read_csv(d / "items.csv", dtype=str, keep_default_na=False)).to_csv(d / "items.csv", index=False)
        if consistent:
            _rewrite_checksum(d)

    return damage


def _cut_last_line(consistent: bool) -> Callable[[Path], None]:
    """The file ends in the middle of its last row (a copy or a disk that stopped mid-write)."""

    def damage(d: Path) -> None:
        text = (d / "items.csv").read_text(encoding="utf-8").rstrip("\n")
        last = text.rsplit("\n", 1)[1]
        (d / "items.csv").write_text(text[: len(text) - len(last) // 2], encoding="utf-8")
        if consistent:
            _rewrite_checksum(d)

    return damage


def _set(column: str, row: int, value: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(items: pd.DataFrame) -> pd.DataFrame:
        items.loc[row, column] = value
        return items

    return change


def _channels_of_another_catalog(d: Path) -> None:
    """Channels fitted on ten items (another catalog, or a table cut after fitting), checksum redone."""
    np.savez(d / "channels.npz", **text_arrays(fit_text(pd.read_csv(d / "items.csv", dtype=str,
                                                                    keep_default_na=False).head(10))))
    _rewrite_checksum(d)


def _title_index_of_another_catalog(d: Path) -> None:
    titles = pd.read_csv(d / "items.csv", dtype=str, keep_default_na=False)["title"].tolist()
    np.savez(d / "title_index.npz", **TitleIndex([*titles[:10], "Zyx Qwv"], np.zeros(11)).arrays())
    _rewrite_checksum(d)


def _permute_rows(*, rebuilt: bool) -> Callable[[Path], None]:
    """Whole rows of items.csv moved, item ids renumbered 0..n-1 and the checksums redone, so every
    row-level check passes; `rebuilt`: `derived_from` redone too, so the saved channels and title
    index look built from this table and a serving load reads it without its title column."""

    def damage(d: Path) -> None:
        table = pd.read_csv(d / "items.csv", dtype=str, keep_default_na=False).sample(frac=1.0, random_state=3)
        table["item_id"] = [str(i) for i in range(len(table))]
        table.to_csv(d / "items.csv", index=False)
        _rewrite_checksum(d)
        if rebuilt:
            _metadata(derived_from=artifacts.sha256_file(d / "items.csv"))(d)

    return damage


_ROWS_MOVED = r"items.csv rows do not match the ones this version was saved with"


def _metadata(**changes: object) -> Callable[[Path], None]:
    def damage(d: Path) -> None:
        meta = json.loads((d / "metadata.json").read_text())
        meta.update(changes)
        (d / "metadata.json").write_text(json.dumps(meta))

    return damage


DAMAGE: dict[str, tuple[Callable[[Path], object], str]] = {
    "missing embeddings": (lambda d: (d / "embeddings.npy").unlink(), "incomplete: missing embeddings.npy"),
    "missing items": (lambda d: (d / "items.csv").unlink(), "incomplete: missing items.csv"),
    "missing metadata": (lambda d: (d / "metadata.json").unlink(), "incomplete: missing metadata.json"),
    "missing vocab": (lambda d: (d / "vocab.json").unlink(), "incomplete: missing vocab.json"),
    "missing model": (lambda d: (d / "model.keras").unlink(), "model.keras is missing"),
    "truncated embeddings": (lambda d: _truncate(d / "embeddings.npy"), "embeddings.npy does not match its checksum"),
    "garbage embeddings": (lambda d: (d / "embeddings.npy").write_bytes(b"\x93NUMPY garbage" * 50),
                           "embeddings.npy does not match its checksum"),
    "edited vocab": (lambda d: (d / "vocab.json").write_text("{}"), "vocab.json does not match its checksum"),
    "edited model": (lambda d: (d / "model.keras").write_bytes(b"PK"), "model.keras does not match its checksum"),
    "no checksums": (_metadata(files=None), "lists no checksums"),
    "wrong shape": (lambda d: _save_npy(d, np.ones((686, 8), np.float32)),
                    r"shape \(686, 8\) and dtype float32, expected \(686, 64\)"),
    "float64": (lambda d: _save_npy(d, np.load(d / "embeddings.npy").astype(np.float64)), "dtype float64"),
    "not an npy": (lambda d: ((d / "embeddings.npy").write_bytes(b"hello"), _rewrite_checksum(d)),
                   "cannot read embeddings or items"),
    "nan": (_edit_embeddings(lambda e: e.__setitem__((5, 3), np.nan)), "NaN or infinite"),
    "zero row": (_edit_embeddings(lambda e: e.__setitem__(7, 0.0)), "embedding row 7 has length 0, not 1"),
    "huge row": (_edit_embeddings(lambda e: e.__setitem__(9, 1e30)), "embedding row 9 has length 8e\\+30, not 1"),
    "invalid metadata json": (lambda d: (d / "metadata.json").write_text('{"version": "x",'), "not valid JSON"),
    "metadata not an object": (lambda d: (d / "metadata.json").write_text("[1, 2]"), "not a JSON object"),
    "invalid vocab json": (lambda d: (d / "vocab.json").write_bytes(b"\xff\xfe{"), "not valid JSON"),
    "wrong format": (lambda d: (d / "metadata.json").write_text(json.dumps({"format": 99})), "unsupported format 99"),
    "long version": (_metadata(version="v" * 65), "version name is 65 characters long"),
    "path as version": (_metadata(version="../elsewhere"), "not a valid version name"),
    "items cut mid-row": (_cut_last_line(consistent=False), "items.csv does not match its checksum"),
    "items cut mid-row, checksum redone": (_cut_last_line(consistent=True), "items.csv row 686 has .* not a number"),
    "items garbled hours": (_edit_items(_set("hours_viewed", 3, "lots")),
                            "items.csv row 4 has hours_viewed 'lots', not a number"),
    "items infinite votes": (_edit_items(_set("imdb_votes", 4, "inf")),
                             "items.csv row 5 has imdb_votes 'inf', not a number"),
    "items garbled, checksum kept": (_edit_items(_set("hours_viewed", 3, "lots"), consistent=False),
                                     "items.csv does not match its checksum"),
    "items shuffled": (_edit_items(lambda t: t.sample(frac=1.0, random_state=1)),
                       r"not item ids 0\.\.685 in order \(the row of item 0 holds item id"),
    "items duplicate id": (_edit_items(_set("item_id", 5, "4")), "item id 4 appears more than once"),
    "items rows permuted, ids and checksums redone": (_permute_rows(rebuilt=False), _ROWS_MOVED),
    "items rows permuted, every checksum redone": (_permute_rows(rebuilt=True), _ROWS_MOVED),
    "items huge text": (_edit_items(_set("title", 2, "x" * 20_000)), "row 3 has a title longer than"),
    "items rows lost": (_edit_items(lambda t: t.head(10)), "10 items but 686 embedding rows"),
    "items column lost": (_edit_items(lambda t: t.drop(columns=["franchise_key"])), "lacks column"),
    "missing channels": (lambda d: (d / "channels.npz").unlink(), "channels.npz is missing"),
    "truncated channels": (lambda d: _truncate(d / "channels.npz"), "channels.npz does not match its checksum"),
    "channels not an npz, checksum redone": (lambda d: ((d / "channels.npz").write_bytes(b"hello"),
                                                        _rewrite_checksum(d)), "channels.npz cannot be read"),
    "channels of another catalog": (_channels_of_another_catalog,
                                    r"channels.npz: title_chars has shape \[10, \d+\], expected \(686,"),
    "truncated title index": (lambda d: _truncate(d / "title_index.npz"),
                              "title_index.npz does not match its checksum"),
    "title index of another catalog": (_title_index_of_another_catalog,
                                       "title_index.npz: it holds 11 titles, the catalog 686"),
    "emptied directory": (lambda d: [f.unlink() for f in d.iterdir()], "no trained model in"),
}


@pytest.mark.slow
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_version_is_refused_and_the_intact_one_serves(damage: str, model_root_copy: Path) -> None:
    root = model_root_copy
    intact = artifacts.current_version(root)
    candidate = root / "20991231-000000-broken"
    shutil.copytree(root / intact, candidate)
    assert Recommender.load(candidate).version == intact  # intact copy loads: the damage is the cause

    breaker, message = DAMAGE[damage]
    breaker(candidate)
    with pytest.raises(ArtifactError, match=message) as caught:
        Recommender.load(candidate)
    assert str(candidate) in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(ArtifactError):
        pipeline.verify(candidate)

    # Not current: the current model keeps serving, untouched.
    served = Recommender.load(root)
    assert served.version == intact and "serving_fallback" not in served.metadata
    # Made current (CURRENT names the broken, newer version): the newest intact version serves, saying why.
    artifacts.activate(root, intact)
    (root / "CURRENT").write_text(candidate.name + "\n")
    served = Recommender.load(root)
    assert served.version == intact and served.recommend("Wednesday", k=3).items
    assert served.metadata["serving_fallback"]["wanted"] == candidate.name
    # Loaded as a version of the root, an emptied folder is "incomplete" rather than "no model".
    reason = "incomplete: missing metadata.json" if damage == "emptied directory" else message
    assert re.search(reason, served.metadata["serving_fallback"]["reason"])


def _copy_version(root: Path, source: str, name: str, *, served: bool) -> Path:
    """Another intact version (same vectors) under a new name, as if trained at another time."""
    dest = root / name
    shutil.copytree(root / source, dest)
    meta = json.loads((dest / "metadata.json").read_text())
    meta["version"] = name
    if not served:
        meta.pop("activated_at", None)
    (dest / "metadata.json").write_text(json.dumps(meta))
    return dest


def test_broken_current_falls_back_to_the_newest_intact_version_that_served(model_root_copy: Path, caplog) -> None:
    root = model_root_copy
    oldest = artifacts.current_version(root)
    _copy_version(root, oldest, "20990101-000000-served", served=True)
    _copy_version(root, oldest, "20990601-000000-never", served=False)  # saved, never activated (gate refused it)
    broken = _copy_version(root, oldest, "20991231-000000-cut", served=True)
    _cut_last_line(consistent=False)(broken)
    artifacts.activate(root, broken.name)

    with caplog.at_level("ERROR", logger="recommender.artifacts"):
        served = Recommender.load(root)
    assert served.version == "20990101-000000-served"
    assert "items.csv does not match its checksum" in served.metadata["serving_fallback"]["reason"]
    assert "20991231-000000-cut" in caplog.text and "serving 20990101-000000-served" in caplog.text

    # CURRENT naming a folder that does not exist, or a name no version can have: the same fallback.
    for pointer, message in (("20000101-000000-gone", "20000101-000000-gone does not exist"),
                             ("x" * 200, "200 characters long")):
        (root / "CURRENT").write_text(pointer + "\n")
        served = Recommender.load(root)
        assert served.version == "20990101-000000-served"
        assert message in served.metadata["serving_fallback"]["reason"]
        assert len(served.metadata["serving_fallback"]["wanted"]) <= artifacts.MAX_VERSION_LENGTH


def test_empty_or_deleted_current_falls_back_to_the_newest_version_that_served(model_root_copy: Path,
                                                                             caplog) -> None:
    root = model_root_copy
    oldest = artifacts.current_version(root)
    _copy_version(root, oldest, "20990101-000000-served", served=True)
    _copy_version(root, oldest, "20990601-000000-never", served=False)  # saved, never activated
    for state, damage in (("empty", lambda: (root / "CURRENT").write_text("\n")),
                          ("missing", lambda: (root / "CURRENT").unlink())):
        damage()
        caplog.clear()
        with caplog.at_level("ERROR", logger="recommender.artifacts"):
            served = Recommender.load(root)
        assert served.version == "20990101-000000-served", state
        fallback = served.metadata["serving_fallback"]
        assert fallback["wanted"] is None and f"CURRENT is {state}" in fallback["reason"], fallback
        assert "serving 20990101-000000-served" in caplog.text
    # Tidying (every start does) keeps what would serve, though a version that never served is newer.
    assert artifacts.tidy(root, keep=1) == [oldest]
    assert Recommender.load(root).version == "20990101-000000-served"
    # Versions that never served are not vetted: without any that did, there is no model.
    shutil.rmtree(root / "20990101-000000-served")
    with pytest.raises(ArtifactError, match="no trained model in"):
        Recommender.load(root)


def test_a_version_saved_before_rows_were_fingerprinted_still_loads(model_root_copy: Path) -> None:
    root = model_root_copy
    version = artifacts.current_version(root)
    assert version is not None
    meta = json.loads((root / version / "metadata.json").read_text())
    assert re.fullmatch(r"[0-9a-f]{64}", meta["rows_sha256"])
    del meta["rows_sha256"]
    (root / version / "metadata.json").write_text(json.dumps(meta))
    assert Recommender.load(root).version == version
    assert len(artifacts.load_items(root / version)) == meta["n_items"]
    assert len(artifacts.load_artifact(root / version).items) == meta["n_items"]


def test_load_items_refuses_moved_rows(model_root_copy: Path) -> None:
    version_dir = model_root_copy / str(artifacts.current_version(model_root_copy))
    _permute_rows(rebuilt=True)(version_dir)
    with pytest.raises(ArtifactError, match=_ROWS_MOVED):
        artifacts.load_items(version_dir)


def test_no_intact_version_means_no_model(model_root_copy: Path, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match=r"no trained model in .*python -m recommender train"):
        Recommender.load(tmp_path / "nowhere")
    root = model_root_copy
    only = artifacts.current_version(root)
    _truncate(root / only / "embeddings.npy")
    refused = r"does not match its checksum \(corrupt file\); no other intact model version in"
    with pytest.raises(ArtifactError, match=refused):
        Recommender.load(root)
    (root / "CURRENT").write_text("20000101-000000-gone\n")
    with pytest.raises(ArtifactError, match="20000101-000000-gone does not exist"):
        Recommender.load(root)
    with pytest.raises(ArtifactError, match="cannot activate"):
        artifacts.activate(root, "20000101-000000-gone")
    with pytest.raises(ArtifactError, match="not a valid version name"):
        artifacts.activate(root, "../" + only)


@pytest.mark.slow
def test_retrain_activates_over_a_broken_current(model_root_copy: Path) -> None:
    root = model_root_copy
    (root / "CURRENT").write_text("v" * 100 + "\n")
    outcome = pipeline.train_and_save(
        FIXTURES / "catalog_iso.csv", root, TrainConfig(arch="seed", epochs=1, seed=42),
        enrichment=FIXTURES / "enrichment.csv", gate=True,
    )
    assert outcome.activated and "cannot be loaded" in outcome.reason, outcome.reason
    assert artifacts.current_version(root) == outcome.version
    served = Recommender.load(root)
    assert served.version == outcome.version and "serving_fallback" not in served.metadata


def test_tidy_removes_stale_staging_and_old_versions_but_never_the_active_one(model_root_copy: Path) -> None:
    root = model_root_copy
    active = artifacts.current_version(root)
    names = [f"2099010{i}-000000-v{i}" for i in range(1, 7)]
    for name in names:
        _copy_version(root, active, name, served=False)
    stale, fresh = root / ".tmp-20990101-000000-abc-x1", root / ".tmp-20990102-000000-abc-x2"
    for staging in (stale, fresh):
        staging.mkdir()
        (staging / "metadata.json").write_text("{}")
    old = time.time() - artifacts.STALE_STAGING_SECONDS - 60
    os.utime(stale, (old, old))
    assert stale.name not in artifacts.list_versions(root)

    assert artifacts.tidy(root, keep=None) == [stale.name]  # staging only
    assert fresh.is_dir() and len(artifacts.list_versions(root)) == 7  # a save may still be writing it

    removed = artifacts.tidy(root, keep=3)
    assert sorted(removed) == names[:3]  # the active version is the oldest, yet stays
    assert artifacts.list_versions(root) == sorted([active, *names[3:]])
    assert Recommender.load(root).version == active


def _train_seed_into(root: Path) -> pipeline.TrainOutcome:
    return pipeline.train_and_save(
        FIXTURES / "catalog_iso.csv", root, TrainConfig(arch="seed", epochs=1, seed=42),
        enrichment=FIXTURES / "enrichment.csv",
    )


@pytest.mark.slow
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
                                     derived=DERIVED_FILES, metadata=meta) for _ in range(3)]
    assert len({p.name for p in paths}) == 3
    assert artifacts.list_versions(tmp_path) == sorted(p.name for p in paths)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]  # no staging left behind
    with pytest.raises(ArtifactError, match="already exists"):
        artifacts.save_artifact(tmp_path, embeddings=vectors, items=catalog_small.items, vocab={}, metadata=meta,
                                derived=DERIVED_FILES, version=paths[0].name)


@pytest.mark.slow
def test_catalog_smaller_than_k_trains_and_activates(tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("\n".join((FIXTURES / "catalog_iso.csv").read_text(encoding="utf-8").splitlines()[:7]) + "\n",
                    encoding="utf-8")
    outcome = pipeline.train_and_save(tiny, tmp_path / "models", TrainConfig(arch="seed", epochs=1, seed=1))
    assert outcome.activated, outcome.reason
    assert outcome.metrics["gate"]["metric"] == "language_type_agreement@10"
    assert 0.0 <= outcome.metrics["gate"]["value"] <= 1.0
    assert len(Recommender.load(tmp_path / "models").recommend(0, k=10).items) == 5


def test_tidy_keeps_pinned_versions_and_pins_are_checked_names(model_root_copy: Path) -> None:
    root = model_root_copy
    active = artifacts.current_version(root)
    assert active is not None
    names = [f"2000010{i}-000000-p{i}" for i in range(1, 4)]  # all older than the active version
    for name in names:
        _copy_version(root, active, name, served=False)
    assert artifacts.pinned(root) == []
    artifacts.set_pinned(root, [names[0]])
    assert artifacts.pinned(root) == [names[0]]
    assert sorted(artifacts.tidy(root, keep=1)) == names[1:]  # the pinned one stays, as CURRENT does
    assert artifacts.list_versions(root) == sorted([names[0], active])
    with pytest.raises(artifacts.ArtifactError, match="not a valid version name"):
        artifacts.set_pinned(root, ["../elsewhere"])
    assert artifacts.pinned(root) == [names[0]]  # a refused pin changes nothing
    artifacts.set_pinned(root, [])
    assert artifacts.tidy(root, keep=1) == [names[0]]
    assert artifacts.list_versions(root) == [active]
