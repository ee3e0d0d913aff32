"""/privacy [export] and /forget-me in the offline console (an export is written to DATA_DIR/exports)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bot import render
from bot.console_command import ConsoleCommand
from bot.errors import UserError
from bot.privacy.exports import write_export
from bot.privacy.service import CONFIRM

if TYPE_CHECKING:
    from bot.console import Console


async def privacy(console: Console, rest: str) -> None:
    service = console.services.privacy
    # `export:True` is how Discord (and /privacy's own answer) spells it; `export` is the console's.
    if rest.strip().lower() in ("export", "export:true"):
        data = await service.privacy_export(console.user_id)
        path = await asyncio.to_thread(write_export, service.settings.data_dir, console.user_id, data)
        console.say(f"Everything Reelmate stores about you was written to {path.resolve()}")
        return
    if rest.strip():
        raise UserError("Usage: /privacy [export]")
    console.say(render.plain(await service.privacy_report(console.user_id)))


async def forget_me(console: Console, rest: str) -> None:
    console.say(f"{CONFIRM} Type yes to confirm.")
    answer = await console.readline()
    if (answer or "").strip().lower() not in ("yes", "y"):
        console.say("Cancelled: nothing was deleted.")
        return
    console.say(await console.services.privacy.forget(console.user_id))


COMMANDS = (
    ConsoleCommand("/privacy", "  /privacy [export]             what is stored about you (export: write it all to a "
                   "JSON file)", privacy),
    ConsoleCommand("/forget-me", "  /forget-me                    delete your data (asks for confirmation)", forget_me),
)
