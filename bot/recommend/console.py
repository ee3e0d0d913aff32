"""/recommend and /pick in the offline console (a line without a leading / is a /recommend too)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bot import render
from bot.console_command import ConsoleCommand
from bot.errors import UserError
from bot.library.service import CONSOLE_GUILD_ID
from bot.recommend.service import DidYouMean

if TYPE_CHECKING:
    from bot.console import Console

_OPTION = re.compile(r'(?<!\S)(k|type|language|title|from):("([^"]*)"|\S*)', re.IGNORECASE)


def parse_recommend_args(text: str) -> dict[str, Any]:
    """'Wednesday k:5 type:Show language:English' -> {'query': 'Wednesday', 'k': 5, ...}."""
    opts: dict[str, Any] = {}
    for m in _OPTION.finditer(text):
        opts[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2)
    rest = _OPTION.sub(" ", text)
    query = opts.pop("title", None) or " ".join(rest.split())
    out: dict[str, Any] = {"query": query}
    if "k" in opts:
        try:
            out["k"] = int(opts["k"])
        except ValueError:
            raise UserError(f"k must be a whole number, not “{opts['k'][:20]}”.") from None
    if opts.get("type"):
        out["content_type"] = opts["type"]
    if opts.get("language"):
        out["language"] = opts["language"]
    if opts.get("from"):
        if opts["from"].casefold() not in ("all", "library"):
            raise UserError(f"from: is `all` or `library`, not “{opts['from'][:20]}”.")
        out["source"] = opts["from"].casefold()
    return out


async def recommend(console: Console, rest: str) -> None:
    await _recommend(console, **parse_recommend_args(rest))


async def _recommend(console: Console, query: str, item_id: int | None = None, **options: Any) -> None:
    services = console.services
    outcome = await services.recommend.recommend(
        user_id=console.user_id, guild_id=None, channel_id=None, query=query, item_id=item_id,
        library_guild=CONSOLE_GUILD_ID, **options
    )
    if isinstance(outcome, DidYouMean):
        console.last_choices, console.last_options = outcome.candidates, options
        console.say(render.plain(outcome.text))
        if outcome.candidates:
            console.say("Pick one with /pick <n>.")
        return
    # The console has no Discord message: the request id doubles as its message id (Discord ids
    # are 64-bit snowflakes far above any request id, so they cannot collide).
    await services.votes.attach_message(outcome.request_id, outcome.request_id)
    console.say(outcome.card_for(console=True).to_text())
    console.say(
        f"Vote: /vote {outcome.request_id} up|down, or per item: /vote-item {outcome.request_id} <rank> up|down"
    )
    others = outcome.other_works
    if others is not None:
        console.last_choices, console.last_options = others.candidates, options
        console.say(render.plain(others.text))
        console.say("Pick one with /pick <n>.")


async def pick(console: Console, rest: str) -> None:
    if not console.last_choices:
        raise UserError("There is nothing to pick from; use /recommend first.")
    try:
        n = int(rest)
        match = console.last_choices[n - 1]
        if n < 1:
            raise IndexError
    except (ValueError, IndexError):
        raise UserError(f"Pick a number from 1 to {len(console.last_choices)}.") from None
    await _recommend(console, match.item.title, item_id=match.item.item_id, **console.last_options)


COMMANDS = (
    ConsoleCommand("/recommend",
                   "  /recommend <title> [k:N] [type:Show|Movie] [language:<language>] [from:all|library]", recommend),
    ConsoleCommand("/pick", '  /pick <n>                     choose from the last "did you mean" list', pick),
)
