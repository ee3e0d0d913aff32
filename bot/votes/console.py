"""/vote and /vote-item in the offline console (the reaction and the per-item buttons on Discord)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.console_command import ConsoleCommand
from bot.errors import UserError
from bot.votes.service import VOTE_WAIT, vote_value

if TYPE_CHECKING:
    from bot.console import Console


async def vote(console: Console, rest: str) -> None:
    parts = rest.split()
    if len(parts) != 2 or not parts[0].isdigit():
        raise UserError("Usage: /vote <request-or-message id> up|down")
    value = vote_value(parts[1])
    votes = console.services.votes
    outcome = await votes.vote_message(message_id=int(parts[0]), user_id=console.user_id, value=value, wait=VOTE_WAIT)
    console.say(votes.vote_reply(outcome, value, f"request {parts[0]}"))  # the console's message id is its request id


async def vote_item(console: Console, rest: str) -> None:
    parts = rest.split()
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        raise UserError("Usage: /vote-item <request id> <rank> up|down")
    console.say(await console.services.votes.vote_item(
        request_id=int(parts[0]), rank=int(parts[1]), user_id=console.user_id, value=vote_value(parts[2])
    ))


COMMANDS = (
    ConsoleCommand("/vote", "  /vote <request-or-message id> up|down", vote),
    ConsoleCommand("/vote-item", "  /vote-item <request id> <rank> up|down", vote_item),
)
