"""What the bot uses of the feedback store, as a protocol (a `feedback.FeedbackStore` satisfies it).

Why a protocol: every feature receives the store, and `Any` hid which operations the bot depends
on; mypy now checks each call and that `FeedbackStore` provides them all. The outbox's own writes
come from `feedback.outbox.OutboxStore`.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Protocol

from feedback.outbox import OutboxStore

if TYPE_CHECKING:
    import pandas as pd

    from feedback.analytics import VersionStats
    from feedback.experiments import ArmVote, ExperimentInfo
    from feedback.seen import History


class BotStore(OutboxStore, Protocol):
    """The feedback store as the bot's features see it."""

    def impatient(self, seconds: float) -> BotStore: ...

    def close(self) -> Awaitable[None]: ...

    # recommend and votes
    def is_recommendation_message(self, message_id: int) -> Awaitable[bool]: ...

    def pair_vote_counts(self) -> Awaitable[pd.DataFrame]: ...

    # seen
    def mark_seen(self, *, user_id: int, item_id: int, title: str, source: str = "command") -> Awaitable[bool]: ...

    def personal_history(self, *, user_id: int, resolved_item_id: int) -> Awaitable[tuple[frozenset[int], History]]: ...

    def shown_titles(self, request_id: int) -> Awaitable[list[tuple[int, str]]]: ...

    # experiments
    def start_experiment(self, *, version: str, share: int, started_by: int | None) -> Awaitable[ExperimentInfo]: ...

    def stop_experiment(self) -> Awaitable[ExperimentInfo | None]: ...

    def running_experiment(self) -> Awaitable[ExperimentInfo | None]: ...

    def latest_experiment(self) -> Awaitable[ExperimentInfo | None]: ...

    def get_experiment(self, experiment_id: int) -> Awaitable[ExperimentInfo]: ...

    def experiment_votes(self, experiment_id: int) -> Awaitable[list[ArmVote]]: ...

    # admin: the model registry, retrain jobs, statistics
    def register_model(self, version: str, metrics: dict[str, Any], *, active: bool) -> Awaitable[None]: ...

    def start_retrain(self, *, requested_by: int, guild_id: int | None) -> Awaitable[int]: ...

    def finish_retrain(self, job_id: int, *, status: str, version: str | None = None,
                       error: str | None = None) -> Awaitable[None]: ...

    def fail_interrupted_retrains(self, reason: str = ...) -> Awaitable[int]: ...

    def feedback_stats(self) -> Awaitable[list[VersionStats]]: ...

    # privacy
    def export_user(self, user_id: int) -> Awaitable[dict[str, Any]]: ...

    def summarise_user(self, user_id: int) -> Awaitable[dict[str, Any]]: ...

    def delete_user(self, user_id: int) -> Awaitable[int]: ...

    def purge_older_than(self, days: int) -> Awaitable[int]: ...
