"""FeedbackStore: the thin async facade the bot and the console use.

Why it looks like this: each operation is a plain function of a session in the module of its
record kind (`requests`, `votes`, `seen`, `experiments`, `registry`, `analytics`, `privacy`); this class only opens the
database (migrating it first, with Alembic in a worker thread) and exposes every operation through
`feedback.transactions.transaction`, which validates the arguments with pydantic and runs the
operation in one transaction with the retry policy. Every method is a coroutine that never blocks
the bot's event loop: on a SQLite file each transaction runs whole on a worker thread
(`feedback.threads`), on PostgreSQL on the async driver. Bad input raises StoreError
before anything is written; a failed transaction is rolled back.

See `feedback.models` for the schema.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from alembic.util import CommandError
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from feedback import analytics, experiments, library, privacy, registry, requests, seen, vote_stats, votes
from feedback import migrate as migrations_api
from feedback.db import async_url, create_store_engine, prepare_sqlite_file, runs_inline
from feedback.errors import StoreError
from feedback.outbox import OutboxWrites
from feedback.transactions import Transactor, in_session, transaction

OutboxStep = Callable[[OutboxWrites], Awaitable[object]]  # one write of `FeedbackStore.write_batch`


class FeedbackStore:
    """Recommendation requests, votes, seen marks, experiments, model versions and retrain jobs in one database."""

    def __init__(self, engine: AsyncEngine, url: URL) -> None:
        """Use `await FeedbackStore.open(url)`: it migrates and checks the database first."""
        self._engine = engine
        self._url = url
        self._transactor = Transactor(engine, sqlite=url.get_backend_name() == "sqlite")

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> FeedbackStore:
        """Open the database at `url`, upgrading its schema to head first (unless migrate=False).

        Raises StoreError when the URL is invalid, the file is not a SQLite database, the schema
        cannot be upgraded, or (migrate=False) the schema is not at the revision this code expects.
        """
        target = async_url(url)
        where = target.render_as_string(hide_password=True)
        if target.get_backend_name() == "sqlite":
            await asyncio.to_thread(prepare_sqlite_file, target)
        try:
            engine = create_store_engine(target)
        except (ImportError, SQLAlchemyError) as exc:
            raise StoreError(f"cannot use the database at {where}: {exc}") from None
        # Read the stamped revision first (a plain read: it works while another process holds the
        # write lock); only a schema behind this code runs the migration, which needs that lock.
        current, heads = await cls._revisions(engine, where)
        if migrate and set(current) != set(heads):
            try:
                await cls._upgrade(target.render_as_string(hide_password=False), where)
            except StoreError:
                await engine.dispose()
                raise
            current, heads = await cls._revisions(engine, where)
        if set(current) != set(heads):
            await engine.dispose()
            found = ", ".join(current) or "empty"
            raise StoreError(
                f"the database at {where} has schema revision {found} but this Reelmate expects "
                f"{', '.join(heads)}; run `python -m feedback upgrade` "
                "(or open the store with migrate=True)"
            )
        return cls(engine, target)

    @staticmethod
    async def _revisions(engine: AsyncEngine, where: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(revisions stamped in the database, heads of this code's migrations)."""
        async def read() -> tuple[str, ...]:
            async with engine.connect() as conn:
                return await conn.run_sync(migrations_api.current_revisions_sync)

        try:
            if runs_inline(engine):  # the inline driver blocks: on a thread of its own
                current = await asyncio.to_thread(asyncio.run, read())
            else:
                current = await read()
            heads = await asyncio.to_thread(migrations_api.head_revisions)
        except (OSError, SQLAlchemyError) as exc:
            await engine.dispose()
            raise StoreError(f"cannot open the database at {where}: {getattr(exc, 'orig', exc)}") from None
        return current, heads

    @staticmethod
    async def _upgrade(url: str, where: str) -> None:
        for attempt in range(1, 4):
            try:
                await asyncio.to_thread(migrations_api.upgrade, url)
                return
            except StoreError:
                raise
            except CommandError as exc:
                if "Can't locate revision" in str(exc):
                    raise StoreError(
                        f"the database at {where} was migrated by a newer Reelmate ({exc}); "
                        "upgrade Reelmate or restore a backup"
                    ) from None
                raise StoreError(f"cannot upgrade the database schema at {where}: {exc}") from None
            except (OSError, RuntimeError, SQLAlchemyError) as exc:
                reason = getattr(exc, "orig", None) or exc
                # Another process may be upgrading the same file right now: wait and try again.
                if attempt < 3 and ("locked" in str(reason) or "already exists" in str(reason)):
                    await asyncio.sleep(0.2 * attempt)
                    continue
                raise StoreError(f"cannot upgrade the database schema at {where}: {reason}") from None

    def impatient(self, seconds: float) -> FeedbackStore:
        """The same store for operations that must not wait out a busy database: each makes one
        attempt, waits at most `seconds` for the write lock, then raises StoreUnavailable (so the
        caller can leave the change to the outbox). Shares the engines (`close` closes its writer's
        too): never close the copy."""
        copy = FeedbackStore.__new__(FeedbackStore)
        copy.__dict__.update(self.__dict__)
        copy._transactor = self._transactor.impatient(seconds)
        return copy

    async def close(self) -> None:
        """Return every connection; on SQLite the last close checkpoints the WAL into the file."""
        await self._transactor.dispose()

    async def __aenter__(self) -> FeedbackStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def url(self) -> str:
        """The database URL with any password hidden (safe to log)."""
        return self._url.render_as_string(hide_password=True)

    @property
    def sqlite_file(self) -> str | None:
        """The database file on SQLite (the vote outbox sits beside it), else None."""
        return self._url.database if self._url.get_backend_name() == "sqlite" else None

    async def write_batch(self, steps: Sequence[OutboxStep]) -> list[StoreError | None]:
        """Run the outbox's writes in ONE transaction (see `Transactor.run_steps`): per step None,
        or the StoreError that undid that step alone."""
        def on_session(step: OutboxStep) -> Callable[[AsyncSession], Awaitable[object]]:
            return lambda session: step(_InTransaction(session))

        return await self._transactor.run_steps([on_session(step) for step in steps])

    # ------------------------------------------------------------------ operations
    # Each is `transaction(operation, write=...)`: see the operation's docstring for what it does.

    record_request = transaction(requests.record_request, write=True)
    attach_message = transaction(requests.attach_message, write=True)
    is_recommendation_message = transaction(requests.is_recommendation_message, write=False)
    message_counts = transaction(requests.message_counts, write=False)

    vote_message = transaction(votes.vote_message, write=True)
    retract_message_vote = transaction(votes.retract_message_vote, write=True)
    vote_item = transaction(votes.vote_item, write=True)

    mark_seen = transaction(seen.mark_seen, write=True)
    mark_seen_message = transaction(seen.mark_seen_message, write=True)
    unmark_seen_message = transaction(seen.unmark_seen_message, write=True)
    mark_seen_item = transaction(seen.mark_seen_item, write=True)
    unmark_seen = transaction(seen.unmark_seen, write=True)
    seen_item_ids = transaction(seen.seen_item_ids, write=False)
    query_history = transaction(seen.query_history, write=False)
    personal_history = transaction(seen.personal_history, write=False)
    shown_titles = transaction(seen.shown_titles, write=False)

    start_experiment = transaction(experiments.start_experiment, write=True)
    stop_experiment = transaction(experiments.stop_experiment, write=True)
    running_experiment = transaction(experiments.running_experiment, write=False)
    latest_experiment = transaction(experiments.latest_experiment, write=False)
    get_experiment = transaction(experiments.get_experiment, write=False)
    experiment_votes = transaction(experiments.experiment_votes, write=False)

    replace_library = transaction(library.replace_library, write=True)
    remove_library = transaction(library.remove_library, write=True)
    get_library = transaction(library.get_library, write=False)

    register_model = transaction(registry.register_model, write=True)
    active_model = transaction(registry.active_model, write=False)
    start_retrain = transaction(registry.start_retrain, write=True)
    finish_retrain = transaction(registry.finish_retrain, write=True)
    fail_interrupted_retrains = transaction(registry.fail_interrupted_retrains, write=True)
    retrain_jobs = transaction(registry.retrain_jobs, write=False)

    feedback_stats = transaction(analytics.version_stats, write=False)
    item_precision = transaction(analytics.item_precision, write=False)
    compare_versions = transaction(analytics.compare_versions, write=False)
    pair_vote_counts = transaction(vote_stats.pair_vote_counts, write=False)
    member_votes = transaction(vote_stats.member_votes, write=False)

    export_user = transaction(privacy.export_user, write=False)
    summarise_user = transaction(privacy.summarise_user, write=False)
    delete_user = transaction(privacy.delete_user, write=True)
    purge_older_than = transaction(privacy.purge_older_than, write=True)


class _InTransaction:
    """The outbox's writes (`OutboxWrites`) on the transaction `write_batch` opened."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    record_request = in_session(requests.record_request)
    attach_message = in_session(requests.attach_message)
    mark_seen_item = in_session(seen.mark_seen_item)
    mark_seen_message = in_session(seen.mark_seen_message)
    unmark_seen_message = in_session(seen.unmark_seen_message)
    vote_item = in_session(votes.vote_item)
    vote_message = in_session(votes.vote_message)
    retract_message_vote = in_session(votes.retract_message_vote)
