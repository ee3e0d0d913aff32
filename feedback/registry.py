"""Model versions (with their evaluation figures) and the retrain jobs that produced them."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.errors import StoreError
from feedback.models import ModelVersion, RetrainJob, RetrainStatus, utcnow
from feedback.validation import ModelName, Snowflake, Version

_NO_SYNC = {"synchronize_session": False}
FINISHED_STATUSES = tuple(s for s in RetrainStatus if s is not RetrainStatus.RUNNING)


def _json_safe(value: Any) -> Any:
    """Metrics as JSON: NaN/inf become null (PostgreSQL's JSON refuses them), keys become text."""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _json_safe(value.item())
    return value


async def register_model(session: AsyncSession, version: ModelName, metrics: dict[str, Any], *, active: bool) -> None:
    """Record (or update) a model version and its evaluation figures.

    active=True makes it the only active version; active=False marks it inactive.
    """
    safe = _json_safe(metrics)
    try:
        json.dumps(safe, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"metrics for {version} are not JSON-serialisable: {exc}") from None
    now = utcnow()
    if active:
        await session.execute(
            update(ModelVersion).where(ModelVersion.active.is_(True), ModelVersion.version != version)
            .values(active=False),
            execution_options=_NO_SYNC,
        )
    row = await session.scalar(select(ModelVersion).where(ModelVersion.version == version))
    if row is None:
        session.add(ModelVersion(version=version, metrics=safe, active=active, activated_at=now if active else None))
        return
    row.metrics = safe
    if active and not row.active:
        row.activated_at = now
    row.active = active


async def active_model(session: AsyncSession) -> str | None:
    return await session.scalar(
        select(ModelVersion.version).where(ModelVersion.active.is_(True))
        .order_by(ModelVersion.activated_at.desc()).limit(1)
    )


async def start_retrain(session: AsyncSession, *, requested_by: Snowflake | None, guild_id: Snowflake | None) -> int:
    """Record a retrain job as running; returns its id. `requested_by` None: nobody asked (the first
    training at start-up), so no member's /privacy lists it."""
    job = RetrainJob(requested_by=requested_by, guild_id=guild_id, status=RetrainStatus.RUNNING)
    session.add(job)
    await session.flush()
    return job.id


async def finish_retrain(
    session: AsyncSession, job_id: Snowflake, *, status: str, version: Version | None = None,
    error: str | None = None,
) -> None:
    """Close a running job: status is succeeded, rejected or failed."""
    if status not in FINISHED_STATUSES:
        raise StoreError(
            f"retrain status must be one of {', '.join(s.value for s in FINISHED_STATUSES)}, got {status!r}"
        )
    job = await session.get(RetrainJob, job_id)
    if job is None:
        raise StoreError(f"unknown retrain job {job_id}")
    if job.status is not RetrainStatus.RUNNING:
        raise StoreError(f"retrain job {job_id} already finished ({job.status.value})")
    job.status, job.version, job.error, job.finished_at = RetrainStatus(status), version, error, utcnow()


async def fail_interrupted_retrains(session: AsyncSession, reason: str = "interrupted: the bot restarted") -> int:
    """At start-up: jobs still running belong to a dead process; mark them failed."""
    result = await session.execute(
        update(RetrainJob).where(RetrainJob.status == RetrainStatus.RUNNING)
        .values(status=RetrainStatus.FAILED, error=reason, finished_at=utcnow()),
        execution_options=_NO_SYNC,
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def retrain_jobs(session: AsyncSession, limit: int = 10) -> list[dict[str, Any]]:
    """The most recent retrain jobs, newest first (status as its text value)."""
    jobs = (await session.scalars(select(RetrainJob).order_by(RetrainJob.id.desc()).limit(limit))).all()
    return [
        {"id": j.id, "requested_by": j.requested_by, "guild_id": j.guild_id, "status": j.status.value,
         "version": j.version, "error": j.error, "started_at": j.started_at, "finished_at": j.finished_at}
        for j in jobs
    ]
