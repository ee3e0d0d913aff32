"""The console's /privacy: what is stored about the caller, and `export` writing it to a file."""

from __future__ import annotations

import asyncio
import io
import json
import stat
from pathlib import Path

from bot.console import Console
from bot.services import Services
from feedback import Vote, VoteKind, VoteOutbox
from tests.bot.bot_helpers import USER_ID
from tests.feedback.direct_db import WriteBlocker
from tests.feedback.feedback_outbox_writer import run_voter_and_kill_it


def read_export(path: Path) -> tuple[int, dict]:
    return stat.S_IMODE(path.stat().st_mode), json.loads(path.read_text(encoding="utf-8"))


async def test_console_privacy_summary_and_export(services: Services) -> None:
    out = io.StringIO()
    console = Console(services, user_id=USER_ID, stdout=out)
    await console.handle("/recommend Wednesday")
    await console.handle("/vote 1 up")
    await console.handle("/privacy")
    await console.handle("/privacy export")
    await console.handle("/privacy everything")
    said = out.getvalue()
    assert "Recorded 👍 for request 1." in said
    assert "1 recommendation request(s), 1 👍/👎 reaction(s), 0 item button vote(s)" in said
    assert "What Reelmate stores" in said
    assert "! Usage: /privacy [export]" in said
    path = Path(said.split("was written to ")[1].splitlines()[0])
    assert path.parent == (services.settings.data_dir / "exports").resolve()
    mode, exported = read_export(path)
    assert mode == 0o600  # personal data: the owner only
    assert exported["user_id"] == USER_ID and exported["requests"][0]["query"] == "Wednesday"
    assert [v["value"] for v in exported["message_votes"]] == [1]


async def test_forget_me_also_voids_a_vote_waiting_in_the_journal_of_a_process_that_died(
    services: Services,
) -> None:
    """Process A acknowledges the member's vote (the database is locked) and dies; the member runs
    /forget-me in process B; the vote must not come back at the next start."""
    store, member = services.store, 4242
    request_id = await store.record_request(
        guild_id=1, channel_id=2, user_id=99, query="Dark", resolved_item_id=7, resolved_title="Dark",
        model_version="vA", latency_ms=1.0, items=[(100, "Title", 0.9)])
    await store.attach_message(request_id, 777)
    await services.votes.open_outbox()  # process B is up (journal 1) before A dies
    url, outbox_path = services.settings.resolved_database_url, services.settings.outbox_path
    vote = Vote(kind=VoteKind.MESSAGE, user_id=member, message_id=777, value=1)
    blocker = WriteBlocker(url)
    await blocker.hold()
    try:
        assert await asyncio.to_thread(run_voter_and_kill_it, url, outbox_path, [vote]) == [vote.id]
    finally:
        await blocker.release()
        await blocker.close()

    assert "Done: deleted" in await services.privacy.forget(member)
    await services.close()
    restarted = await VoteOutbox.open(store, outbox_path)  # the next start
    try:
        await restarted.replay()
    finally:
        await restarted.close()
    assert (await store.export_user(member))["message_votes"] == []
    assert await store.message_counts(777) == (0, 0)


async def test_forget_me_removes_the_members_earlier_exports_and_says_so(services: Services) -> None:
    out = io.StringIO()
    console = Console(services, user_id=USER_ID, stdin=io.StringIO("yes\n"), stdout=out)
    await console.handle("/privacy export")
    exports = services.settings.data_dir / "exports"
    other = exports / "reelmate-data-1-20260101T000000Z.json"
    other.write_text("{}", encoding="utf-8")  # another member's export stays
    await console.handle("/forget-me")
    said = out.getvalue()
    assert "Done: deleted" in said
    assert "1 earlier export file" in said
    assert sorted(p.name for p in exports.iterdir()) == [other.name]
