"""The one exception the feedback store raises to its callers.

Why a single type: the bot and the console show `str(exc)` to a person (a Discord user or an admin),
so every failure the store anticipates - bad input, a file that is not a database, a schema that
cannot be upgraded, a database that stays locked - is turned into a `StoreError` whose message says
what happened and what to do, while the stored data is left untouched.
"""

from __future__ import annotations


class StoreError(Exception):
    """A user-facing error from the feedback store; `str(exc)` is safe to show."""
