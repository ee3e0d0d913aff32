"""/forget-me covers every feature's member data: the registry against the schema and the database.

A feature that stores member ids in a new table or column must register it (`bot.privacy.registry`);
the first test fails until it does. The second writes member data through every feature's own path
into a real migrated SQLite store, then checks that /forget-me leaves no registered column holding
the member: a registered table the store's delete misses fails it.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3

from bot.privacy.registry import MemberData, PrivacyRegistry
from bot.recommend.service import Recommended
from bot.services import Services
from feedback.db import sqlite_path
from feedback.models import Base
from tests.bot.bot_helpers import USER_ID

# Columns that hold a Discord member's id: `user_id`, and who did something (`requested_by`, `started_by`).
MEMBER_COLUMN = re.compile(r"^user_id$|_by$")


def member_columns() -> set[tuple[str, str]]:
    """(table, column) of every column of the feedback schema that holds a member id."""
    return {(table.name, column.name) for table in Base.metadata.sorted_tables for column in table.columns
            if MEMBER_COLUMN.search(column.name)}


def test_the_schema_has_member_columns_to_check() -> None:
    assert {("message_votes", "user_id"), ("retrain_jobs", "requested_by")} <= member_columns()


def test_every_member_column_is_registered_by_a_feature(services: Services) -> None:
    registered = services.privacy_registry.columns()
    assert member_columns() - registered == set(), "member data no feature registered for /forget-me"
    assert registered - member_columns() == set(), "registered columns the schema does not have"


def test_a_feature_registers_once() -> None:
    registry = PrivacyRegistry()
    registry.register(MemberData("votes", {"message_votes": ("user_id",)}))
    try:
        registry.register(MemberData("votes", {"item_votes": ("user_id",)}))
    except ValueError:
        return
    raise AssertionError("a second registration of the same feature was accepted")


async def test_forget_me_leaves_no_registered_column_holding_the_member(services: Services) -> None:
    member, other = USER_ID, USER_ID + 1
    out = await services.recommend.recommend(user_id=member, guild_id=1, channel_id=2, query="Wednesday")
    assert isinstance(out, Recommended)
    await services.votes.attach_message(out.request_id, 9001)
    await services.votes.vote_message(message_id=9001, user_id=member, value=1)
    await services.votes.vote_item(request_id=out.request_id, rank=1, user_id=member, value=1)
    await services.votes.vote_item(request_id=out.request_id, rank=2, user_id=other, value=1)
    await services.seen.mark_seen(user_id=member, query="Squid Game")
    job = await services.store.start_retrain(requested_by=member, guild_id=None)
    await services.store.finish_retrain(job, status="failed", error="stopped by the test")
    await services.store.start_experiment(version="v-challenger", share=10, started_by=member)

    database = sqlite_path(services.settings.resolved_database_url)
    assert database is not None

    def holding_member() -> dict[tuple[str, str], int]:
        with contextlib.closing(sqlite3.connect(database)) as db:
            return {(table, column): db.execute(f"SELECT count(*) FROM {table} WHERE {column} = ?",
                                                (member,)).fetchone()[0]
                    for table, column in sorted(services.privacy_registry.columns())}

    before = holding_member()
    assert all(before.values()), f"the scenario must write member data for every registered column: {before}"
    assert "Done: deleted" in await services.privacy.forget(member)
    assert holding_member() == dict.fromkeys(before, 0)
    # The other member's vote on the forgotten member's list stays (the request is kept anonymised).
    assert (await services.store.export_user(other))["item_votes"]
