"""The exceptions the feedback store raises to its callers.

Why one base type: the bot and the console show `str(exc)` to a person (a Discord user or an admin),
so every failure the store anticipates - bad input, a file that is not a database, a schema that
cannot be upgraded, a database that stays locked - is a `StoreError` whose message says what
happened and what to do, while the stored data is left untouched.

`StoreUnavailable` marks the failures that say nothing about the change itself (the database is
locked by another process, read-only, out of disk space): the same change can land later, so the
vote outbox keeps it and retries, while any other `StoreError` (an unknown message, a bad value)
would fail again and is reported instead.
"""

from __future__ import annotations


class StoreError(Exception):
    """A user-facing error from the feedback store; `str(exc)` is safe to show."""


class StoreUnavailable(StoreError):
    """The database cannot take the change right now (busy, read-only, full); retrying may work."""


class UnknownTarget(StoreError):
    """The vote's message or item does not exist (never posted, forgotten or purged): it can never land."""
