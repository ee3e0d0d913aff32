"""/experiment start|stop|status in the offline console."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.console_command import ConsoleCommand
from bot.errors import UserError
from bot.experiments.service import NO_EXPERIMENT

if TYPE_CHECKING:
    from bot.console import Console


async def experiment(console: Console, rest: str) -> None:
    """The console is the local operator, so it may start and stop experiments (like /retrain)."""
    experiments = console.services.experiments
    action, _, options = rest.partition(" ")
    action = action.lower()
    if action == "start":
        found = dict(re.findall(r"(version|share):(\S+)", options))
        if "version" not in found or not found.get("share", "").isdigit():
            raise UserError("Usage: /experiment start version:<model version> share:<percent 1-99>")
        console.say(await experiments.start(version=found["version"], share=int(found["share"]),
                                            started_by=console.user_id))
    elif action == "stop":
        console.say(await experiments.stop())
    elif action == "status":
        card = await experiments.card()
        console.say(card.to_text() if card is not None else NO_EXPERIMENT)
    else:
        raise UserError("Usage: /experiment start version:<v> share:<percent> | stop | status")


COMMANDS = (
    ConsoleCommand("/experiment",
                   "  /experiment start version:<v> share:<percent> | stop | status   A/B test another model version",
                   experiment),
)
