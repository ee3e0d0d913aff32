"""/library in the offline console: import a file by path, show, remove (the console's own library)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from bot import render
from bot.console_command import ConsoleCommand
from bot.errors import UserError
from bot.library.service import CONSOLE_GUILD_ID, LibraryError
from recommender.library import MAX_BYTES

if TYPE_CHECKING:
    from bot.console import Console

USAGE = "Usage: /library import <path> | /library show | /library remove"


async def library_command(console: Console, rest: str) -> None:
    """`/library import PATH`, `/library show`, `/library remove`."""
    action, _, argument = rest.strip().partition(" ")
    library = console.services.library
    if action == "show":
        console.say(render.plain(await library.show(CONSOLE_GUILD_ID)))
    elif action == "remove":
        console.say(render.plain(await library.remove(CONSOLE_GUILD_ID)))
    elif action == "import":
        raw = await asyncio.to_thread(_read, argument.strip().strip('"'))
        console.say("Reading, matching and embedding the titles…")
        try:
            report = await library.import_file(CONSOLE_GUILD_ID, raw)
        except LibraryError as exc:
            raise UserError(render.plain(str(exc))) from None
        console.say(render.plain(report.text()))
    else:
        raise UserError(USAGE)


def _read(path_text: str) -> bytes:
    if not path_text:
        raise UserError(USAGE)
    path = Path(path_text).expanduser()
    try:
        if path.stat().st_size > MAX_BYTES:
            raise UserError(f"Nothing was imported: {path.name} is {path.stat().st_size / 1e6:.1f} MB; a library "
                            f"export may be at most {MAX_BYTES / 1e6:.0f} MB.")
        return path.read_bytes()
    except OSError as exc:
        raise UserError(f"Cannot read {path}: {exc.strerror or exc}.") from None


COMMANDS = (
    ConsoleCommand("/library",
                   '  /library import <path> | show | remove   the titles "this server" has '
                   "(Jellyfin, Plex, Letterboxd, IMDb)", library_command),
)
