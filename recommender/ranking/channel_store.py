"""The ranker's text channels as named flat arrays, which a model version saves (`channels.npz`).

Why: fitting the six TF-IDF matrices (`channels.fit_text`) at a million titles takes minutes of CPU
and about 0.75 GB above the result, which made it the serving process's peak. A version is fitted
once, when it is saved, from its items.csv as serving reads it back (same definitions, same input),
and the file is checksummed in metadata.json like every other file: a damaged one makes the version
unloadable, so the previous version keeps serving. Versions saved before have no file and are fitted
at load, as before; so is a version whose file holds other channels than this code defines.

Per channel: its CSR arrays exactly as fitted (float32 data, integer indices and row pointers) and
its shape.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import sparse

CHANNELS_FILE = "channels.npz"
_PARTS = ("data", "indices", "indptr", "shape")


def text_arrays(text: Mapping[str, sparse.csr_matrix]) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for name, matrix in text.items():
        matrix = sparse.csr_matrix(matrix)
        arrays.update({f"{name}.data": matrix.data, f"{name}.indices": matrix.indices,
                       f"{name}.indptr": matrix.indptr, f"{name}.shape": np.asarray(matrix.shape, dtype=np.int64)})
    return arrays


def text_keys(names: tuple[str, ...]) -> set[str]:
    """The arrays saved for these channels (other keys: saved by code that defined other channels)."""
    return {f"{name}.{part}" for name in names for part in _PARTS}


def text_from_arrays(arrays: Mapping[str, np.ndarray], names: tuple[str, ...],
                     n_items: int) -> dict[str, sparse.csr_matrix]:
    """The saved matrices, checked to be well-formed CSR of `n_items` rows (ValueError names the problem).

    The checksum already vouches for the bytes; these checks catch a file that was written wrong
    (another catalog), which would otherwise score garbage or crash mid-request.
    """
    if set(arrays) != text_keys(names):
        raise ValueError("it holds other channels")
    return {name: _matrix(name, *(arrays[f"{name}.{part}"] for part in _PARTS), n_items=n_items) for name in names}


def _matrix(name: str, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: np.ndarray, *,
            n_items: int) -> sparse.csr_matrix:
    if shape.shape != (2,) or int(shape[0]) != n_items or int(shape[1]) < 1:
        raise ValueError(f"{name} has shape {shape.tolist()}, expected ({n_items}, vocabulary)")
    if data.dtype != np.float32 or indices.dtype.kind != "i" or indptr.dtype.kind != "i":
        raise ValueError(f"{name} has arrays of types {data.dtype}/{indices.dtype}/{indptr.dtype}")
    rows, columns = int(shape[0]), int(shape[1])
    if (len(indptr) != rows + 1 or len(indices) != len(data) or indptr[0] != 0 or indptr[-1] != len(data)
            or np.any(np.diff(indptr) < 0)):
        raise ValueError(f"{name} has inconsistent row pointers")
    if len(indices) and (int(indices.min()) < 0 or int(indices.max()) >= columns):
        raise ValueError(f"{name} has column indices outside its vocabulary")
    if not np.isfinite(data.sum(dtype=np.float64)):
        raise ValueError(f"{name} holds NaN or infinite values")
    return sparse.csr_matrix((data, indices, indptr), shape=(rows, columns), copy=False)
