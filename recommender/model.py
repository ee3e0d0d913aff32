"""Keras architectures: the content-feature item encoder (default) and the reference `seed` model.

Each architecture is one class implementing `training.Architecture` (build, fit, embed, vocabulary),
so training, cold start, the pipeline and the benchmarks never branch on the architecture's name.
Imported only by training and cold-start embedding; serving never needs TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from recommender.tensorflow_runtime import import_tensorflow

tf = import_tensorflow()

import keras  # noqa: E402  (after the quiet TensorFlow import above)
from keras import layers, ops  # noqa: E402

from recommender.catalog import Catalog  # noqa: E402
from recommender.features import GROUP_LENGTHS, OOV, EncodedItems, FeatureSpace  # noqa: E402

PREDICT_BATCH = 2048


@keras.saving.register_keras_serializable(package="recommender")
class MaskedMeanPool(layers.Layer):
    """Mean of token embeddings over the non-padding positions (zero vector for an empty group)."""

    def call(self, embedded, token_ids):
        mask = ops.cast(ops.not_equal(token_ids, 0), embedded.dtype)[..., None]
        total = ops.sum(embedded * mask, axis=1)
        count = ops.maximum(ops.sum(mask, axis=1), 1.0)
        return total / count


@keras.saving.register_keras_serializable(package="recommender", name="L2Normalize")
class L2Normalize(layers.UnitNormalization):
    """Keras's own unit normalisation under the name models saved before it was adopted refer to.

    New encoders use `layers.UnitNormalization` directly; this alias only lets an older
    `model.keras` (whose config says `recommender>L2Normalize`, without an `axis`) load.
    """


def group_dim(space: FeatureSpace, group: str) -> int:
    """Small vocabularies get small embeddings; text groups get wider ones."""
    size = space.vocab_size(group)
    return 8 if size <= 64 else 32


def build_item_encoder(space: FeatureSpace, embedding_dim: int = 64) -> keras.Model:
    """Item tower: per-group embedding lookups, masked mean pooling, an MLP, and L2 normalisation.

    There is deliberately no content_id embedding: an item's vector is a function of what the item
    is, so a title never seen in training (cold start) is embedded exactly like a known one.
    """
    inputs, pooled = {}, []
    for group in space.groups:
        ids = keras.Input(shape=(GROUP_LENGTHS[group],), dtype="int32", name=group)
        inputs[group] = ids
        table = layers.Embedding(space.vocab_size(group), group_dim(space, group), name=f"{group}_embedding")
        pooled.append(MaskedMeanPool(name=f"{group}_pool")(table(ids), ids))
    x = layers.Concatenate(name="features")(pooled)
    x = layers.Dense(256, activation="relu", name="hidden")(x)
    x = layers.Dense(embedding_dim, name="projection")(x)
    return keras.Model(inputs, layers.UnitNormalization(name="embedding")(x), name="item_encoder")


def build_seed_model(n_items: int, n_languages: int, n_types: int) -> tuple[keras.Model, keras.Model]:
    """The original write-up's model, kept verbatim as the reference baseline.

    content_id(32) + language(8) + type(4) embeddings -> Dense(64, relu) -> Dense(32, relu) ->
    softmax over all contents, trained to predict its own content_id. Its input holds the label, so
    it can only memorise; the 32-d layer is what gets exported as its "embedding".
    Returns (classifier, embedder) sharing weights.
    """
    content = keras.Input(shape=(), dtype="int32", name="content_id")
    language = keras.Input(shape=(), dtype="int32", name="language_id")
    kind = keras.Input(shape=(), dtype="int32", name="type_id")
    x = layers.Concatenate()(
        [
            layers.Embedding(n_items + 1, 32, name="content_embedding")(content),
            layers.Embedding(n_languages + 1, 8, name="language_embedding")(language),
            layers.Embedding(n_types + 1, 4, name="type_embedding")(kind),
        ]
    )
    x = layers.Dense(64, activation="relu")(x)
    hidden = layers.Dense(32, activation="relu", name="embedding")(x)
    output = layers.Dense(n_items + 1, activation="softmax", name="content_softmax")(hidden)
    inputs = {"content_id": content, "language_id": language, "type_id": kind}
    return keras.Model(inputs, output, name="seed"), keras.Model(inputs, hidden, name="seed_embedder")


def normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def _embed(model: keras.Model, n: int, inputs: Callable[[np.ndarray], dict[str, np.ndarray]]) -> np.ndarray:
    """Batched forward passes over rows 0..n-1, asking `inputs(rows)` for one batch's inputs at a time
    (a million items' padded inputs at once would take 0.5 GB); cheaper than `predict()` too."""
    out = [
        np.asarray(model(inputs(np.arange(start, min(start + PREDICT_BATCH, n))), training=False))
        for start in range(0, n, PREDICT_BATCH)
    ]
    if not out:
        return np.zeros((0, model.output.shape[-1]), np.float32)
    return normalise(np.concatenate(out).astype(np.float32))


# ---------------------------------------------------------------------------------------------
# Default: contrastive item encoder

# Groups masked together. Title words and trigrams carry the same information: split across views,
# the model could match words to trigrams and learn nothing but spelling. The five one-token
# metadata groups move as one profile, so a view is either "what it is about" or "what kind of
# title it is" far more often; on the genre benchmark this beat masking them one by one
# (NDCG@10 0.427 vs 0.407, 500 queries) and spread the embeddings out (mean cosine 0.78 vs 0.88).
MASKING_UNITS = (
    ("title_words", "title_trigrams"),
    ("language", "content_type", "year", "popularity", "availability"),
)


def masking_units(groups: Sequence[str]) -> list[list[str]]:
    units = [[g for g in unit if g in groups] for unit in MASKING_UNITS]
    grouped = {g for unit in units for g in unit}
    return [u for u in units if u] + [[g] for g in groups if g not in grouped]


def make_views(
    batch: dict[str, np.ndarray], rng: np.random.Generator, token_drop: float = 0.1, unknown_rate: float = 0.15
) -> tuple[dict, dict]:
    """Two complementary views: each masking unit goes to exactly one view (Yao et al.'s
    complementary feature masking), plus light token dropout. Because no unit is in both views,
    the only way to match them is to learn how features co-occur across items."""
    units = masking_units(list(batch))
    n = len(next(iter(batch.values())))
    to_a = rng.random((n, len(units))) < 0.5
    # Neither view may be empty: move one random unit across where that happened.
    empty_a = ~to_a.any(axis=1)
    to_a[empty_a, rng.integers(0, len(units), size=int(empty_a.sum()))] = True
    empty_b = to_a.all(axis=1)
    to_a[empty_b, rng.integers(0, len(units), size=int(empty_b.sum()))] = False
    view_a, view_b = {}, {}
    for j, unit in enumerate(units):
        for group in unit:
            ids = batch[group]
            # Some known tokens become OOV, as they would be for a title whose words and people
            # were never seen: trains the encoder to place cold-start titles well.
            ids = np.where((ids > OOV) & (rng.random(ids.shape) < unknown_rate), OOV, ids)
            kept = rng.random(ids.shape) >= token_drop
            view_a[group] = np.where(kept & to_a[:, j : j + 1], ids, 0).astype(np.int32)
            view_b[group] = np.where(kept & ~to_a[:, j : j + 1], ids, 0).astype(np.int32)
    return view_a, view_b


def batch_inclusion_log_q(probability: np.ndarray | None, n_items: int, batch_size: int) -> np.ndarray:
    """log Q_j: the log-probability that item j is among a batch's in-batch negatives.

    With each item drawn once per epoch (`probability` None) every item is in a batch with
    probability B / N; with B independent draws of probabilities p it is 1 - (1 - p_j)^B (about B p_j).
    """
    if probability is None:
        return np.full(n_items, np.log(batch_size / n_items), dtype=np.float32)
    # log(1 - (1 - p)^B) computed without cancellation for tiny p.
    return np.log(-np.expm1(batch_size * np.log1p(-np.minimum(probability, 1 - 1e-12)))).astype(np.float32)


def sampling_probability(items: pd.DataFrame, power: float) -> np.ndarray | None:
    """Per-item draw probability ∝ (1 + hours viewed) ** power; None (one draw each per epoch) at power 0."""
    if power <= 0:
        return None
    hours = items["hours_viewed"].to_numpy(dtype=np.float64) if "hours_viewed" in items else np.zeros(len(items))
    weights = np.power(1.0 + np.nan_to_num(np.maximum(hours, 0.0)), power)
    return weights / weights.sum()


class ViewStream:
    """The training input as a `tf.data` pipeline: per batch, look up the drawn items' features and mask two views.

    Nothing catalog-sized enters the TensorFlow graph: the features stay in ragged numpy arrays
    (`EncodedItems`) and each batch is gathered, padded and masked by a Python generator that
    `tf.data` runs ahead of the training step (`prefetch`), so memory per step is one batch whatever
    the catalog size, and an epoch costs time linear in the number of items.

    Each element is ((view_a, view_b), (franchise ids, log Q)): each view packed into one matrix
    (its groups side by side in the encoder's input order; one tensor per view crosses into the
    graph), and per item its franchise (siblings are not negatives) and log-probability of being in
    a batch (the logQ correction). One numpy generator drives the draw and the masking in a fixed
    order, so a seed gives the same model: Keras iterates the dataset afresh each epoch, and each
    iteration draws that epoch's order and then its batches' views, as the loop before it did.
    The ragged last batch is dropped: a tiny batch has too few negatives to be informative.
    """

    def __init__(self, encoded: EncodedItems, franchise: np.ndarray, batch_size: int, seed: int,
                 probability: np.ndarray | None = None) -> None:
        self.encoded = encoded
        self.groups = list(encoded.groups)  # the packing order of a view's matrix
        self.lengths = [encoded.groups[g].width for g in self.groups]
        self.franchise = franchise
        self.batch_size = batch_size
        self.probability = probability
        self.log_q = batch_inclusion_log_q(probability, len(franchise), batch_size)
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.franchise) // self.batch_size

    def _epoch_rows(self) -> np.ndarray:
        n, draws = len(self.franchise), len(self) * self.batch_size
        if self.probability is None:
            return self.rng.permutation(n)
        return self.rng.choice(n, size=draws, p=self.probability)

    def batches(self, limit: int | None = None) -> Iterator[tuple]:
        """One epoch's batches (the first `limit` of them if given)."""
        order = self._epoch_rows()
        steps = len(self) if limit is None else min(limit, len(self))
        for start in range(0, steps * self.batch_size, self.batch_size):
            rows = order[start : start + self.batch_size]
            view_a, view_b = make_views(self.encoded.padded(rows), self.rng)
            packed = tuple(np.concatenate([view[g] for g in self.groups], axis=1) for view in (view_a, view_b))
            yield packed, (self.franchise[rows], self.log_q[rows])

    def dataset(self, limit: int | None = None) -> Any:  # a tf.data.Dataset
        width = sum(self.lengths)
        signature = (
            (tf.TensorSpec((None, width), tf.int32), tf.TensorSpec((None, width), tf.int32)),
            (tf.TensorSpec((None,), tf.int32), tf.TensorSpec((None,), tf.float32)),
        )
        steps = len(self) if limit is None else min(limit, len(self))
        dataset = tf.data.Dataset.from_generator(lambda: self.batches(limit), output_signature=signature)
        return dataset.apply(tf.data.experimental.assert_cardinality(steps)).prefetch(2)


