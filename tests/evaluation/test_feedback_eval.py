"""`evaluate --feedback` on a real SQLite file migrated with the real Alembic scripts."""

from __future__ import annotations

import asyncio
import json

from feedback import FeedbackStore
from lab.cli import main


async def _fill(url: str) -> None:
    store = await FeedbackStore.open(url)
    try:
        await store.register_model("v1", {}, active=False)
        await store.register_model("v2", {}, active=True)
        message = 1000
        # v1: 2 up of 5 message votes; v2: 4 up of 5
        for version, ups in (("v1", 2), ("v2", 4)):
            request = await store.record_request(
                guild_id=1,
                channel_id=2,
                user_id=3,
                query="squid game",
                resolved_item_id=1,
                resolved_title="Squid Game",
                model_version=version,
                latency_ms=1.0,
                items=[(10, "A", 0.9), (11, "B", 0.8), (12, "C", 0.7)],
            )
            message += 1
            await store.attach_message(request, message)
            for user in range(5):
                await store.vote_message(message_id=message, user_id=100 + user, value=1 if user < ups else -1)
            # per-item votes from one user: ranks 1 up, 2 down -> precision@2 = 0.5 for both versions
            await store.vote_item(request_id=request, rank=1, user_id=7, value=1)
            await store.vote_item(request_id=request, rank=2, user_id=7, value=-1)
    finally:
        await store.close()


def test_feedback_rates_item_precision_and_ab(tmp_path, capsys):
    url = f"sqlite+aiosqlite:///{tmp_path / 'fb.db'}"
    asyncio.run(_fill(url))
    assert main(["evaluate", "--feedback", url, "-k", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_version = {v["version"]: v for v in data["versions"]}
    assert (by_version["v1"]["up"], by_version["v1"]["total"]) == (2, 5)
    assert by_version["v2"]["rate"] == 0.8 and by_version["v2"]["ci_low"] < 0.8 < by_version["v2"]["ci_high"]
    assert by_version["v1"]["item_precision"] == 0.5 and by_version["v1"]["item_precision_lists"] == 1
    ab = data["ab"]
    assert (ab["a"], ab["b"]) == ("v2", "v1")  # active version first
    assert abs(ab["diff"] - 0.4) < 1e-9 and ab["ci_low"] < 0.4 < ab["ci_high"]

    assert main(["evaluate", "--feedback", url, "-k", "2"]) == 0
    text = capsys.readouterr().out
    assert "80.0% [" in text and "A/B: v2 minus v1: +40.0%" in text


def test_missing_database_file_is_a_clear_error_and_not_created(tmp_path, capsys):
    path = tmp_path / "nope.db"
    assert main(["evaluate", "--feedback", f"sqlite+aiosqlite:///{path}"]) == 2
    assert f"feedback database {path} does not exist" in capsys.readouterr().err
    assert not path.exists()
