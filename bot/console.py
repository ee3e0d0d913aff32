"""The offline console: the bot's commands on stdin/stdout, without Discord.

It calls the same RecommendService as the cogs, against the same database, as one fixed local user
(CONSOLE_USER_ID), so everything can be tried (and tested) with no token and no network.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import IO, Any

from bot import render
from bot.exports import export_path
from bot.library.console import library_command
from bot.library.service import CONSOLE_GUILD_ID
from bot.service import (
    VOTE_WAIT,
    DidYouMean,
    Recommended,
    RecommendService,
    RetrainBusy,
    UserError,
    outcome_within,
    vote_value,
)
from feedback import StoreError, VoteStatus
from recommender.events import ErrorEvent, TrainingEvent

log = logging.getLogger(__name__)

HELP = """Commands (the same as the Discord bot's):
  /recommend <title> [k:N] [type:Show|Movie] [language:<language>] [from:all|library]
  /pick <n>                     choose from the last "did you mean" list
  /vote <request-or-message id> up|down
  /vote-item <request id> <rank> up|down
  /seen <title>                 mark a title as seen: your lists skip it
  /seen-item <request id> <rank>  mark one title of a list as seen (the "Seen it" button)
  /experiment start version:<v> share:<percent> | stop | status   A/B test another model version
  /retrain                      train a new model in the background; switch to it if it is not worse
  /model                        the active model and its figures
  /library import <path> | show | remove   the titles "this server" has (Jellyfin, Plex, Letterboxd, IMDb)
  /feedback-stats               thumbs-up rate per model version
  /privacy [export]             what is stored about you (export: write it all to a JSON file)
  /forget-me                    delete your data (asks for confirmation)
  /help, /quit
A line without a leading / is taken as a title to /recommend."""

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
        service: RecommendService,
        *,
        user_id: int,
        stdin: IO[str] | None = None,
        stdout: IO[str] | None = None,
    ) -> None:
        self.service = service
        self.user_id = user_id
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.last_choices: list[Any] = []
        self.last_options: dict[str, Any] = {}
        self.retrain_task: asyncio.Task[None] | None = None
        self.commands: dict[str, Callable[[str], Awaitable[bool | None]]] = {
            "/recommend": self.cmd_recommend,
            "/pick": self.cmd_pick,
            "/vote": self.cmd_vote,
            "/vote-item": self.cmd_vote_item,
            "/seen": self.cmd_seen,
            "/seen-item": self.cmd_seen_item,
            "/experiment": self.cmd_experiment,
            "/retrain": self.cmd_retrain,
            "/model": self.cmd_model,
            "/library": partial(library_command, self),
            "/feedback-stats": self.cmd_stats,
            "/privacy": self.cmd_privacy,
            "/forget-me": self.cmd_forget,
            "/help": self.cmd_help,
            "/quit": self.cmd_quit,
            "/exit": self.cmd_quit,
        }

    def say(self, text: str = "") -> None:
        self.stdout.write(terminal_safe(text) + "\n")
        self.stdout.flush()

    async def readline(self) -> str | None:
        """One line, or None at end of input; read in a thread so the loop stays free."""
        line = await asyncio.to_thread(self.stdin.readline)
        return None if line == "" else line.rstrip("\r\n")

    async def run(self) -> None:
        version = self.service.recommender.version if self.service.has_model else "none"
        self.say(f"Reelmate offline console (model {version}). Type /help for commands, /quit to leave.")
        if self.service.catalog_warning:
            self.say(f"! {self.service.catalog_warning}")
        while True:
            if self.stdin.isatty():
                self.stdout.write("> ")
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
            handler = self.commands.get(name.lower())
            if handler is None:
                self.say(f"Unknown command {name[:40]}. Type /help.")
                return True
        else:
            handler, rest = self.cmd_recommend, line
        try:
            result = await handler(rest.strip())
        except (UserError, StoreError) as exc:  # a store error is worded for people too
            self.say(f"! {exc}")
            return True
        except Exception:
            log.exception("console command failed: %s", line[:100])
            self.say("! Sorry, something went wrong; the details are in the log.")
            return True
        return result is not False

    async def cmd_recommend(self, rest: str) -> None:
        args = parse_recommend_args(rest)
        await self._recommend(**args)

    async def _recommend(self, query: str, item_id: int | None = None, **options: Any) -> None:
        outcome = await self.service.recommend(
            user_id=self.user_id, guild_id=None, channel_id=None, query=query, item_id=item_id,
            library_guild=CONSOLE_GUILD_ID, **options
        )
        if isinstance(outcome, DidYouMean):
            self.last_choices, self.last_options = outcome.candidates, options
            self.say(outcome.text)
            if outcome.candidates:
                self.say("Pick one with /pick <n>.")
            return
        assert isinstance(outcome, Recommended)
        # The console has no Discord message: the request id doubles as its message id (Discord ids
        # are 64-bit snowflakes far above any request id, so they cannot collide).
        await self.service.attach_message(outcome.request_id, outcome.request_id)
        self.say(outcome.card.to_text())
        self.say(
            f"Vote: /vote {outcome.request_id} up|down, or per item: /vote-item {outcome.request_id} <rank> up|down"
        )
        others = outcome.other_works
        if others is not None:
            self.last_choices, self.last_options = others.candidates, options
            self.say(others.text)
            self.say("Pick one with /pick <n>.")

    async def cmd_pick(self, rest: str) -> None:
        if not self.last_choices:
            raise UserError("There is nothing to pick from; use /recommend first.")
        try:
            n = int(rest)
            match = self.last_choices[n - 1]
            if n < 1:
                raise IndexError
        except (ValueError, IndexError):
            raise UserError(f"Pick a number from 1 to {len(self.last_choices)}.") from None
        await self._recommend(match.item.title, item_id=match.item.item_id, **self.last_options)

    async def cmd_vote(self, rest: str) -> None:
        parts = rest.split()
        if len(parts) != 2 or not parts[0].isdigit():
            raise UserError("Usage: /vote <request-or-message id> up|down")
        value = vote_value(parts[1])
        outcome = await self.service.vote_message(
            message_id=int(parts[0]), user_id=self.user_id, value=value, wait=VOTE_WAIT
        )
        self.say(self.service.vote_reply(outcome, value, parts[0]))

    async def cmd_vote_item(self, rest: str) -> None:
        parts = rest.split()
        if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
            raise UserError("Usage: /vote-item <request id> <rank> up|down")
        text = await self.service.vote_item(
            request_id=int(parts[0]), rank=int(parts[1]), user_id=self.user_id, value=vote_value(parts[2])
        )
        self.say(text)

    async def cmd_seen(self, rest: str) -> None:
        answer = await self.service.mark_seen(user_id=self.user_id, query=rest)
        if isinstance(answer, DidYouMean):
            self.say(answer.text)
            return
        self.say(render.plain(answer))

    async def cmd_seen_item(self, rest: str) -> None:
        parts = rest.split()
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise UserError("Usage: /seen-item <request id> <rank>")
        future = await self.service.accept_seen_item(request_id=int(parts[0]), rank=int(parts[1]),
                                                     user_id=self.user_id)
        outcome = await outcome_within(future, VOTE_WAIT)
        if outcome.status is VoteStatus.REJECTED:
            raise UserError(outcome.detail)
        self.say(f"👀 Marked #{parts[1]} of request {parts[0]} as seen: your next lists will skip it.")

    async def cmd_experiment(self, rest: str) -> None:
        """The console is the local operator, so it may start and stop experiments (like /retrain)."""
        action, _, options = rest.partition(" ")
        action = action.lower()
        if action == "start":
            found = dict(re.findall(r"(version|share):(\S+)", options))
            if "version" not in found or not found.get("share", "").isdigit():
                raise UserError("Usage: /experiment start version:<model version> share:<percent 1-99>")
            self.say(await self.service.start_experiment(version=found["version"], share=int(found["share"]),
                                                         started_by=self.user_id))
        elif action == "stop":
            self.say(await self.service.stop_experiment())
        elif action == "status":
            card = await self.service.experiment_card()
            self.say(card.to_text() if card is not None else "No experiment has been run yet.")
        else:
            raise UserError("Usage: /experiment start version:<v> share:<percent> | stop | status")

    async def cmd_retrain(self, rest: str) -> None:
        """Start a retrain in the background: commands keep being answered while it trains."""
        if self.service.retrain_running:
            raise RetrainBusy("A retrain is already running; I'll keep using the current model until it ends.")

        def progress(event: TrainingEvent) -> None:
            if not isinstance(event, ErrorEvent):  # the outcome reports the error, once
                self.say(f"  [retrain] {event.describe()}")

        async def retrain() -> None:
            try:
                outcome = await self.service.retrain(requested_by=self.user_id, guild_id=None, progress=progress)
            except Exception:
                log.exception("console retrain failed")
                self.say("! The retrain failed; the details are in the log.")
                return
            self.say(("" if outcome.status == "succeeded" else "! ") + outcome.message)

        self.retrain_task = asyncio.create_task(retrain())
        await asyncio.sleep(0)  # let it take the retrain lock before the next command
        self.say("Retraining in the background; keep using the current model meanwhile.")

    async def cmd_model(self, rest: str) -> None:
        self.say(self.service.model_card().to_text())
        if self.service.experiments.experiment is not None:
            await self.cmd_experiment("status")

    async def cmd_stats(self, rest: str) -> None:
        self.say((await self.service.stats_card()).to_text())
        card = await self.service.experiment_card()
        if card is not None:
            self.say(card.to_text())

    async def cmd_privacy(self, rest: str) -> None:
        if rest.strip().lower() == "export":
            data = await self.service.privacy_export(self.user_id)
            path = export_path(self.service.settings.data_dir, self.user_id)
            await asyncio.to_thread(_write_private, path, data)
            self.say(f"Everything Reelmate stores about you was written to {path.resolve()}")
            return
        if rest.strip():
            raise UserError("Usage: /privacy [export]")
        self.say(render.plain(await self.service.privacy_report(self.user_id)))

    async def cmd_forget(self, rest: str) -> None:
        self.say("This deletes your requests and votes for good. Type yes to confirm.")
        answer = await self.readline()
        if (answer or "").strip().lower() not in ("yes", "y"):
            self.say("Cancelled: nothing was deleted.")
            return
        self.say(await self.service.forget(self.user_id))

    async def cmd_help(self, rest: str) -> None:
        self.say(HELP)

    async def cmd_quit(self, rest: str) -> bool:
        return False


def _write_private(path: Path, data: bytes) -> None:
    """The export holds personal data: readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o600)