def corrected_logits(a: Any, b: Any, log_q: Any, temperature: float) -> Any:
    """a_i . b_j / T - log Q_j: in-batch logits with the sampling-bias correction of Yi et al. (2019).

    Every candidate column is shifted by its own log-probability of appearing in a batch, so items
    that are negatives often (popular ones, when draws follow popularity) are not pushed away more
    than their similarity warrants. With uniform draws the shift is one constant, which softmax ignores.
    """
    return tf.matmul(a, b, transpose_b=True) / temperature - log_q[None, :]


class ContrastiveTrainer(keras.Model):
    """Trains an item encoder so that two complementary views of an item find each other.

    Batches come from `ViewStream`: two packed views of each item plus its franchise id and log Q.
    `compute_loss` is the symmetric InfoNCE over in-batch negatives with the logQ correction. Other
    seasons of the same franchise (and other draws of the same item) are not negatives: their logits
    are removed, as TFRS's `remove_accidental_hits` does, because pushing `Outer Banks: Season 2` away
    from `Season 1` would teach the opposite of what recommendations need. Only `encoder` is saved;
    this wrapper exists to let `fit()`, its callbacks and `tf.distribute` strategies drive training.
    """

    def __init__(self, encoder: keras.Model, groups: list[str], lengths: list[int], *, temperature: float,
                 **kwargs: Any) -> None:
        """`groups` and `lengths`: the encoder's input groups in the order (and widths) a packed view holds them."""
        super().__init__(**kwargs)
        self.encoder = encoder
        self.groups, self.lengths = groups, lengths
        self.temperature = temperature
        self.loss_tracker = keras.metrics.Mean(name="loss")

    def call(self, inputs, training=False):
        """The two packed views' embeddings (Keras also calls this to build the model under a strategy)."""
        return tuple(
            self.encoder(dict(zip(self.groups, tf.split(packed, self.lengths, axis=1), strict=True)),
                         training=training)
            for packed in inputs
        )

    @property
    def metrics(self):
        return [self.loss_tracker]

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Symmetric corrected InfoNCE; `y` holds (franchise ids, log Q), `y_pred` the two views' embeddings."""
        a, b = y_pred
        franchise, log_q = y
        franchise = tf.reshape(franchise, (-1,))
        same = tf.equal(franchise[:, None], franchise[None, :])
        labels = tf.range(tf.shape(a)[0])
        siblings = same & ~tf.cast(tf.eye(tf.shape(a)[0]), tf.bool)
        total = 0.0
        for logits in (corrected_logits(a, b, log_q, self.temperature),
                       corrected_logits(b, a, log_q, self.temperature)):
            logits = tf.where(siblings, tf.constant(-1e9, logits.dtype), logits)
            total += tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
        return 0.5 * total

    def train_step(self, data):
        packed_views, targets = data
        with tf.GradientTape() as tape:
            pair = self(packed_views, training=True)
            loss = self.compute_loss(packed_views, targets, pair)
            # Replicas' gradients are summed by the optimizer: each contributes its share of the mean.
            scaled = loss / tf.distribute.get_strategy().num_replicas_in_sync
        variables = self.encoder.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables, strict=True))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}


