"""Embed titles that were not in the training catalog, from a saved model version alone.

Serving reads `embeddings.npy` and never needs TensorFlow; a brand-new title, though, has no row
there. Because the default encoder is a function of an item's content features (no content_id
embedding), the saved `model.keras` plus its `vocab.json` can place a new title in the same space
without retraining. This module imports TensorFlow, so async callers must run it in a thread or,
better, a subprocess.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from recommender.artifacts import ArtifactError, load_serving
from recommender.training import architecture_class

# Columns `features.item_tokens` cannot do without; the others default to empty.
REQUIRED_COLUMNS = ("title", "language", "content_type")


def embed_new_items(model_dir: str | Path, rows: pd.DataFrame) -> np.ndarray:
    """L2-normalised embeddings, shape (len(rows), dim), for rows shaped like `Catalog.items`.

    `model_dir` is a version directory or a model root (its `CURRENT` version is used). The
    artifact is verified exactly as serving verifies it, so a corrupt version is refused with
    `ArtifactError` instead of producing vectors that silently disagree with `embeddings.npy`.
    """
    artifact = load_serving(Path(model_dir))
    path = artifact.path
    model_file = path / "model.keras"
    if not model_file.is_file():
        raise ArtifactError(f"model directory {path} has no model.keras, so it cannot embed new titles")
    missing = [c for c in REQUIRED_COLUMNS if c not in rows.columns]
    if missing:
        raise ValueError(f"rows to embed lack column(s) {', '.join(missing)}")
    if rows.empty:
        return np.zeros((0, int(artifact.metadata["dim"])), dtype=np.float32)

    from recommender.model import keras  # a quiet TensorFlow import; registers the custom layers

    try:
        model = keras.saving.load_model(model_file, compile=False)
    except Exception as exc:  # Keras raises a variety of types for a damaged zip/config
        raise ArtifactError(f"model directory {path}: model.keras cannot be loaded ({exc})") from None
    try:
        architecture = architecture_class(str(artifact.metadata.get("arch", "default")))
    except ValueError as exc:
        raise ArtifactError(f"model directory {path}: {exc}") from None
    return architecture.restore(model, artifact.vocab, artifact.items).embed(rows)
