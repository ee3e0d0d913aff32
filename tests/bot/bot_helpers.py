"""Hand-made stand-ins for discord.py objects, for cog unit tests where the fake server is overkill.

They record what the cog sent; anything a test did not expect to be called raises AttributeError.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "tests" / "fixtures" / "catalog_iso.csv"
ADMIN_ID = 4242
USER_ID = 1001

_ids = itertools.count(900_000_000_000_000_000)


@dataclass
class Sent:
    content: str | None = None
    embed: discord.Embed | None = None
    view: discord.ui.View | None = None
    ephemeral: bool = False
    kind: str = "message"


class FakeMessage:
    def __init__(self) -> None:
        self.id = next(_ids)
        self.reactions: list[str] = []

    async def add_reaction(self, emoji: str) -> None:
        self.reactions.append(emoji)


class FakeResponse:
    def __init__(self, owner: FakeInteraction) -> None:
        self.owner = owner
        self._done = False
        self.deferred: dict[str, Any] | None = None

    def is_done(self) -> bool:
        return self._done

    def _mark(self) -> None:
        if self._done:
            raise discord.InteractionResponded(self.owner)  # type: ignore[arg-type]
        self._done = True

    async def defer(self, *, ephemeral: bool = False, thinking: bool = False) -> None:
        self._mark()
        self.deferred = {"ephemeral": ephemeral, "thinking": thinking}

    async def send_message(self, content: str | None = None, *, embed: discord.Embed | None = None,
                           view: discord.ui.View | None = None, ephemeral: bool = False) -> None:
        self._mark()
        self.owner.sent.append(Sent(content, embed, view, ephemeral, "response"))

    async def edit_message(self, *, content: str | None = None, view: discord.ui.View | None = None) -> None:
        self._mark()
        self.owner.sent.append(Sent(content, None, view, False, "edit"))


class FakeFollowup:
    def __init__(self, owner: FakeInteraction) -> None:
        self.owner = owner

    async def send(self, content: str | None = None, *, embed: discord.Embed | None = None,
                   view: discord.ui.View | None = None, ephemeral: bool = False, wait: bool = False) -> FakeMessage:
        message = FakeMessage()
        self.owner.sent.append(Sent(content, embed, view, ephemeral, "followup"))
        self.owner.messages.append(message)
        return message


@dataclass
class FakeInteraction:
    client: Any
    user_id: int = 1001
    guild_id: int | None = 555
    channel_id: int | None = 777
    manage_guild: bool = False
    type: discord.InteractionType = discord.InteractionType.application_command
    sent: list[Sent] = field(default_factory=list)
    messages: list[FakeMessage] = field(default_factory=list)
    edits: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.id = next(_ids)
        self.user = SimpleNamespace(id=self.user_id)
        self.guild = SimpleNamespace(id=self.guild_id) if self.guild_id else None
        self.permissions = discord.Permissions(manage_guild=self.manage_guild)
        self.response = FakeResponse(self)
        self.followup = FakeFollowup(self)
        self.command = None

    async def edit_original_response(self, *, content: str | None = None) -> None:
        self.edits.append(content or "")


class FakeBot:
    """What the cogs use of ReelmateBot: settings, service, user."""

    def __init__(self, settings: Any, service: Any, user_id: int = 1) -> None:
        self.settings = settings
        self.service = service
        self.user = SimpleNamespace(id=user_id)


def reaction_payload(*, message_id: int, user_id: int, emoji: str, event: str = "REACTION_ADD",
                     custom_id: int | None = None) -> discord.RawReactionActionEvent:
    data = {"message_id": str(message_id), "channel_id": "777", "user_id": str(user_id), "guild_id": "555",
            "type": 0, "burst": False}
    partial = discord.PartialEmoji(name=emoji, id=custom_id)
    return discord.RawReactionActionEvent(data, partial, event)  # type: ignore[arg-type]
