"""What a simulated member thinks of a title: their own rating, else a small matrix factorisation.

Why a taste model at all: a member has rated a handful of titles, but the bot shows them titles
they never rated. Semi-synthetic recommender simulators fill that gap with a latent-factor model
fitted on the real ratings; here that is biased ALS (global mean + user and item biases + k
factors) in numpy, fitted on the ratings file alone (in a few seconds), never on anything the bot
learned. A predicted rating plus Gaussian noise of the fit's residual spread is then read with
the same thresholds as a real rating (>= 8 up, <= 5 down, in between no vote), so simulated
opinions are as noisy as real ones rather than a clean regression to the mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

UP, DOWN = 1, -1
LIKE_AT = 8.0  # a rating >= this is a 👍 (the taste dev set's definition of a like)
DISLIKE_AT = 5.0  # a rating <= this is a 👎; in between the member does not vote


def thumb(rating: float) -> int | None:
    """+1, -1 or None (no opinion strong enough to vote) for a rating on the 0-10 scale."""
    if rating >= LIKE_AT:
        return UP
    if rating <= DISLIKE_AT:
        return DOWN
    return None


@dataclass
class TasteModel:
    """Biased matrix factorisation of `user_id,title,rating` (explicit ALS)."""

    mean: float
    user_index: dict[int, int]
    item_index: dict[str, int]
    user_bias: np.ndarray
    item_bias: np.ndarray
    user_factors: np.ndarray
    item_factors: np.ndarray
    residual_sd: float  # spread of real ratings around the fit (error on held-out ratings)

    @classmethod
    def fit(cls, ratings: pd.DataFrame, *, factors: int = 8, reg: float = 15.0, iterations: int = 12,
            seed: int = 0) -> TasteModel:
        """Fit on `ratings` (columns user_id, title, rating). Deterministic for a seed.

        The noise spread is the error on a tenth of the ratings held out of a first fit (training
        residuals would understate it); the returned model is then fitted on every rating.
        """
        rng = np.random.default_rng(seed)
        held_out = rng.random(len(ratings)) < 0.1
        probe = cls._fit(ratings[~held_out], factors, reg, iterations, rng, residual_sd=0.0)
        test = ratings[held_out]
        pairs = zip(test["user_id"], test["title"], strict=True)
        predicted = np.array([_or_nan(probe.predict(int(u), str(t))) for u, t in pairs])
        known = ~np.isnan(predicted)
        sd = float(np.sqrt(np.mean((predicted[known] - test["rating"].to_numpy()[known]) ** 2))) if known.any() else 1.0
        return cls._fit(ratings, factors, reg, iterations, rng, residual_sd=sd)

    @classmethod
    def _fit(cls, ratings: pd.DataFrame, factors: int, reg: float, iterations: int, rng: np.random.Generator,
             *, residual_sd: float) -> TasteModel:
        users, user_keys = pd.factorize(ratings["user_id"])
        items, item_keys = pd.factorize(ratings["title"])
        r = ratings["rating"].to_numpy(dtype=np.float64)
        n_users, n_items = len(user_keys), len(item_keys)
        mean = float(r.mean())
        bu, bi = np.zeros(n_users), np.zeros(n_items)
        for _ in range(5):  # regularised biases first, so the factors model what biases cannot
            bi = np.bincount(items, r - mean - bu[users], n_items) / (np.bincount(items, None, n_items) + reg)
            bu = np.bincount(users, r - mean - bi[items], n_users) / (np.bincount(users, None, n_users) + reg)
        residual = r - mean - bu[users] - bi[items]
        p = rng.normal(0, 0.1, (n_users, factors))
        q = rng.normal(0, 0.1, (n_items, factors))
        for _ in range(iterations):
            p = _solve_side(users, items, residual, q, n_users, reg)
            q = _solve_side(items, users, residual, p, n_items, reg)
        return cls(
            mean=mean,
            user_index={int(u): i for i, u in enumerate(user_keys)},
            item_index={str(t): i for i, t in enumerate(item_keys)},
            user_bias=bu,
            item_bias=bi,
            user_factors=p,
            item_factors=q,
            residual_sd=residual_sd,
        )

    def knows(self, title: str) -> bool:
        return title in self.item_index

    def predict(self, user_id: int, title: str) -> float | None:
        """The predicted rating, or None for a title (or user) the ratings file never mentions."""
        i = self.item_index.get(title)
        u = self.user_index.get(user_id)
        if i is None or u is None:
            return None
        return float(self.mean + self.user_bias[u] + self.item_bias[i] + self.user_factors[u] @ self.item_factors[i])


def _or_nan(value: float | None) -> float:
    return np.nan if value is None else value


def _solve_side(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, other: np.ndarray, n_rows: int, reg: float
) -> np.ndarray:
    """One ALS half-step, all rows at once: (Σ q qᵀ + λI) p = Σ r q, batched."""
    k = other.shape[1]
    q = other[cols]
    owner = sparse.csr_matrix((np.ones(len(rows)), (rows, np.arange(len(rows)))), shape=(n_rows, len(rows)))
    gram = np.asarray(owner @ (q[:, :, None] * q[:, None, :]).reshape(len(rows), k * k))
    rhs = np.asarray(owner @ (q * values[:, None]))
    gram = gram.reshape(n_rows, k, k) + reg * np.eye(k)
    return np.linalg.solve(gram, rhs[:, :, None])[:, :, 0]
