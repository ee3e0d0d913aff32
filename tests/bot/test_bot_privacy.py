"""The console's /privacy: what is stored about the caller, and `export` writing it to a file."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

from bot.console import Console
from bot.service import RecommendService
from tests.bot.bot_helpers import USER_ID


def read_export(path: Path) -> tuple[int, dict]:
    return stat.S_IMODE(path.stat().st_mode), json.loads(path.read_text(encoding="utf-8"))


async def test_console_privacy_summary_and_export(service: RecommendService) -> None:
    out = io.StringIO()
    console = Console(service, user_id=USER_ID, stdout=out)
    await console.handle("/recommend Wednesday")
    await console.handle("/vote 1 up")
    await console.handle("/privacy")
    await console.handle("/privacy export")
    await console.handle("/privacy everything")
    said = out.getvalue()
    assert "Recorded 👍 for 1." in said
    assert "1 recommendation request(s), 1 👍/👎 reaction(s), 0 item button vote(s)" in said
    assert "What Reelmate stores" in said
    assert "! Usage: /privacy [export]" in said
    path = Path(said.split("was written to ")[1].splitlines()[0])
    assert path.parent == (service.settings.data_dir / "exports").resolve()
    mode, exported = read_export(path)
    assert mode == 0o600  # personal data: the owner only
    assert exported["user_id"] == USER_ID and exported["requests"][0]["query"] == "Wednesday"
    assert [v["value"] for v in exported["message_votes"]] == [1]
