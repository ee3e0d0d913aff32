"""Embed titles that were not in the training catalog, from a saved model version alone.

Serving reads `embeddings.npy` and never needs TensorFlow; a brand-new title, though, has no row
there. Because the default encoder is a function of an item's content features (no content_id
embedding), the saved `model.keras` plus its `vocab.json` can place a new title in the same space
without retraining. This module imports TensorFlow, so async callers must run it in a thread or,
better, a subprocess.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from recommender.artifacts import ArtifactError, load_artifact, resolve_model_path
from recommender.features import FeatureSpace
from recommender.training import embed_with

# Columns `features.item_tokens` cannot do without; the others default to empty.
REQUIRED_COLUMNS = ("title", "language", "content_type")


def embed_new_items(model_dir: str | Path, rows: pd.DataFrame) -> np.ndarray:
    """L2-normalised embeddings, shape (len(rows), dim), for rows shaped like `Catalog.items`.

    `model_dir` is a version directory or a model root (its `CURRENT` version is used). The
    artifact is verified exactly as serving verifies it, so a corrupt version is refused with
    `ArtifactError` instead of producing vectors that silently disagree with `embeddings.npy`.
    """
    path = resolve_model_path(Path(model_dir))
    artifact = load_artifact(path)
    model_file = path / "model.keras"
    if not model_file.is_file():
        raise ArtifactError(f"model directory {path} has no model.keras, so it cannot embed new titles")
    missing = [c for c in REQUIRED_COLUMNS if c not in rows.columns]
    if missing:
        raise ValueError(f"rows to embed lack column(s) {', '.join(missing)}")
    if rows.empty:
        return np.zeros((0, int(artifact.metadata["dim"])), dtype=np.float32)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    import recommender.model  # noqa: F401  registers the custom layers the saved encoder uses

    try:
        model = keras.saving.load_model(model_file, compile=False)
    except Exception as exc:  # Keras raises a variety of types for a damaged zip/config
        raise ArtifactError(f"model directory {path}: model.keras cannot be loaded ({exc})") from None

    arch = artifact.metadata.get("arch", "default")
    if arch == "seed":
        return embed_with("seed", model, _seed_rows(rows, artifact.items), None, artifact.vocab.get("seed_ids", {}))
    return embed_with("default", model, rows, FeatureSpace.from_json(artifact.vocab), None)


def _seed_rows(rows: pd.DataFrame, trained_items: pd.DataFrame) -> pd.DataFrame:
    """Recode language and type with the *training* catalog's ids: another catalog load numbers
    them by its own sorted vocabulary, which would silently feed the model the wrong language.
    Values the model never saw get the reserved index 0 (-1 here, +1 in `_seed_inputs`)."""
    rows = rows.copy()
    for name, column in (("language", "language_id"), ("content_type", "type_id")):
        codes = dict(zip(trained_items[name].astype(str), trained_items[column].astype(int)))
        rows[column] = rows[name].astype(str).map(codes).fillna(-1).astype(int)
    return rows
