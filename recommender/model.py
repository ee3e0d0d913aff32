"""Keras architectures: the content-feature item encoder (default) and the reference `seed` model.

Imported only by training and cold-start embedding; serving never needs TensorFlow.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from recommender.features import GROUP_LENGTHS, FeatureSpace


@keras.saving.register_keras_serializable(package="recommender")
class MaskedMeanPool(layers.Layer):
    """Mean of token embeddings over the non-padding positions (zero vector for an empty group)."""

    def call(self, embedded, token_ids):
        mask = ops.cast(ops.not_equal(token_ids, 0), embedded.dtype)[..., None]
        total = ops.sum(embedded * mask, axis=1)
        count = ops.maximum(ops.sum(mask, axis=1), 1.0)
        return total / count


@keras.saving.register_keras_serializable(package="recommender")
class L2Normalize(layers.Layer):
    def call(self, x):
        return x / ops.maximum(ops.norm(x, axis=-1, keepdims=True), 1e-12)


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
    return keras.Model(inputs, L2Normalize(name="embedding")(x), name="item_encoder")


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
