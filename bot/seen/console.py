"""/seen and /seen-item in the offline console (the /seen command and the Seen it button on Discord)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import render
from bot.console_command import ConsoleCommand
from bot.errors import UserError
from bot.recommend.service import DidYouMean

if TYPE_CHECKING:
    from bot.console import Console


async def seen(console: Console, rest: str) -> None:
    answer = await console.services.seen.mark_seen(user_id=console.user_id, query=rest)
    console.say(render.plain(answer.text if isinstance(answer, DidYouMean) else answer))


async def seen_item(console: Console, rest: str) -> None:
    parts = rest.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise UserError("Usage: /seen-item <request id> <rank>")
    await console.services.seen.mark_seen_items(request_id=int(parts[0]), ranks=[int(parts[1])],
                                                user_id=console.user_id)
    console.say(f"👀 Marked #{parts[1]} of request {parts[0]} as seen: your next lists will skip it.")


COMMANDS = (
    ConsoleCommand("/seen", "  /seen <title>                 mark a title as seen: your lists skip it", seen),
    ConsoleCommand("/seen-item",
                   '  /seen-item <request id> <rank>  mark one title of a list as seen (the "Seen it" button)',
                   seen_item),
)
