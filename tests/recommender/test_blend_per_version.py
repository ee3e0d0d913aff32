"""Every trained version carries blend weights fitted on its own embedding, and the gate compares like with like.

Weights fitted on one embedding lose about 0.01 NDCG on a model retrained with another seed, so
`train`/`retrain` fit them on the embedding they have just trained. The bundled dev set resolves
only on the shipped catalog, so these tests point the dev-set lookup at a small judgments file
written over the fixture catalog (same format, same loader).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recommender import artifacts, pipeline
from recommender.catalog import Catalog
from recommender.ranking import taste
from recommender.ranking.blend import WEIGHTS_FILE, BlendWeights
from recommender.ranking.channels import CHANNELS
from recommender.ranking.ranker import Ranker
from recommender.serving import Recommender
from recommender.training import TrainConfig

pytestmark = pytest.mark.slow  # real retrains

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def fixture_dev_set(tmp_path: Path, catalog_small: Catalog, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Judgments over the fixture catalog: titles sharing a first genre go together (40 queries)."""
    items = catalog_small.items
    first_genre = items["genres"].fillna("").astype(str).str.split(",").str[0].str.strip()
    described = items[(first_genre != "") & ~items["title"].duplicated(keep=False)].assign(genre=first_genre)
    pairs = []
    for _, group in described.groupby("genre"):
        for _, query in group.head(6).iterrows():
            mates = group[group["franchise_key"] != query["franchise_key"]].head(5)
            pairs += [(query["title"], mate, 1.0) for mate in mates["title"]]
    frame = pd.DataFrame(pairs, columns=["query_title", "relevant_title", "score"])
    assert frame["query_title"].nunique() >= taste.MIN_TASTE_QUERIES
    frame.to_csv(tmp_path / "dev_pairs.csv", index=False)
    described[["title"]].to_csv(tmp_path / "dev_candidates.csv", index=False)
    monkeypatch.setattr(taste, "bundled", lambda name: tmp_path / name)
    return tmp_path


def _retrain(root: Path, seed: int = 42) -> pipeline.TrainOutcome:
    return pipeline.train_and_save(
        FIXTURES / "catalog_iso.csv", root, TrainConfig(arch="seed", epochs=1, seed=seed),
        enrichment=FIXTURES / "enrichment.csv", gate=True,
    )


def test_a_retrain_fits_and_serves_its_own_weights_and_measures_the_old_one_like_with_like(
    model_root_copy: Path, fixture_dev_set: Path
) -> None:
    root = model_root_copy
    old_version = artifacts.current_version(root)
    assert old_version is not None and not (root / old_version / WEIGHTS_FILE).exists()

    outcome = _retrain(root)
    own = BlendWeights.for_model(outcome.path)
    assert own.fitted["model"] == outcome.version and own.fitted["queries"] >= taste.MIN_TASTE_QUERIES
    assert outcome.metrics["blend"] == own.fitted
    assert own.weights != BlendWeights.load().weights  # fitted here, not the package file copied
    files = json.loads((outcome.path / "metadata.json").read_text(encoding="utf-8"))["files"]
    assert files[WEIGHTS_FILE] == artifacts.sha256_file(outcome.path / WEIGHTS_FILE)

    served = Recommender.load(outcome.path)
    assert served.ranker.weights.weights == own.weights
    gate = pipeline.quality_gate(served)
    assert gate["metric"] == "taste_ndcg@10"
    assert gate["value"] == outcome.metrics["gate"]["value"]  # what was gated is what serves

    # The current version had no weights of its own: the gate fitted them the same way before measuring it.
    old = Recommender.load(root / old_version)
    assert old.ranker.weights.weights == BlendWeights.load().weights
    refit = taste.fit_for_ranker(old.ranker, old.items, old.resolve)
    assert refit is not None
    old.ranker.use_weights(refit.weights)
    assert f"{pipeline.quality_gate(old)['value']:.3f}" in outcome.reason


def test_a_damaged_weights_file_is_refused_and_the_previous_version_serves(
    model_root_copy: Path, fixture_dev_set: Path
) -> None:
    root = model_root_copy
    previous = artifacts.current_version(root)
    outcome = _retrain(root, seed=3)
    artifacts.activate(root, outcome.version)
    weights_file = outcome.path / WEIGHTS_FILE
    text = weights_file.read_text(encoding="utf-8")
    weights_file.write_text(text.replace('"weights": {', '"weights": {"embedding": 99.0, ', 1), encoding="utf-8")
    served = Recommender.load(root)
    assert served.version == previous and served.metadata["serving_fallback"]["wanted"] == outcome.version
    assert "checksum" in served.metadata["serving_fallback"]["reason"]


def test_use_weights_replaces_the_cached_one_query_scorer(session_recommender: Recommender) -> None:
    ranker = Ranker(session_recommender.items, session_recommender.embeddings)
    row = 0
    before = ranker.scores(row).copy()  # builds and caches the one-query scorer
    only_embedding = BlendWeights({"embedding": 1.0})
    ranker.use_weights(only_embedding)
    expected = ranker.channels.blend(only_embedding.vector(), np.array([row]))[0]
    assert np.allclose(ranker.scores(row), expected, atol=1e-5)
    assert not np.allclose(ranker.scores(row), before, atol=1e-5)


def test_a_catalog_the_dev_set_does_not_cover_keeps_the_package_weights(session_recommender: Recommender) -> None:
    """The fixture catalog resolves only a handful of the bundled dev queries: nothing to fit on."""
    rec = session_recommender
    assert taste.fit_for_ranker(rec.ranker, rec.items, rec.resolve) is None


def test_a_versions_fit_keeps_the_channels_the_package_fit_dropped_at_zero(
    session_recommender: Recommender, fixture_dev_set: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version's fit re-weighs the package's channels, it does not pick them again: a channel the package
    fit gives 0 (title character n-grams, the costliest to serve) stays at 0 on every retrain."""
    rec = session_recommender
    package = BlendWeights.load()
    free = taste.fit_for_ranker(rec.ranker, rec.items, rec.resolve)
    # The fixture's pairs share a genre: with genres in the package weights, the fit weighs them.
    assert free is not None and free.weights.weights.get("genres", 0.0) > 0
    assert set(free.weights.weights) <= set(package.weights)
    without_genres = BlendWeights({k: v for k, v in package.weights.items() if k != "genres"}, package.fitted)
    monkeypatch.setattr(BlendWeights, "load", classmethod(lambda cls, path=None: without_genres))
    fitted = taste.fit_for_ranker(rec.ranker, rec.items, rec.resolve)
    assert fitted is not None and "genres" not in fitted.weights.weights
    assert fitted.weights.vector()[CHANNELS.index("genres")] == 0