class ContrastiveEncoder:
    """The default architecture: a content-feature encoder trained by `ContrastiveTrainer`."""

    name = "default"

    def __init__(self, space: FeatureSpace, encoder: keras.Model) -> None:
        self.space = space
        self.encoder = encoder
        self._encoded: tuple[pd.DataFrame, EncodedItems] | None = None

    @classmethod
    def build(cls, catalog: Catalog, config: Any) -> ContrastiveEncoder:
        space, encoded = FeatureSpace.fit_encode(catalog.items, config.withhold)
        built = cls(space, build_item_encoder(space, config.embedding_dim))
        built._encoded = (catalog.items, encoded)
        return built

    @classmethod
    def restore(cls, model: keras.Model, vocabulary: dict, trained_items: pd.DataFrame) -> ContrastiveEncoder:
        return cls(FeatureSpace.from_json(vocabulary), model)

    def _encode(self, items: pd.DataFrame) -> EncodedItems:
        """The items' features, reusing those `build` computed for the training catalog (the same frame):
        tokenising is the slow part of featurising a million titles, and it need not happen twice."""
        if self._encoded is not None and self._encoded[0] is items:
            return self._encoded[1]
        return self.space.encode(items)

    def stream(self, catalog: Catalog, config: Any) -> ViewStream:
        franchise = pd.factorize(catalog.items["franchise_key"])[0].astype(np.int32)
        return ViewStream(self._encode(catalog.items), franchise, min(config.batch_size, len(franchise)),
                          config.seed, sampling_probability(catalog.items, config.popularity_sampling))

    def fit(self, catalog: Catalog, config: Any, callbacks: list, *, warmup_batches: int = 0) -> list[float]:
        """Train; `warmup_batches` first runs that many batches outside the epochs and their callbacks
        (Keras traces the train step on its first batch, a fixed cost that would distort epoch timings)."""
        stream = self.stream(catalog, config)
        trainer = ContrastiveTrainer(self.encoder, stream.groups, stream.lengths, temperature=config.temperature)
        trainer.compile(optimizer=keras.optimizers.Adam(config.learning_rate))
        if warmup_batches:
            trainer.fit(stream.dataset(limit=warmup_batches), epochs=1, verbose=0, shuffle=False)
        history = trainer.fit(stream.dataset(), epochs=config.epochs, verbose=0, callbacks=callbacks, shuffle=False)
        return [float(x) for x in history.history["loss"]]

    def embed(self, items: pd.DataFrame) -> np.ndarray:
        encoded = self._encode(items)
        return _embed(self.encoder, len(encoded), encoded.padded)

    def vocabulary(self) -> dict:
        return self.space.to_json()


