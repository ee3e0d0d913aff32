"""/retrain, /model and /feedback-stats in the offline console (the console user is the local operator)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.console_command import ConsoleCommand
from recommender.events import ErrorEvent, TrainingEvent

if TYPE_CHECKING:
    from bot.console import Console

log = logging.getLogger(__name__)


async def retrain(console: Console, rest: str) -> None:
    """Start a retrain in the background: commands keep being answered while it trains."""
    admin = console.services.admin
    admin.check_not_busy()

    def progress(event: TrainingEvent) -> None:
        if not isinstance(event, ErrorEvent):  # the outcome reports the error, once
            console.say(f"  [retrain] {event.describe()}")

    async def run() -> None:
        try:
            outcome = await admin.retrain(requested_by=console.user_id, guild_id=None, progress=progress)
        except Exception:
            log.exception("console retrain failed")
            console.say("! The retrain failed; the details are in the log.")
            return
        console.say(("" if outcome.status == "succeeded" else "! ") + outcome.message)

    console.retrain_task = asyncio.create_task(run())
    await asyncio.sleep(0)  # let it take the retrain lock before the next command
    console.say("Retraining in the background; keep using the current model meanwhile.")


async def model(console: Console, rest: str) -> None:
    for card in await console.services.admin.model_cards():
        console.say(card.to_text())


async def stats(console: Console, rest: str) -> None:
    for card in await console.services.admin.stats_cards():
        console.say(card.to_text())


COMMANDS = (
    ConsoleCommand("/retrain",
                   "  /retrain                      train a new model in the background; switch to it if it is not "
                   "worse", retrain),
    ConsoleCommand("/model", "  /model                        the active model and its figures", model),
    ConsoleCommand("/feedback-stats", "  /feedback-stats               thumbs-up rate per model version", stats),
)
