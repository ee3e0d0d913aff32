"""Train item embeddings from content features alone (self-supervised, no user history).

Default objective: contrastive learning between two views of the same item with in-batch negatives
(InfoNCE), after Yao et al., "Self-supervised Learning for Large-scale Item Recommendations" (2021).
Each feature group goes to exactly one of the two views (complementary masking). To pick its own
item out of the batch from, say, only the description and the language, the encoder has to place
items whose descriptions, people, titles and eras agree close together: that is the similarity we
want. Seasons of the same franchise in a batch are not used as negatives. Predicting content_id
from features with a softmax would work too, but it needs a 19k-way output layer and rewards
memorising rare tokens, which the in-batch contrastive loss avoids and which would also not scale
to bigger catalogs.

This module holds what every architecture shares (configuration, progress, the `Architecture`
protocol, the training entry point) and imports no TensorFlow until `train` runs; the Keras models
themselves live in `recommender.model`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from recommender.catalog import Catalog, CatalogError

if TYPE_CHECKING:
    import keras

log = logging.getLogger(__name__)

ARCHITECTURES = ("default", "seed")


class TrainingConfigError(ValueError):
    """A training setting that cannot work (`--epochs 0`, an unknown architecture); the message is for people."""


@dataclass
class TrainConfig:
    arch: str = "default"
    epochs: int = 12
    batch_size: int = 512
    seed: int = 42
    embedding_dim: int = 64
    learning_rate: float = 2e-3
    temperature: float = 0.05
    # Feature groups never fed to the model, e.g. {"genres"} when genres are the evaluation labels.
    withhold: frozenset[str] = field(default_factory=frozenset)
    # Stop when the training loss has not improved for this many epochs (None: run every epoch).
    early_stopping_patience: int | None = None

    def __post_init__(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise TrainingConfigError(f"unknown architecture {self.arch!r}; choose one of {', '.join(ARCHITECTURES)}")
        if self.epochs < 1 or self.batch_size < 2:
            raise TrainingConfigError("epochs must be >= 1 and batch size >= 2")
        if self.early_stopping_patience is not None and self.early_stopping_patience < 1:
            raise TrainingConfigError("early stopping patience must be >= 1 epoch")
        self.withhold = frozenset(self.withhold)

    def to_json(self) -> dict:
        data = asdict(self)
        data["withhold"] = sorted(self.withhold)
        return data


@dataclass(frozen=True)
class EpochProgress:
    epoch: int
    epochs: int
    loss: float
    seconds: float


ProgressCallback = Callable[[EpochProgress], None]


class Architecture(Protocol):
    """What training, cold start and the pipeline need from a model family (see `recommender.model`).

    `build` creates an untrained model for a catalog; `restore` wraps a saved Keras model with the
    vocabulary and item table saved beside it; `fit` trains with Keras callbacks and returns the
    per-epoch losses; `embed` returns L2-normalised float32 rows for item rows (also unseen ones);
    `vocabulary` is what `vocab.json` stores; `encoder` is the Keras model saved as `model.keras`.
    """

    name: str
    encoder: keras.Model

    def fit(self, catalog: Catalog, config: TrainConfig, callbacks: list) -> list[float]: ...

    def embed(self, items: pd.DataFrame) -> np.ndarray: ...

    def vocabulary(self) -> dict: ...


def architecture_class(name: str) -> Any:
    """The class implementing an architecture, with `build(catalog, config)` and `restore(...)`."""
    from recommender.model import ARCHITECTURES as classes

    try:
        return classes[name]
    except KeyError:
        raise TrainingConfigError(f"unknown architecture {name!r}; choose one of {', '.join(classes)}") from None


@dataclass
class TrainedModel:
    """A trained architecture plus the L2-normalised embeddings of the items it was trained on."""

    config: TrainConfig
    architecture: Architecture
    embeddings: np.ndarray
    history: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def keras_model(self) -> keras.Model:
        return self.architecture.encoder

    def vocabulary(self) -> dict:
        return self.architecture.vocabulary()

    def embed_items(self, items: pd.DataFrame) -> np.ndarray:
        """Embed rows shaped like `Catalog.items`, including titles never seen in training."""
        return self.architecture.embed(items)


def _prepare_tensorflow(seed: int) -> None:
    from recommender.tensorflow_runtime import import_tensorflow

    tf = import_tensorflow()
    import keras

    keras.utils.set_random_seed(seed)
    # Already enabled or unsupported: determinism is best effort on exotic builds.
    with contextlib.suppress(Exception):
        tf.config.experimental.enable_op_determinism()


def _callbacks(config: TrainConfig, progress: ProgressCallback | None) -> list:
    """Keras callbacks: epoch progress (to the caller and the log) and optional early stopping."""
    import keras

    class Progress(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            report = EpochProgress(epoch + 1, config.epochs, float((logs or {})["loss"]),
                                   time.perf_counter() - self.started)
            log.debug("epoch %d/%d loss %.4f (%.1fs)", report.epoch, report.epochs, report.loss, report.seconds)
            if progress:
                progress(report)

    callbacks: list = [Progress()]
    if config.early_stopping_patience:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="loss", patience=config.early_stopping_patience,
                                                       min_delta=1e-3))
    return callbacks


def train(catalog: Catalog, config: TrainConfig, progress: ProgressCallback | None = None) -> TrainedModel:
    """Train the chosen architecture on a catalog; deterministic for a given seed."""
    if len(catalog.items) < 2:
        raise CatalogError(f"the catalog has {len(catalog.items)} item(s); training needs at least two")
    started = time.perf_counter()
    _prepare_tensorflow(config.seed)
    architecture = architecture_class(config.arch).build(catalog, config)
    history = architecture.fit(catalog, config, _callbacks(config, progress))
    embeddings = architecture.embed(catalog.items)
    return TrainedModel(config, architecture, embeddings, history, time.perf_counter() - started)