# ---------------------------------------------------------------------------------------------
# Seed: the original write-up's memorising classifier


class SeedModel:
    """The reference architecture; its `embed` gives content_id 0 (never trained) to unseen titles."""

    name = "seed"
    BATCH_SIZE = 256  # the original write-up's setting

    def __init__(self, seed_ids: dict[str, int], language_codes: dict[str, int], type_codes: dict[str, int],
                 embedder: keras.Model, classifier: keras.Model | None = None) -> None:
        self.seed_ids = seed_ids
        self.language_codes = language_codes
        self.type_codes = type_codes
        self.encoder = embedder
        self.classifier = classifier

    @classmethod
    def build(cls, catalog: Catalog, config: Any) -> SeedModel:
        items = catalog.items
        classifier, embedder = build_seed_model(len(items), len(catalog.languages), len(catalog.content_types))
        return cls({title: i + 1 for i, title in enumerate(items["title"])}, *_codes(items), embedder, classifier)

    @classmethod
    def restore(cls, model: keras.Model, vocabulary: dict, trained_items: pd.DataFrame) -> SeedModel:
        """Language and type are coded with the *training* catalog's ids: another catalog load numbers
        them by its own sorted vocabulary, which would silently feed the model the wrong language."""
        return cls(vocabulary.get("seed_ids", {}), *_codes(trained_items), model)

    def inputs(self, items: pd.DataFrame) -> dict[str, np.ndarray]:
        """Unseen titles get content_id 0 and unseen languages/types index 0 (all reserved, untrained)."""
        return {
            "content_id": items["title"].map(self.seed_ids).fillna(0).to_numpy(dtype=np.int32),
            "language_id": items["language"].astype(str).map(self.language_codes).fillna(0).to_numpy(dtype=np.int32),
            "type_id": items["content_type"].astype(str).map(self.type_codes).fillna(0).to_numpy(dtype=np.int32),
        }

    def fit(self, catalog: Catalog, config: Any, callbacks: list) -> list[float]:
        if self.classifier is None:
            raise RuntimeError("a restored seed model has no classifier to train")
        self.classifier.compile(
            optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
        )
        inputs = self.inputs(catalog.items)
        history = self.classifier.fit(
            inputs, inputs["content_id"], epochs=config.epochs, batch_size=min(config.batch_size, self.BATCH_SIZE),
            shuffle=True, verbose=0, callbacks=callbacks,
        )
        return [float(x) for x in history.history["loss"]]

    def embed(self, items: pd.DataFrame) -> np.ndarray:
        inputs = self.inputs(items)
        return _embed(self.encoder, len(items), lambda rows: {k: v[rows] for k, v in inputs.items()})

    def vocabulary(self) -> dict:
        return {"seed_ids": self.seed_ids}


def _codes(items: pd.DataFrame) -> tuple[dict[str, int], dict[str, int]]:
    """Model input index (catalog id + 1; 0 is reserved for values never seen) by language and type."""

    def code(name: str, column: str) -> dict[str, int]:
        return {str(k): int(v) + 1 for k, v in zip(items[name].astype(str), items[column].astype(int), strict=True)}

    return code("language", "language_id"), code("content_type", "type_id")


ARCHITECTURES: dict[str, type[ContrastiveEncoder] | type[SeedModel]] = {
    ContrastiveEncoder.name: ContrastiveEncoder,
    SeedModel.name: SeedModel,
}
