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

Cost grows linearly with the catalog: features are built in one pass into ragged id arrays, batches
are gathered, padded and masked per step by a `tf.data` pipeline (nothing catalog-sized in the
graph), and the in-batch negatives' logits carry the log-popularity (logQ) correction of Yi et al.,
"Sampling-Bias-Corrected Neural Modeling for Large Corpus Item Recommendations" (2019), which
matters when items are drawn by popularity (`popularity_sampling`). Each epoch reports its time and
peak memory; `measure_epoch` gives `bench-scale` one epoch's cost on any catalog. A `tf.distribute`
strategy (`strategy`) replicates training over several devices.

This module holds what every architecture shares (configuration, progress, the `Architecture`
protocol, the training entry point) and imports no TensorFlow until `train` runs; the Keras models
themselves live in `recommender.model`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from recommender.catalog import Catalog, CatalogError

if TYPE_CHECKING:
    import keras

log = logging.getLogger(__name__)
WARMUP_BATCHES = 3  # `measure_epoch`: batches run before the timed epoch (graph tracing, first allocations)

ARCHITECTURES = ("default", "seed")
# `default`: TensorFlow's default (single-device) strategy; `mirrored`: `tf.distribute.MirroredStrategy`
# over every visible device (data-parallel replicas, gradients all-reduced), for machines with several GPUs.
STRATEGIES = ("default", "mirrored")


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
    # How training items are drawn: 0 = each item once per epoch (uniform); p > 0 = draws with replacement
    # in proportion to (1 + hours viewed) ** p, so the titles people ask about most train most. Either way
    # the in-batch negatives' logits are corrected by log Q (see `recommender.model.log_q`).
    popularity_sampling: float = 0.0
    strategy: str = "default"

    def __post_init__(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise TrainingConfigError(f"unknown architecture {self.arch!r}; choose one of {', '.join(ARCHITECTURES)}")
        if self.strategy not in STRATEGIES:
            raise TrainingConfigError(f"unknown strategy {self.strategy!r}; choose one of {', '.join(STRATEGIES)}")
        if self.popularity_sampling < 0:
            raise TrainingConfigError("popularity sampling power must be >= 0")
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
    # Peak resident memory of the training process during this epoch (None where the OS cannot say).
    peak_rss_mb: float | None = None
    items: int | None = None  # catalog size, so time and memory can be read against it


@dataclass(frozen=True)
class EpochCost:
    """What one training epoch costs on a catalog of `items` titles (see `measure_epoch`)."""

    items: int
    epoch_s: float  # wall time of one full epoch (after a warm-up that traces the graph)
    peak_rss_mb: float  # peak resident memory of the process during feature building and the epoch
    featurize_s: float  # tokenising and encoding the catalog's features (linear in items)
    steps: int  # batches in the epoch


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


def _peak_rss_mb() -> float | None:
    """Peak resident memory of this process since the last `_reset_peak_rss` (Linux `VmHWM`), in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # not POSIX
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KB (lifetime peak)


def _reset_peak_rss() -> None:
    """Start a new peak-memory window (Linux >= 4.0: writing 5 to clear_refs resets VmHWM to the current RSS).

    Without it the figure would be the process's lifetime peak, so an epoch on a small catalog run
    after a big one (as `bench-scale` does) would report the big one's memory.
    """
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
        refs.write("5")


def _callbacks(config: TrainConfig, progress: ProgressCallback | None, items: int | None = None) -> list:
    """Keras callbacks: epoch progress with time and peak memory (to the caller and the log), and optional
    early stopping."""
    import keras

    class Progress(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            _reset_peak_rss()
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            peak = _peak_rss_mb()
            report = EpochProgress(epoch + 1, config.epochs, float((logs or {})["loss"]),
                                   time.perf_counter() - self.started, None if peak is None else round(peak, 1),
                                   items)
            log.debug("epoch %d/%d loss %.4f (%.1fs, peak RSS %s MB)", report.epoch, report.epochs, report.loss,
                      report.seconds, report.peak_rss_mb)
            if progress:
                progress(report)

    callbacks: list = [Progress()]
    if config.early_stopping_patience:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="loss", patience=config.early_stopping_patience,
                                                       min_delta=1e-3))
    return callbacks


def distribution_scope(strategy: str) -> contextlib.AbstractContextManager:
    """The `tf.distribute` scope models and optimizers are created in (`default`: no scope at all).

    `mirrored` replicates the model on every visible device (GPUs; the CPU when there is none) and
    splits each batch among them; in-batch negatives are then drawn within each replica's share.
    """
    if strategy == "default":
        return contextlib.nullcontext()
    from recommender.tensorflow_runtime import import_tensorflow

    tf = import_tensorflow()
    return tf.distribute.MirroredStrategy().scope()


def train(catalog: Catalog, config: TrainConfig, progress: ProgressCallback | None = None) -> TrainedModel:
    """Train the chosen architecture on a catalog; deterministic for a given seed."""
    if len(catalog.items) < 2:
        raise CatalogError(f"the catalog has {len(catalog.items)} item(s); training needs at least two")
    started = time.perf_counter()
    _prepare_tensorflow(config.seed)
    with distribution_scope(config.strategy):
        architecture = architecture_class(config.arch).build(catalog, config)
        history = architecture.fit(catalog, config, _callbacks(config, progress, len(catalog.items)))
    embeddings = architecture.embed(catalog.items)
    return TrainedModel(config, architecture, embeddings, history, time.perf_counter() - started)


def measure_epoch(catalog: Catalog, config: TrainConfig | None = None) -> EpochCost:
    """Build the default architecture's features for `catalog` and time one training epoch on it.

    For `python -m recommender bench-scale`: call it once per catalog size. `epoch_s` is one full
    epoch after a few warm-up batches (Keras traces the train step on its first batch, a fixed cost);
    `peak_rss_mb` is the process's peak resident memory from the start of this call to the end of the
    epoch (the window is reset on Linux, so earlier, bigger runs in the same process do not count;
    elsewhere it is the lifetime peak: run sizes in ascending order or one per process), and it
    includes whatever the caller already holds (the catalog itself).
    """
    config = config or TrainConfig(epochs=1)
    if len(catalog.items) < 2:
        raise CatalogError(f"the catalog has {len(catalog.items)} item(s); training needs at least two")
    _reset_peak_rss()
    _prepare_tensorflow(config.seed)
    from recommender.model import ContrastiveEncoder

    one_epoch = replace(config, epochs=1, arch="default")
    with distribution_scope(one_epoch.strategy):
        started = time.perf_counter()
        architecture = ContrastiveEncoder.build(catalog, one_epoch)
        featurize_s = time.perf_counter() - started
        featurize_peak = _peak_rss_mb() or 0.0  # the epoch's callback starts a new window
        timings: list[EpochProgress] = []
        architecture.fit(catalog, one_epoch, _callbacks(one_epoch, timings.append, len(catalog.items)),
                         warmup_batches=WARMUP_BATCHES)
    peak = max(featurize_peak, timings[-1].peak_rss_mb or 0.0) or float("nan")
    steps = len(catalog.items) // min(one_epoch.batch_size, len(catalog.items))
    return EpochCost(items=len(catalog.items), epoch_s=round(timings[-1].seconds, 3),
                     peak_rss_mb=round(peak, 1), featurize_s=round(featurize_s, 3), steps=steps)
