"""Fit the vote-trained embedding correction (`recommender.ranking.correction`) at retrain.

What it learns from, all of it what the vote path recorded (no ratings, no taste data):
- **positives**: pairs of titles one member liked, as the co-likes count them (the titles they asked
  about in a request they voted on, and the titles they 👍): a 👍 under a list is the pair (asked
  title, 👍 title), and a member's likes across lists link titles nobody voted on together;
- **sampled negatives**: the other positives' titles in the same batch (an in-batch softmax, so a
  title many members like is not pulled toward everything);
- **hard negatives**: 👎 pairs, pushed below their content cosine.

The model is a small Keras one: a per-title offset for every liked or voted title and a low-rank
linear map shared by all titles, both starting at zero and pulled back toward zero by an L2 term, so
the corrected embedding starts as the content one and moves only as far as the votes pay for.
TensorFlow is imported only here (retrain and the lab), never by serving.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.ranking.correction import EmbeddingCorrection
from recommender.ranking.votes import TitleRows


@dataclass(frozen=True)
class CorrectionFit:
    """The fit's few numbers (chosen on the voters' own half of the taste data, docs/community-loop.md)."""

    rank: int = 8
    temperature: float = 0.1
    l2_delta: float = 200.0  # on the mean squared norm of the titles' offsets: they stay small
    l2_map: float = 5.0  # on the squared Frobenius norms of the low-rank map's two factors, over d
    epochs: int = 5
    batch: int = 1024
    learning_rate: float = 0.01
    pairs_per_member: int = 200  # a very active member's likes do not outweigh everyone else's
    seed: int = 0


def training_pairs(member_votes: pd.DataFrame, row_of: Mapping[str, int] | TitleRows,
                   pairs_per_member: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(positives, hard negatives) as (n, 2) catalog-row arrays from each member's latest votes.

    `row_of.get(title)` gives a title's catalog row (None for titles this catalog lacks)."""
    get = row_of.get
    liked = pd.concat([
        member_votes.loc[member_votes["value"] > 0, ["user_id", "item_title"]].rename(columns={"item_title": "title"}),
        member_votes[["user_id", "query_title"]].rename(columns={"query_title": "title"}),
    ]).drop_duplicates()
    liked = liked.assign(row=liked["title"].astype(str).map(get)).dropna(subset=["row"])
    rng = np.random.default_rng(seed)
    positives: list[np.ndarray] = []
    for _, rows in liked.groupby("user_id", sort=True)["row"]:
        titles = np.unique(rows.to_numpy(np.int64))
        if len(titles) < 2:
            continue
        a, b = np.meshgrid(titles, titles, indexing="ij")
        pairs = np.stack([a.ravel(), b.ravel()], axis=1)
        pairs = pairs[pairs[:, 0] != pairs[:, 1]]
        if len(pairs) > pairs_per_member:
            pairs = pairs[rng.choice(len(pairs), pairs_per_member, replace=False)]
        positives.append(pairs)
    down = member_votes[member_votes["value"] < 0]
    q = down["query_title"].astype(str).map(get)
    t = down["item_title"].astype(str).map(get)
    known = q.notna() & t.notna()
    negatives = np.stack([q[known].to_numpy(np.int64), t[known].to_numpy(np.int64)], axis=1)
    pos = np.concatenate(positives) if positives else np.zeros((0, 2), dtype=np.int64)
    return pos, negatives.reshape(-1, 2)


def fit_correction(member_votes: pd.DataFrame, row_of: Mapping[str, int] | TitleRows, embeddings: np.ndarray,
                   fit: CorrectionFit | None = None) -> EmbeddingCorrection | None:
    """Train the correction on the votes; None when the votes hold no pair of liked titles.

    `embeddings` is the model's unit content embedding (`Ranker.channels.embeddings`)."""
    fit = fit or CorrectionFit()
    positives, negatives = training_pairs(member_votes, row_of, fit.pairs_per_member, fit.seed)
    if len(positives) == 0:
        return None
    from recommender.tensorflow_runtime import import_tensorflow

    tf = import_tensorflow()
    import keras

    keras.utils.set_random_seed(fit.seed)
    rows = np.unique(np.concatenate([positives.ravel(), negatives.ravel()]))
    local = {int(r): i for i, r in enumerate(rows)}
    pos = np.vectorize(local.__getitem__, otypes=[np.int64])(positives)
    neg = np.vectorize(local.__getitem__, otypes=[np.int64])(negatives) if len(negatives) else negatives
    d = embeddings.shape[1]
    base = tf.constant(embeddings[rows].astype(np.float32))
    delta = tf.Variable(tf.zeros((len(rows), d)), name="delta")
    left = tf.Variable(tf.random.normal((d, fit.rank), stddev=0.1, seed=fit.seed), name="left")
    right = tf.Variable(tf.zeros((fit.rank, d)), name="right")
    optimizer = keras.optimizers.Adam(fit.learning_rate)
    params = [delta, left, right]
    neg_before = (tf.reduce_sum(tf.gather(base, neg[:, 0]) * tf.gather(base, neg[:, 1]), axis=1)
                  if len(neg) else None)

    def vectors(idx):
        b = tf.gather(base, idx)
        return tf.math.l2_normalize(b + tf.matmul(tf.matmul(b, left), right) + tf.gather(delta, idx), axis=1)

    @tf.function
    def step(a, b, nq, nt, nb):
        with tf.GradientTape() as tape:
            va, vb = vectors(a), vectors(b)
            logits = tf.matmul(va, vb, transpose_b=True) / fit.temperature
            labels = tf.range(tf.shape(a)[0])
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
            if nq is not None:
                after = tf.reduce_sum(vectors(nq) * vectors(nt), axis=1)
                loss += tf.reduce_mean(tf.nn.softplus((after - nb) / fit.temperature))
            loss += (fit.l2_delta * tf.reduce_sum(tf.square(delta)) / len(rows)
                     + fit.l2_map * (tf.reduce_sum(tf.square(left)) + tf.reduce_sum(tf.square(right))) / d)
        optimizer.apply_gradients(zip(tape.gradient(loss, params), params, strict=True))
        return loss

    rng = np.random.default_rng(fit.seed)
    batch = min(fit.batch, len(pos))
    for _ in range(fit.epochs):
        order = rng.permutation(len(pos))
        for start in range(0, len(order) - batch + 1, batch):
            chosen = pos[order[start:start + batch]]
            if len(neg):
                hard = rng.integers(0, len(neg), min(batch, len(neg)))
                step(tf.constant(chosen[:, 0]), tf.constant(chosen[:, 1]), tf.constant(neg[hard, 0]),
                     tf.constant(neg[hard, 1]), tf.gather(neg_before, hard))
            else:
                step(tf.constant(chosen[:, 0]), tf.constant(chosen[:, 1]), None, None, None)
    return EmbeddingCorrection(rows.astype(np.int64), delta.numpy().astype(np.float32),
                               left.numpy().astype(np.float32), right.numpy().astype(np.float32), len(embeddings))
