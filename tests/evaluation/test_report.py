"""Text tables and the Markdown/PNG report."""

from __future__ import annotations

import numpy as np
import pytest

from lab.evaluation import benchmarks as b
from lab.evaluation.report import format_evaluation, pca_2d, write_report

from .test_benchmarks import RecordingTrainer


def test_pca_recovers_the_dominant_direction():
    rng = np.random.default_rng(0)
    x = np.outer(rng.normal(size=200), [3.0, 4.0, 0.0]) + rng.normal(0, 0.01, (200, 3))
    xy = pca_2d(x)
    assert xy.shape == (200, 2)
    assert np.var(xy[:, 0]) > 100 * np.var(xy[:, 1])


@pytest.mark.slow
def test_text_table_and_markdown_report(tmp_path, fixture_catalog):
    result = b.genre_benchmark(
        fixture_catalog, queries=40, trainer=RecordingTrainer(), resamples=50, with_seed_model=False
    )
    text = format_evaluation(result.evaluations["loose"])
    assert "40 queries" in text and "NDCG@10" in text and "title TF-IDF" in text
    assert "paired difference model - baseline" in text
    path = write_report(tmp_path / "r", "t", result.evaluations, embeddings=result.space, items=fixture_catalog.items)
    md = path.read_text()
    assert "| system | P@10 |" in md
    pngs = sorted(p.name for p in path.parent.glob("*.png"))
    assert pngs == ["embedding-map.png", "metrics-loose.png", "metrics-strict.png"]
    assert all(f"]({p})" in md for p in pngs)
    assert all((path.parent / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
