"""Jittered exponential backoff: the one schedule behind every retry in the store.

Attempt n waits `first * 2 ** (n - 1)`, capped at `maximum`, stretched by a random factor in
[1, 1 + spread): writers that met the same lock drift apart instead of retrying in step. It is a
tenacity wait strategy (the transaction retry is a tenacity loop); the vote outbox, whose retry is
its queue's own loop, asks it for the n-th delay.
"""

from __future__ import annotations

import random

from tenacity import RetryCallState
from tenacity.wait import wait_base


class JitteredBackoff(wait_base):
    def __init__(self, first: float, maximum: float, spread: float) -> None:
        self.first, self.maximum, self.spread = first, maximum, spread

    def delay(self, attempt: int) -> float:
        """Seconds to wait after the `attempt`-th failure (1-based)."""
        return min(self.first * 2 ** (attempt - 1), self.maximum) * (1 + random.random() * self.spread)

    def __call__(self, retry_state: RetryCallState) -> float:
        return self.delay(retry_state.attempt_number)
