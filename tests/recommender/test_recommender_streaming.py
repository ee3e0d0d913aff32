"""Training at scale, on tiny data with real TensorFlow: one-pass features, the `tf.data` stream, the logQ
correction, the distribution strategy flag and the epoch cost `bench-scale` reports.

The figures at 10^4..10^6 items come from `scripts/bench_training.py`, never from a timed test.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from recommender.catalog import Catalog
from recommender.cli import build_parser
from recommender.events import EpochEvent, parse_event
from recommender.features import MIN_FRANCHISES, OOV, FeatureSpace, item_tokens
from recommender.training import EpochProgress, TrainConfig, TrainingConfigError, measure_epoch, train

pytestmark = pytest.mark.slow  # real training at scale on tiny data

SMALL_BATCH = 64  # ten steps per epoch on the 686-item fixture: enough for the loss to move


def test_one_pass_features_match_their_definition(catalog_small: Catalog) -> None:
    """The vocabulary is every token seen in enough franchises (counted the slow, obvious way), sorted;
    ragged ids padded for any rows equal those rows encoded on their own."""
    items = catalog_small.items
    space, encoded = FeatureSpace.fit_encode(items)
    franchises: dict[str, dict[str, set]] = {g: defaultdict(set) for g in space.groups}
    for row in items.to_dict("records"):
        for g, toks in item_tokens(row).items():
            if g in franchises:
                for tok in toks:
                    franchises[g][tok].add(row.get("franchise_key") or row["title"])
    for g in space.groups:
        expected = sorted(t for t, f in franchises[g].items() if len(f) >= MIN_FRANCHISES.get(g, 1))
        assert space.vocab[g] == expected, g
    assert "genres" in space.groups and len(encoded) == len(items)

    rows = np.array([0, 5, 300, len(items) - 1, 5])
    padded = encoded.padded(rows)
    alone = space.transform(items.iloc[rows])
    for g in space.groups:
        np.testing.assert_array_equal(padded[g], alone[g])
    # Words of one franchise only are kept as OOV (a slot that says "a rare word"), not dropped.
    assert (encoded.groups["title_words"].values == OOV).any()


def test_logq_corrected_loss_equals_a_direct_computation() -> None:
    """compute_loss = symmetric softmax cross-entropy over a.b/T - log Q_j, siblings masked, by numpy."""
    from recommender.model import ContrastiveTrainer, batch_inclusion_log_q, corrected_logits

    rng = np.random.default_rng(0)
    a, b = (rng.normal(size=(5, 4)).astype(np.float32) for _ in range(2))
    franchise = np.array([0, 1, 1, 2, 3], dtype=np.int32)  # items 1 and 2 are siblings
    log_q = np.log(np.array([0.5, 0.1, 0.2, 0.05, 0.9], dtype=np.float32))
    temperature = 0.5

    def reference(x: np.ndarray, y: np.ndarray) -> float:
        logits = x @ y.T / temperature - log_q[None, :]
        siblings = (franchise[:, None] == franchise[None, :]) & ~np.eye(5, dtype=bool)
        logits = np.where(siblings, -1e9, logits)
        logits -= logits.max(axis=1, keepdims=True)
        log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        return float(-np.diag(log_softmax).mean())

    trainer = ContrastiveTrainer(None, ["g"], [1], temperature=temperature)  # the loss needs no encoder
    loss = float(trainer.compute_loss(y=(franchise, log_q), y_pred=(a, b)))
    assert loss == pytest.approx(0.5 * (reference(a, b) + reference(b, a)), rel=1e-5)
    np.testing.assert_allclose(np.asarray(corrected_logits(a, b, log_q, temperature)),
                               a @ b.T / temperature - log_q[None, :], rtol=1e-5)

    # The correction matters only when draws are skewed: a uniform log Q changes no loss (softmax ignores
    # a constant shift), a skewed one does.
    uniform = np.full(5, np.log(0.3), dtype=np.float32)
    no_correction = np.zeros(5, dtype=np.float32)
    assert float(trainer.compute_loss(y=(franchise, uniform), y_pred=(a, b))) == pytest.approx(
        float(trainer.compute_loss(y=(franchise, no_correction), y_pred=(a, b))), rel=1e-5)
    assert loss != pytest.approx(float(trainer.compute_loss(y=(franchise, no_correction), y_pred=(a, b))), rel=1e-3)

    # log Q: B/N for one draw of each item per epoch; 1 - (1 - p)^B for B draws with probabilities p.
    np.testing.assert_allclose(batch_inclusion_log_q(None, 1000, 50), np.log(0.05), rtol=1e-6)
    p = np.array([0.5, 0.3, 0.2, 1e-9])
    np.testing.assert_allclose(np.exp(batch_inclusion_log_q(p, 4, 3)), 1 - (1 - p) ** 3, rtol=1e-5)


def test_stream_draws_batches_by_popularity_with_matching_log_q(catalog_small: Catalog) -> None:
    from recommender.model import ContrastiveEncoder

    items = catalog_small.items
    config = TrainConfig(batch_size=SMALL_BATCH, popularity_sampling=1.0)
    stream = ContrastiveEncoder.build(catalog_small, config).stream(catalog_small, config)
    assert len(stream) == len(items) // SMALL_BATCH
    assert stream.dataset().element_spec[0][0].shape.as_list() == [None, sum(stream.lengths)]
    for (view_a, view_b), (franchise, log_q) in stream.batches():
        assert view_a.shape == view_b.shape == (SMALL_BATCH, sum(stream.lengths))
        # Complementary views: no token id sits in both views at the same position.
        assert not ((view_a > 0) & (view_b > 0)).any()
        assert franchise.shape == log_q.shape == (SMALL_BATCH,)
        assert np.isin(log_q, stream.log_q).all()
    # Draw frequencies follow (1 + hours) ** 1: the most viewed tenth is drawn far more than the least.
    counts = np.bincount(np.concatenate([stream._epoch_rows() for _ in range(200)]), minlength=len(items))
    hours = items["hours_viewed"].to_numpy(dtype=float)
    top, bottom = hours >= np.quantile(hours, 0.9), hours <= np.quantile(hours, 0.1)
    assert counts[top].mean() > 5 * counts[bottom].mean()
    assert stream.probability is not None
    expected = stream.probability * len(stream) * SMALL_BATCH * 200
    assert np.corrcoef(counts, expected)[0, 1] > 0.95
    # log Q is the item's own: higher for the items drawn more.
    assert stream.log_q[top].mean() > stream.log_q[bottom].mean()


def test_streamed_training_with_popularity_draws_under_mirrored_strategy_learns(catalog_small: Catalog) -> None:
    """The `mirrored` strategy (one CPU replica here) with logQ-corrected popularity draws: the loss goes
    down and the embeddings are unit rows, one per item, not collapsed."""
    seen: list[EpochProgress] = []
    config = TrainConfig(epochs=2, batch_size=SMALL_BATCH, popularity_sampling=0.5, strategy="mirrored")
    trained = train(catalog_small, config, seen.append)
    assert len(trained.history) == 2 and trained.history[1] < trained.history[0], trained.history
    assert trained.embeddings.shape == (len(catalog_small.items), 64)
    np.testing.assert_allclose(np.linalg.norm(trained.embeddings, axis=1), 1.0, atol=1e-5)
    assert len(np.unique(trained.embeddings.round(3), axis=0)) > 0.9 * len(catalog_small.items)
    assert [p.items for p in seen] == [len(catalog_small.items)] * 2
    assert all(p.peak_rss_mb is not None and p.peak_rss_mb > 50 for p in seen)


def test_measure_epoch_reports_the_cost_of_one_epoch(catalog_small: Catalog) -> None:
    cost = measure_epoch(catalog_small, TrainConfig(batch_size=SMALL_BATCH))
    assert cost.items == len(catalog_small.items)
    assert cost.steps == len(catalog_small.items) // SMALL_BATCH
    assert 0 < cost.epoch_s < 120 and 0 < cost.featurize_s < 120
    assert 50 < cost.peak_rss_mb < 16_000


def test_strategy_and_sampling_settings_are_checked() -> None:
    with pytest.raises(TrainingConfigError, match="unknown strategy"):
        TrainConfig(strategy="tpu")
    with pytest.raises(TrainingConfigError, match="sampling"):
        TrainConfig(popularity_sampling=-1)
    args = build_parser().parse_args(["train", "--strategy", "mirrored", "--popularity-sampling", "0.5"])
    assert (args.strategy, args.popularity_sampling) == ("mirrored", 0.5)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--strategy", "tpu"])


def test_epoch_event_carries_its_cost_through_json() -> None:
    event = EpochEvent(epoch=1, epochs=3, loss=2.5, seconds=1.25, peak_rss_mb=812.4, items=100_000)
    assert parse_event(event.to_json()) == event
    assert event.describe() == "epoch 1/3  loss 2.5000  (1.2s, peak 812 MB, 100,000 items)"
