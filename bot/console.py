"""The offline console: the bot's commands on stdin/stdout, without Discord.

It calls the same feature services as the cogs, against the same database, as one fixed local user
(CONSOLE_USER_ID), so everything can be tried (and tested) with no token and no network. Each
feature's `console.py` declares its commands; this module reads lines and dispatches them.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from typing import IO, Any

from bot.admin import console as admin_console
from bot.console_command import ConsoleCommand
from bot.errors import UserError
from bot.experiments import console as experiments_console
from bot.library import console as library_console
from bot.privacy import console as privacy_console
from bot.recommend import console as recommend_console
from bot.recommend.console import parse_recommend_args
from bot.seen import console as seen_console
from bot.services import Services
from bot.votes import console as votes_console
from feedback import StoreError

log = logging.getLogger(__name__)

FEATURE_COMMANDS: tuple[ConsoleCommand, ...] = (
    *recommend_console.COMMANDS, *votes_console.COMMANDS, *seen_console.COMMANDS, *experiments_console.COMMANDS,
    *admin_console.COMMANDS, *library_console.COMMANDS, *privacy_console.COMMANDS,
)

HELP = "\n".join([
    "Commands (the same as the Discord bot's):",
    *(command.help for command in FEATURE_COMMANDS),
    "  /help, /quit",
    "A line without a leading / is taken as a title to /recommend.",
])

__all__ = ["HELP", "Console", "parse_recommend_args", "terminal_safe"]

# Control characters (C0 but newline and tab, DEL, C1) and bidi overrides: what a terminal would
# obey instead of print, echoed back from a query (colours, a new window title, a cleared screen).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """`text` with every character a terminal would act on shown as its escape (\\x1b) instead."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class Console:
    """Reads commands line by line and prints text renderings of the answers."""

    def __init__(
        self,
        services: Services,
        *,
        user_id: int,
        stdin: IO[str] | None = None,
        stdout: IO[str] | None = None,
    ) -> None:
        self.services = services
        self.user_id = user_id
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.last_choices: list[Any] = []  # the last "did you mean" list, for /pick
        self.last_options: dict[str, Any] = {}
        self.retrain_task: asyncio.Task[None] | None = None  # a /retrain running in the background
        self.commands: dict[str, ConsoleCommand] = {
            **{command.name: command for command in FEATURE_COMMANDS},
            "/help": ConsoleCommand("/help", "", _help),
            "/quit": ConsoleCommand("/quit", "", _quit),
            "/exit": ConsoleCommand("/exit", "", _quit),
        }

    def say(self, text: str = "") -> None:
        self.stdout.write(terminal_safe(text) + "\n")
        self.stdout.flush()

    async def readline(self) -> str | None:
        """One line, or None at end of input; read in a thread so the loop stays free."""
        line = await asyncio.to_thread(self.stdin.readline)
        return None if line == "" else line.rstrip("\r\n")

    async def run(self) -> None:
        model = self.services.model
        version = model.recommender.version if model.has_model else "none"
        self.say(f"Reelmate offline console (model {version}). Type /help for commands, /quit to leave.")
        if model.catalog_warning:
            self.say(f"! {model.catalog_warning}")
        while True:
            if self.stdin.isatty():
                self.stdout.write("reelmate> ")  # the prompt the README shows
                self.stdout.flush()
            line = await self.readline()
            if line is None or not await self.handle(line):
                await self.finish_retrain()
                self.say("bye")
                return

    async def finish_retrain(self) -> None:
        """Leaving while a retrain runs: let it finish, so its job row and model are not left half done."""
        task = self.retrain_task
        if task is not None and not task.done():
            self.say("Waiting for the retrain to finish…")
            await task

    async def handle(self, line: str) -> bool:
        """Run one command line; False means quit."""
        line = line.strip()
        if not line:
            return True
        if line.startswith("/"):
            name, _, rest = line.partition(" ")
            command = self.commands.get(name.lower())
            if command is None:
                self.say(f"Unknown command {name[:40]}. Type /help.")
                return True
        else:
            command, rest = self.commands["/recommend"], line
        try:
            result = await command.run(self, rest.strip())
        except (UserError, StoreError) as exc:  # a store error is worded for people too
            self.say(f"! {exc}")
            return True
        except Exception:
            log.exception("console command failed: %s", line[:100])
            self.say("! Sorry, something went wrong; the details are in the log.")
            return True
        return result is not False


async def _help(console: Console, rest: str) -> None:
    console.say(HELP)


async def _quit(console: Console, rest: str) -> bool:
    return False
