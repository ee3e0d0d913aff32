"""A vote-trained correction of the item embedding: what the community's likes say titles are near.

Why: the vote channel's terms only re-order the content ranking's shortlist by what members said
about the titles in it; they cannot change *which* titles the shortlist holds, and re-ordering a
30-title shortlist with the voters' whole taste was measured to add at most +0.016 NDCG@10. A
correction of the item representation can: a title members like together with another moves toward
it, and, through the low-rank map, so do the titles nobody voted on that sit near them.

The corrected vector of title i is the unit vector along `e_i + e_i @ left @ right + delta_i`:
`e_i` the model's own (unit) content embedding, `left @ right` a low-rank linear map learned on
every voted title (it moves unvoted titles with their neighbours), `delta_i` a per-title offset for
the titles the votes name (zero for the rest). It is fitted at retrain on the accumulated votes
(`recommender.vote_correction.fit_correction`, TensorFlow) with an L2 pull toward zero, and saved as
`vote_correction.npz` in the model version it was fitted for; serving reads it with numpy only.

How it reaches the ranking (`VoteChannel.scores`): `correction_weight * (cos'(q, t) - cos(q, t))`
is added on the content top `correction_shortlist` titles of the query, and the other vote terms'
shortlists are then drawn from the corrected scores. Bounded like the rest: at most
`2 * correction_weight`, never outside that shortlist (a brigade cannot bring an unrelated title in),
and before the maturity rules (an adult title never reaches a kids' list).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

CORRECTION_FILE = "vote_correction.npz"


@dataclass(frozen=True)
class EmbeddingCorrection:
    """Per-title offsets for the voted titles (`rows`, `delta`) and a low-rank map (`left @ right`)."""

    rows: np.ndarray  # (k,) int64, sorted catalog rows that have an offset
    delta: np.ndarray  # (k, d) float32
    left: np.ndarray  # (d, r) float32
    right: np.ndarray  # (r, d) float32
    items: int  # catalog size it was fitted for (a mismatched version is refused)

    def __post_init__(self) -> None:
        d = self.left.shape[0]
        if (self.delta.shape != (len(self.rows), d) or self.right.shape != (self.left.shape[1], d)
                or (len(self.rows) and (self.rows.min() < 0 or self.rows.max() >= self.items))):
            raise ValueError("vote correction arrays do not fit together")

    def corrected(self, embeddings: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Unit corrected vectors of `rows` (`embeddings` the model's unit content embedding)."""
        rows = np.asarray(rows, dtype=np.int64)
        base = embeddings[rows].astype(np.float32)
        out = base + (base @ self.left) @ self.right
        at = np.searchsorted(self.rows, rows)
        hit = (at < len(self.rows)) & (self.rows[np.minimum(at, max(len(self.rows) - 1, 0))] == rows) \
            if len(self.rows) else np.zeros(len(rows), dtype=bool)
        out[hit] += self.delta[at[hit]]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def cosine_change(self, embeddings: np.ndarray, row: int, items: np.ndarray) -> np.ndarray:
        """cos'(row, item) - cos(row, item) for each of `items`: the correction's say on the pair."""
        items = np.asarray(items, dtype=np.int64)
        q = self.corrected(embeddings, np.array([row]))[0]
        before = embeddings[items] @ embeddings[row]
        return (self.corrected(embeddings, items) @ q - before).astype(np.float64)

    def save(self, model_dir: str | Path) -> Path:
        path = Path(model_dir) / CORRECTION_FILE
        with path.open("wb") as out:
            np.savez(out, rows=self.rows, delta=self.delta, left=self.left, right=self.right,
                     items=np.array(self.items))
        return path

    @classmethod
    def load(cls, model_dir: str | Path, items: int) -> EmbeddingCorrection | None:
        """The correction saved in a version, or None (none saved, or fitted for another catalog size)."""
        path = Path(model_dir) / CORRECTION_FILE
        if not path.is_file():
            return None
        with np.load(path) as data:
            correction = cls(data["rows"].astype(np.int64), data["delta"].astype(np.float32),
                             data["left"].astype(np.float32), data["right"].astype(np.float32), int(data["items"]))
        return correction if correction.items == items else None
