"""Benchmarks on the fixture catalog: rules (queries, candidates, exclusions, held-out split) with a
fake trainer, plus one tiny real training run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lab.evaluation import benchmarks as b


class FakeModel:
    """Embeds from language, type and year only (what a metadata-only model could know)."""

    def __init__(self, items: pd.DataFrame) -> None:
        self.embeddings = self.embed_items(items)

    def embed_items(self, items: pd.DataFrame) -> np.ndarray:
        v = np.zeros((len(items), 12), dtype=np.float32)
        v[np.arange(len(items)), items["language_id"].to_numpy() % 6] = 1.0
        v[np.arange(len(items)), 6 + items["type_id"].to_numpy() % 2] = 1.0
        v[:, 8] = items["release_year"].fillna(2000).to_numpy(dtype=float) / 2000.0
        v[:, 9] = items["popularity"].to_numpy(dtype=float)
        v[:, 10] = items["title"].str.len().to_numpy(dtype=float) / 50.0  # per item, independent of the table
        v[:, 11] = 0.1
        return v / np.linalg.norm(v, axis=1, keepdims=True)


class RecordingTrainer:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __call__(self, catalog, withhold, arch, epochs, seed):
        self.calls.append((catalog, frozenset(withhold), arch, epochs, seed))
        return FakeModel(catalog.items)


def test_genre_benchmark_withholds_genres_and_uses_one_query_per_franchise(fixture_catalog):
    trainer = RecordingTrainer()
    result = b.genre_benchmark(fixture_catalog, queries=60, epochs=3, trainer=trainer, resamples=50)
    assert [(c[1], c[2], c[3]) for c in trainer.calls] == [
        (frozenset({"genres"}), "default", 3),
        (frozenset({"genres"}), "seed", 3),
    ]
    loose = result.evaluations["loose"]
    items = fixture_catalog.items.reset_index(drop=True)
    queries = loose.task.queries
    assert len(queries) == 60 and items["franchise_key"].iloc[queries].is_unique
    assert (items["genres"].iloc[loose.task.candidates] != "").all()
    systems = [r.name for r in loose.runs]
    assert systems == ["model", "seed model", "random", "most popular", "same language+type, popular", "title TF-IDF"]
    # no system may return the query's own franchise
    keys = items["franchise_key"].to_numpy()
    row_of = dict(zip(items["item_id"], range(len(items)), strict=False))
    for run in loose.runs:
        for q, ranked in zip(queries, run.lists, strict=False):
            assert len(ranked) == 10
            assert all(keys[row_of[i]] != keys[q] for i in ranked)
    chance = result.summary["random_pair_agreement"]
    assert 0 < chance["strict"] < chance["loose"] < 1
    # strict relevance never exceeds loose relevance
    strict = result.evaluations["strict"]
    assert all(set(s) <= set(lo) for s, lo in zip(strict.task.relevance, loose.task.relevance, strict=False))
    # the random baseline's precision sits near the share of relevant candidates
    rate = loose.task.notes["relevant_share_of_candidates"]
    assert abs(loose.estimates["random"]["precision"].mean - rate) < 0.1


def test_genre_benchmark_refuses_to_show_genres_to_the_model(fixture_catalog):
    with pytest.raises(b.BenchmarkError, match="must withhold genres"):
        b.genre_benchmark(fixture_catalog, trainer=RecordingTrainer(), withhold=frozenset())


def test_genre_benchmark_without_enrichment_says_what_is_missing(fixture_catalog):
    bare = b._subset_catalog(fixture_catalog, np.arange(len(fixture_catalog.items)))
    bare.items["genres"] = ""
    with pytest.raises(b.BenchmarkError, match="pass --enrich"):
        b.genre_benchmark(bare, trainer=RecordingTrainer())


def test_cold_start_holds_out_whole_franchises_and_gives_them_new_ids(fixture_catalog):
    trainer = RecordingTrainer()
    result = b.cold_start_benchmark(fixture_catalog, trainer=trainer, resamples=50)
    train_catalog = trainer.calls[0][0]
    warm_catalog = trainer.calls[1][0]
    assert warm_catalog is fixture_catalog
    n = len(fixture_catalog.items)
    train_keys = set(train_catalog.items["franchise_key"])
    held = fixture_catalog.items[~fixture_catalog.items["franchise_key"].isin(train_keys)]
    assert 0.2 * n <= len(held) <= 0.3 * n  # whole franchises, at least 20% of items
    assert train_catalog.items["item_id"].tolist() == list(range(len(train_catalog.items)))
    evaluation = result.evaluations["cold-start"]
    assert set(evaluation.task.queries) <= set(np.flatnonzero(~fixture_catalog.items["franchise_key"].isin(train_keys)))
    assert [r.name for r in evaluation.runs][:2] == ["cold (held out)", "warm (trained on all)"]
    # the fake model embeds from metadata only, so cold and warm agree: ratio 1
    assert result.summary["cold_over_warm"]["mean"] == pytest.approx(1.0)


def test_franchise_benchmark_lets_siblings_rank(fixture_catalog):
    result = b.franchise_benchmark(fixture_catalog, queries=50, trainer=RecordingTrainer(), resamples=50)
    evaluation = result.evaluations["franchise"]
    assert not evaluation.task.exclude_franchise
    tfidf = evaluation.estimates["title TF-IDF"]
    assert tfidf["hit_at_1"].mean > 0.8  # titles of seasons look alike: the gate is easy for TF-IDF
    assert evaluation.estimates["random"]["hit_at_1"].mean < 0.1


@pytest.mark.slow
def test_genre_benchmark_with_a_real_tiny_training_run(fixture_catalog):
    result = b.genre_benchmark(fixture_catalog, queries=80, epochs=2, resamples=100, with_seed_model=False)
    loose = result.evaluations["loose"]
    assert loose.runs[0].name == "model"
    emb = result.space
    assert emb is not None
    assert emb.shape[0] == len(fixture_catalog.items)
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)
    # measured, not asserted to win: only that the run produced defined values for every query
    assert loose.estimates["model"]["ndcg"].n == 80


@pytest.mark.slow
def test_cli_benchmark_all_json_and_report(tmp_path, monkeypatch, capsys):
    """The CLI path end to end, with the fake trainer standing in for TensorFlow (speed only)."""
    import json

    from lab.cli import main

    from .conftest import FIXTURES

    trainer = RecordingTrainer()
    monkeypatch.setattr(b, "default_trainer", lambda progress=None: trainer)
    code = main(
        [
            "evaluate",
            "--benchmark",
            "all",
            "--data",
            str(FIXTURES / "catalog_iso.csv"),
            "--enrich",
            str(FIXTURES / "enrichment.csv"),
            "--no-enrich",  # the fixture listing alone: small and known
            "--json",
            "--resamples",
            "20",
            "--queries",
            "40",
            "--epochs",
            "1",
            "--report",
            str(tmp_path / "report"),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    data = json.loads(captured.out)
    assert list(data["benchmarks"]) == ["genre", "cold-start", "franchise"]
    genre = data["benchmarks"]["genre"]["evaluations"]["loose"]
    assert genre["queries"] == 40 and genre["k"] == 10 and genre["bootstrap"]["resamples"] == 20
    assert set(genre["systems"]["model"]["ndcg"]) == {"mean", "ci_low", "ci_high", "n", "skipped"}
    # the genres-withheld default model is trained once and shared by `genre` and `cold-start` (warm)
    keys = [(id(c[0]), c[1], c[2]) for c in trainer.calls]
    assert len(keys) == len(set(keys)) == 4  # genre default, seed, cold (subset), franchise (no withhold)
    report = (tmp_path / "report" / "report.md").read_text()
    assert "### Benchmark `cold-start`" in report and "embedding-map.png" in report


def test_cli_benchmark_without_enrichment_exits_2(monkeypatch, capsys):
    from lab.cli import main

    from .conftest import FIXTURES

    monkeypatch.setattr(b, "default_trainer", lambda progress=None: RecordingTrainer())
    code = main(["evaluate", "--benchmark", "genre", "--data", str(FIXTURES / "catalog_iso.csv"), "--no-enrich"])
    assert code == 2
    assert "pass --enrich CSV" in capsys.readouterr().err
