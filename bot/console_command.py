"""One command of the offline console, as each feature's `console.py` declares it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.console import Console


@dataclass(frozen=True)
class ConsoleCommand:
    name: str  # what is typed, e.g. "/vote"
    help: str  # its line in /help
    run: Callable[[Console, str], Awaitable[bool | None]]  # gets the rest of the line; False quits
