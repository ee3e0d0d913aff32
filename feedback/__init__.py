"""Reelmate's feedback store: what users thought of the recommendations, kept safely.

Public API (see `feedback.store.FeedbackStore` for the methods, `feedback.models` for the schema):
    store = await FeedbackStore.open(DATABASE_URL)   # migrates to head, or raises StoreError
"""

from feedback.analytics import ItemPrecision, VersionComparison, VersionStats
from feedback.db import DEFAULT_DATABASE_URL, database_url_from_env
from feedback.errors import StoreError, StoreUnavailable, UnknownTarget
from feedback.outbox import Vote, VoteKind, VoteOutbox, VoteOutcome, VoteStatus
from feedback.settings import FeedbackSettings
from feedback.store import FeedbackStore

__all__ = [
    "DEFAULT_DATABASE_URL",
    "FeedbackSettings",
    "FeedbackStore",
    "ItemPrecision",
    "StoreError",
    "StoreUnavailable",
    "UnknownTarget",
    "VersionComparison",
    "VersionStats",
    "Vote",
    "VoteKind",
    "VoteOutbox",
    "VoteOutcome",
    "VoteStatus",
    "database_url_from_env",
]
