"""The hub count is made when a version is saved and served from its file (recommender/ranking/hubs.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from recommender import artifacts
from recommender.pipeline import save_version_hubs
from recommender.ranking import ranker as ranker_module
from recommender.ranking.blend import BlendWeights
from recommender.ranking.hubs import HUBS_FILE
from recommender.serving import Recommender


def test_a_version_serves_the_hub_count_saved_for_its_weights(model_dir: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    version = Path(shutil.copytree(model_dir, tmp_path / model_dir.name))
    counted = Recommender.load(version)  # saved without a count: counted at load
    assert counted.ranker.hubs.values.nnz > 0
    save_version_hubs(counted, version)

    def no_counting(*args: object, **kwargs: object) -> None:
        raise AssertionError("the saved count was not used")

    monkeypatch.setattr(ranker_module, "count_hubs", no_counting)
    served = Recommender.load(version)
    assert (served.ranker.hubs.values != counted.ranker.hubs.values).nnz == 0
    rows = np.argsort(-served.items["hours_viewed"].to_numpy())[:40]
    assert [served.ranker.rank(int(r), 10)[0] for r in rows] == [counted.ranker.rank(int(r), 10)[0] for r in rows]
    other = BlendWeights({**served.ranker.weights.weights, "hub": -20.0}, dict(served.ranker.weights.fitted))
    with pytest.raises(AssertionError, match="saved count"):  # a count made for other weights is not used
        served.ranker.use_weights(other, served.ranker.hubs)


def test_a_damaged_hub_count_makes_the_version_unloadable(model_dir: Path, tmp_path: Path) -> None:
    version = Path(shutil.copytree(model_dir, tmp_path / model_dir.name))
    save_version_hubs(Recommender.load(version), version)
    with (version / HUBS_FILE).open("r+b") as handle:
        handle.seek(-8, 2)
        handle.write(b"\0" * 8)
    with pytest.raises(artifacts.ArtifactError, match="checksum"):
        Recommender.load(version)
