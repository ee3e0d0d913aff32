"""A/B experiments between model versions: which one runs, and the votes each arm received.

Why in the store: the experiment must outlive a restart and be the same for every process sharing
the database (a member stays in their arm), and the arm is recorded with every request so that the
comparison is computed from what members were actually shown. One experiment at a time: starting
one while another runs is refused (the caller stops the old one first).

Arms: "control" is the serving model, "challenger" the experiment's version. Members are assigned by
`arm_for` (a hash of user id and experiment id), so the split needs no stored table and a member
who comes back lands in the same arm.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import Field
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.errors import StoreError
from feedback.models import (
    Experiment,
    ItemVote,
    MessageVote,
    RecommendationMessage,
    RecommendationRequest,
    RecommendedItem,
    utcnow,
)
from feedback.validation import Explained, ModelName, Snowflake

CONTROL, CHALLENGER = "control", "challenger"
ARMS = (CONTROL, CHALLENGER)
Share = Annotated[
    int, Field(ge=1, le=99),
    Explained("share is the percent of members who get the challenger, 1 to 99, got {input!r}"),
]


@dataclass(frozen=True)
class ExperimentInfo:
    id: int
    version: str
    share: int
    started_at: datetime
    stopped_at: datetime | None
    started_by: int | None

    @property
    def running(self) -> bool:
        return self.stopped_at is None


@dataclass(frozen=True)
class ArmVote:
    """One vote on a request served in an experiment, for the sequential test (time order)."""

    at: datetime
    arm: str
    model_version: str | None
    kind: str  # "reaction" (👍/👎 on the message) or "item" (a per-item button)
    value: int
    request_id: int
    user_id: int
    rank: int | None  # the item's rank for item votes


def arm_for(user_id: int, experiment_id: int, share: int) -> str:
    """The member's arm: a stable hash of (user, experiment) below `share` percent is the challenger.

    sha256 rather than Python's `hash`, which is salted per process: every process and every
    restart must put a member in the same arm.
    """
    digest = hashlib.sha256(f"{experiment_id}:{user_id}".encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") % 10_000
    return CHALLENGER if bucket < share * 100 else CONTROL


def _info(row: Experiment) -> ExperimentInfo:
    return ExperimentInfo(row.id, row.version, row.share, row.started_at, row.stopped_at, row.started_by)


async def start_experiment(session: AsyncSession, *, version: ModelName, share: Share,
                           started_by: Snowflake | None) -> ExperimentInfo:
    """Start an experiment of `version` on `share` percent of members; refused while one runs."""
    running = await session.scalar(select(Experiment).where(Experiment.stopped_at.is_(None)))
    if running is not None:
        raise StoreError(f"experiment {running.id} ({running.version}, {running.share}%) is still running; "
                         "stop it first")
    row = Experiment(version=version, share=share, started_by=started_by, started_at=utcnow())
    session.add(row)
    await session.flush()
    return _info(row)


async def stop_experiment(session: AsyncSession) -> ExperimentInfo | None:
    """Stop the running experiment (None if none runs); its requests and votes stay for analysis."""
    row = await session.scalar(select(Experiment).where(Experiment.stopped_at.is_(None)))
    if row is None:
        return None
    row.stopped_at = utcnow()
    await session.flush()
    return _info(row)


async def running_experiment(session: AsyncSession) -> ExperimentInfo | None:
    row = await session.scalar(select(Experiment).where(Experiment.stopped_at.is_(None)))
    return None if row is None else _info(row)


async def get_experiment(session: AsyncSession, experiment_id: Snowflake) -> ExperimentInfo:
    row = await session.get(Experiment, experiment_id)
    if row is None:
        raise StoreError(f"there is no experiment {experiment_id}")
    return _info(row)


async def latest_experiment(session: AsyncSession) -> ExperimentInfo | None:
    """The running experiment, else the last one stopped (what /experiment status shows)."""
    row = await session.scalar(select(Experiment).order_by(Experiment.id.desc()).limit(1))
    return None if row is None else _info(row)


async def experiment_votes(session: AsyncSession, experiment_id: Snowflake) -> list[ArmVote]:
    """Every vote on requests of this experiment, oldest first (a replaced vote counts at its update)."""
    request = RecommendationRequest
    reactions = await session.execute(
        select(MessageVote.created_at, MessageVote.updated_at, request.arm, request.model_version,
               MessageVote.value, request.id, MessageVote.user_id)
        .join(RecommendationMessage, RecommendationMessage.message_id == MessageVote.message_id)
        .join(request, request.id == RecommendationMessage.request_id)
        .where(request.experiment_id == experiment_id, request.arm.is_not(None))
    )
    items = await session.execute(
        select(ItemVote.created_at, ItemVote.updated_at, request.arm, request.model_version,
               ItemVote.value, request.id, ItemVote.user_id, RecommendedItem.rank)
        .join(RecommendedItem, RecommendedItem.id == ItemVote.recommended_item_id)
        .join(request, request.id == RecommendedItem.request_id)
        .where(request.experiment_id == experiment_id, request.arm.is_not(None))
    )
    votes = [ArmVote(updated or created, str(arm), version, "reaction", int(value), int(rid), int(uid), None)
             for created, updated, arm, version, value, rid, uid in reactions]
    votes += [ArmVote(updated or created, str(arm), version, "item", int(value), int(rid), int(uid), int(rank))
              for created, updated, arm, version, value, rid, uid, rank in items]
    return sorted(votes, key=lambda v: (v.at, v.request_id, v.rank or 0))


async def forget_admin(session: AsyncSession, user_id: int) -> None:
    """Part of /forget-me: experiments an admin started are kept, without their id."""
    await session.execute(update(Experiment).where(Experiment.started_by == user_id).values(started_by=None),
                          execution_options={"synchronize_session": False})
