"""Rebuild item-to-item judgments (co-likes) from any subset of rating users.

Why: the bundled `dev_pairs.csv` was built from every MovieTweetings user. To measure whether the
bot learns from votes for people it never heard from, votes come from one half of the users and
the judgments must come from the other half only - built with exactly the same recipe:

    likes are ratings >= 8; for every ordered pair of liked titles (a, b), c = users who liked both;
    keep c >= 4 and lift c*U/(n_a*n_b) >= 1.5 (U users with a like, n_x users who liked x);
    score = c/sqrt(n_a*n_b); queries are titles with n_a >= 15; each query keeps its 10 best partners.

`split_users` gives the deterministic halves (by a hash of the user id, so a user's half never
depends on which other users are in the file).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

RATINGS_COLUMNS = ("user_id", "title", "rating")


@dataclass(frozen=True)
class CoLikeRecipe:
    """The published recipe's constants (see ../shared/README.md and data/taste/NOTICE.md)."""

    like_threshold: float = 8.0
    min_count: int = 4
    min_lift: float = 1.5
    min_query_likes: int = 15
    per_query: int = 10


def read_ratings(path: str | Path) -> pd.DataFrame:
    """`user_id,title,rating[,timestamp]` as a frame (user_id int, title str, rating float)."""
    frame = pd.read_csv(path, dtype={"title": str}, keep_default_na=False)
    missing = [c for c in RATINGS_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"ratings file {path}: missing column(s) {', '.join(missing)}")
    frame["user_id"] = frame["user_id"].astype(np.int64)
    frame["rating"] = frame["rating"].astype(float)
    return frame


def user_half(user_id: int, salt: str = "reelmate-users") -> str:
    """'A' or 'B' from a hash of the user id: stable whatever else is in the file."""
    digest = hashlib.sha256(f"{salt}:{user_id}".encode()).digest()
    return "A" if digest[0] % 2 == 0 else "B"


def split_users(user_ids: Iterable[int]) -> tuple[set[int], set[int]]:
    """The users of half A and of half B."""
    a: set[int] = set()
    b: set[int] = set()
    for uid in user_ids:
        (a if user_half(int(uid)) == "A" else b).add(int(uid))
    return a, b


def coliked_pairs(
    ratings: pd.DataFrame, users: Iterable[int] | None = None, recipe: CoLikeRecipe = CoLikeRecipe()
) -> pd.DataFrame:
    """`query_title,relevant_title,score` rows from the likes of `users` (all users if None).

    Rows are ordered by query title, then score descending (ties by relevant title), as in the
    bundled file's per-query blocks; scores are rounded to 4 decimals as there.
    """
    likes = ratings[ratings["rating"] >= recipe.like_threshold]
    if users is not None:
        likes = likes[likes["user_id"].isin(set(users))]
    likes = likes.drop_duplicates(["user_id", "title"])
    if likes.empty:
        return pd.DataFrame(columns=["query_title", "relevant_title", "score"])
    user_codes, _ = pd.factorize(likes["user_id"])
    item_codes, titles = pd.factorize(likes["title"])
    n_users = int(user_codes.max()) + 1
    matrix = sparse.csr_matrix(
        (np.ones(len(likes), dtype=np.float64), (user_codes, item_codes)), shape=(n_users, len(titles))
    )
    counts = (matrix.T @ matrix).tocoo()  # c(a, b), with c(a, a) = n_a on the diagonal
    n = np.asarray(matrix.sum(axis=0)).ravel()
    a, b, c = counts.row, counts.col, counts.data
    keep = (a != b) & (c >= recipe.min_count) & (n[a] >= recipe.min_query_likes)
    a, b, c = a[keep], b[keep], c[keep]
    lift = c * n_users / (n[a] * n[b])
    keep = lift >= recipe.min_lift
    a, b, c = a[keep], b[keep], c[keep]
    frame = pd.DataFrame({
        "query_title": np.asarray(titles)[a],
        "relevant_title": np.asarray(titles)[b],
        "score": c / np.sqrt(n[a] * n[b]),
    })
    frame = frame.sort_values(["query_title", "score", "relevant_title"], ascending=[True, False, True])
    frame = frame.groupby("query_title", sort=False).head(recipe.per_query).reset_index(drop=True)
    frame["score"] = frame["score"].round(4)
    return frame


def write_pairs(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write rebuilt pairs in the format `evaluate --pairs` reads."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, columns=["query_title", "relevant_title", "score"])
    return path
