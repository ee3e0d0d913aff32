"""RETRAIN_EVERY's value: an interval or a number of new votes.

Apart from the scheduler so that the settings can check the value at start-up without importing the
bot's service layer (which imports the settings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_SPEC = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|votes?)\s*$", re.IGNORECASE)

@dataclass(frozen=True)
class RetrainEvery:
    """Either an interval in seconds or a number of new votes."""

    seconds: float | None = None
    votes: int | None = None

    @classmethod
    def parse(cls, text: str) -> RetrainEvery:
        """`24h`, `30m`, `2d`, `3600s` or `500votes`; ValueError says what is accepted."""
        found = _SPEC.match(text or "")
        if not found or float(found.group(1)) <= 0:
            raise ValueError(f"RETRAIN_EVERY={text!r}: want a positive interval like 24h, 30m, 2d, 3600s, "
                             "or a vote count like 500votes")
        amount, unit = float(found.group(1)), found.group(2).lower()
        if unit.startswith("vote"):
            if amount != int(amount):
                raise ValueError(f"RETRAIN_EVERY={text!r}: a vote count is a whole number")
            return cls(votes=int(amount))
        return cls(seconds=amount * _UNITS[unit])

    def describe(self) -> str:
        return f"every {self.votes} new votes" if self.votes is not None else f"every {self.seconds:g} s"
