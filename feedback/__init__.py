"""Reelmate's feedback store: what users thought of the recommendations, kept safely.

Public API (see `feedback.store.FeedbackStore` for the methods, `feedback.models` for the schema):
    settings = FeedbackSettings()                           # DATABASE_URL / DATA_DIR from env and .env
    store = await FeedbackStore.open(settings.resolved_database_url)  # migrates, or raises StoreError
    outbox = await VoteOutbox.open(store, settings.outbox_path)       # durable votes (feedback.outbox)
    await outbox.replay()                                   # before taking traffic
"""

from feedback.analytics import ItemPrecision, VersionComparison, VersionStats
from feedback.errors import StoreError, StoreUnavailable, UnknownTarget
from feedback.outbox import Vote, VoteKind, VoteOutbox, VoteOutcome, VoteStatus
from feedback.settings import DEFAULT_DATABASE_URL, FeedbackSettings, database_url_from_env
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
