"""The simulated community: who the members are, what they ask for, and how they vote.

Members are MovieTweetings users (optionally one half of them, see
`lab.evaluation.coliked.user_half`, so that judgments rebuilt from the other half measure
people the bot never heard from). A request is one of the members' likes drawn at random, so a
member who liked more titles asks more often, and always for a title they liked.

A member's opinion of a shown title, in order:
  - a noisy member (a fixed share, chosen by hash) votes 👍/👎 at random on anything shown (with
    `ratings_only`, on the titles they rated);
  - their own rating, if they rated the title: >= 8 up, <= 5 down, in between no vote;
  - with `ratings_only`, nothing more: titles they did not rate get no vote;
  - a title the ratings file never mentions gets no vote;
  - otherwise the taste model's predicted rating plus noise, read with the same thresholds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lab.evaluation.coliked import user_half
from lab.simulate.taste import LIKE_AT, TasteModel, thumb

MEMBER_ID_OFFSET = 10**15  # simulated Discord ids stay clear of real-looking small ids (the console's is 1)


@dataclass(frozen=True)
class Request:
    """One simulated `/recommend`: which member asks for which liked title."""

    index: int
    user_id: int  # MovieTweetings user id
    title: str

    @property
    def discord_id(self) -> int:
        return MEMBER_ID_OFFSET + self.user_id


@dataclass(frozen=True)
class Opinion:
    value: int  # +1 / -1
    source: str  # "rating", "taste" or "noise"


@dataclass
class Community:
    """The members, their ratings, and the taste model for what they did not rate."""

    ratings: pd.DataFrame  # the members' ratings only
    taste: TasteModel | None  # None with ratings_only (nothing beyond their own ratings is needed)
    noisy: frozenset[int]
    ratings_only: bool = False
    own: dict[tuple[int, str], float] = field(init=False)
    likes: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        columns = (self.ratings["user_id"], self.ratings["title"], self.ratings["rating"])
        self.own = {(int(u), str(t)): float(r) for u, t, r in zip(*columns, strict=True)}
        self.likes = self.ratings[self.ratings["rating"] >= LIKE_AT].reset_index(drop=True)
        if self.likes.empty:
            raise ValueError("no member has a like (a rating >= 8): nobody would ask for a recommendation")

    @classmethod
    def build(
        cls,
        ratings: pd.DataFrame,
        *,
        half: str | None = None,
        users_fraction: float = 1.0,
        noise_share: float = 0.05,
        ratings_only: bool = False,
        seed: int = 0,
    ) -> Community:
        """Members = users of `half` ('A'/'B', or everyone), then a `users_fraction` of them by hash.

        The taste model is fitted on the members' ratings alone: the other half's taste must not
        reach the votes, or the measurement on that half would see its own data come back.
        """
        if not 0 < users_fraction <= 1:
            raise ValueError("users_fraction must be in (0, 1]")
        if not 0 <= noise_share <= 1:
            raise ValueError("noise_share must be in [0, 1]")
        user_ids = ratings["user_id"].astype(np.int64)
        chosen = user_ids.map(lambda u: _member(int(u), half, users_fraction, seed))
        own = ratings[chosen.to_numpy()].reset_index(drop=True)
        if own.empty:
            raise ValueError("no users are left as members; use a larger --users-fraction")
        noisy = frozenset(int(u) for u in own["user_id"].unique() if _unit_hash("noise", seed, int(u)) < noise_share)
        taste = None if ratings_only else TasteModel.fit(own, seed=seed)
        return cls(own, taste, noisy, ratings_only)

    @property
    def members(self) -> int:
        return int(self.ratings["user_id"].nunique())

    def requests(self, n: int, seed: int) -> list[Request]:
        """n requests, each a like drawn at random (deterministic for a seed)."""
        rng = np.random.default_rng([seed, 1])
        rows = rng.integers(0, len(self.likes), n)
        users = self.likes["user_id"].to_numpy()[rows]
        titles = self.likes["title"].to_numpy()[rows]
        return [Request(i, int(u), str(t)) for i, (u, t) in enumerate(zip(users, titles, strict=True))]

    def has_seen(self, user_id: int, title: str) -> bool:
        """A member who rated a title has watched it (what a "Seen it" press says)."""
        return (user_id, title) in self.own

    def opinion(self, user_id: int, title: str, rng: np.random.Generator) -> Opinion | None:
        """What the member thinks of a shown title, or None (no vote); see the module docstring."""
        rating = self.own.get((user_id, title))
        if user_id in self.noisy and (rating is not None or not self.ratings_only):
            return Opinion(1 if rng.random() < 0.5 else -1, "noise")
        if rating is not None:
            value = thumb(rating)
            return None if value is None else Opinion(value, "rating")
        if self.ratings_only or self.taste is None:
            return None
        predicted = self.taste.predict(user_id, title)
        if predicted is None:
            return None
        value = thumb(predicted + rng.normal(0.0, self.taste.residual_sd))
        return None if value is None else Opinion(value, "taste")


def _member(user_id: int, half: str | None, fraction: float, seed: int) -> bool:
    if half is not None and user_half(user_id) != half:
        return False
    return fraction >= 1 or _unit_hash("member", seed, user_id) < fraction


def _unit_hash(purpose: str, seed: int, user_id: int) -> float:
    """A number in [0, 1) fixed by (purpose, seed, user): membership never depends on draw order."""
    digest = hashlib.sha256(f"{purpose}:{seed}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
