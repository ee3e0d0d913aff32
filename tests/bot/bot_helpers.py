"""Hand-made stand-ins for discord.py objects, for cog unit tests where the fake server is overkill.

They record what the cog sent; each is `spec_set` to the discord.py class it stands for, so an
attribute the real class lacks raises AttributeError.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

import discord

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "tests" / "fixtures" / "catalog_iso.csv"
ENRICHMENT = REPO / "tests" / "fixtures" / "enrichment.csv"
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
    embeds: list[discord.Embed] | None = None  # all of them when several were sent (embed: the first)


class SpecStub(mock.NonCallableMock):
    """A stand-in limited to the attributes of the discord.py class it stands for (`spec_set`).

    python-discord/bot's tests/helpers.py pattern: code under test that touches an attribute the
    real class lacks fails here as it would against Discord. Methods the stub implements are checked
    against the same spec when the class is defined; what a stub records lives in its `__dict__`,
    outside the Discord surface.
    """

    spec_set: type = object

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = {n for n, v in vars(cls).items() if callable(v) and not n.startswith("_") and n != "spec_set"}
        missing = own - set(dir(cls.spec_set))
        assert not missing, f"{cls.__name__} defines {missing}, which {cls.spec_set.__name__} lacks"

    def __init__(self, **attributes: Any) -> None:
        super().__init__(spec_set=self.spec_set)
        for name, value in attributes.items():
            setattr(self, name, value)

    def _record(self, **values: Any) -> None:
        self.__dict__.update(values)


class StubMessage(SpecStub):
    spec_set = discord.WebhookMessage

    def __init__(self) -> None:
        super().__init__(id=next(_ids))
        self._record(reactions=[])

    async def add_reaction(self, emoji: str) -> None:
        self.reactions.append(emoji)


class StubResponse(SpecStub):
    spec_set = discord.InteractionResponse

    def __init__(self, owner: StubInteraction) -> None:
        super().__init__()
        self._record(owner=owner, _done=False, deferred=None)

    def is_done(self) -> bool:
        return self._done

    def _mark(self) -> None:
        if self._done:
            raise discord.InteractionResponded(self.owner)  # type: ignore[arg-type]
        self._record(_done=True)

    async def defer(self, *, ephemeral: bool = False, thinking: bool = False) -> None:
        self._mark()
        self._record(deferred={"ephemeral": ephemeral, "thinking": thinking})

    async def send_message(self, content: str | None = None, *, embed: discord.Embed | None = None,
                           embeds: list[discord.Embed] | None = None,
                           view: discord.ui.View | None = None, ephemeral: bool = False) -> None:
        self._mark()
        embed = embed or (embeds[0] if embeds else None)
        self.owner.sent.append(Sent(content, embed, view, ephemeral, "response", embeds or [embed] if embed else None))

    async def edit_message(self, *, content: str | None = None, view: discord.ui.View | None = None) -> None:
        self._mark()
        self.owner.sent.append(Sent(content, None, view, False, "edit"))


class StubFollowup(SpecStub):
    spec_set = discord.Webhook

    def __init__(self, owner: StubInteraction) -> None:
        super().__init__()
        self._record(owner=owner)

    async def send(self, content: str | None = None, *, embed: discord.Embed | None = None,
                   view: discord.ui.View | None = None, ephemeral: bool = False, wait: bool = False) -> StubMessage:
        message = StubMessage()
        self.owner.sent.append(Sent(content, embed, view, ephemeral, "followup"))
        self.owner.messages.append(message)
        return message


class StubInteraction(SpecStub):
    """A discord.Interaction that records what the code under test sent (`sent`, `messages`, `edits`)."""

    spec_set = discord.Interaction

    def __init__(self, client: Any, *, user_id: int = USER_ID, guild_id: int | None = 555,
                 channel_id: int | None = 777, manage_guild: bool = False,
                 type: discord.InteractionType = discord.InteractionType.application_command) -> None:
        super().__init__(
            id=next(_ids), client=client, type=type, command=None,
            user=mock.NonCallableMock(spec_set=discord.Member, id=user_id),
            guild_id=guild_id, channel_id=channel_id,
            guild=mock.NonCallableMock(spec_set=discord.Guild, id=guild_id) if guild_id else None,
            permissions=discord.Permissions(manage_guild=manage_guild),
        )
        self._record(sent=[], messages=[], edits=[])
        self.response = StubResponse(self)
        self.followup = StubFollowup(self)

    async def edit_original_response(self, *, content: str | None = None) -> None:
        self.edits.append(content or "")


class FakeBot:
    """What the cogs use of ReelmateBot: settings, services, user, own_id."""

    def __init__(self, settings: Any, services: Any, user_id: int = 1) -> None:
        self.settings = settings
        self.services = services
        self.user = SimpleNamespace(id=user_id)
        self.own_id = user_id


def reaction_payload(*, message_id: int, user_id: int, emoji: str, event: str = "REACTION_ADD",
                     custom_id: int | None = None) -> discord.RawReactionActionEvent:
    data = {"message_id": str(message_id), "channel_id": "777", "user_id": str(user_id), "guild_id": "555",
            "type": 0, "burst": False}
    partial = discord.PartialEmoji(name=emoji, id=custom_id)
    return discord.RawReactionActionEvent(data, partial, event)  # type: ignore[arg-type]


@contextlib.contextmanager
def journal_on_full_disk(path: Path) -> Iterator[None]:
    """Inside the block, every descriptor this process holds on the file at `path` writes to
    /dev/full: each write fails with ENOSPC from the kernel, as on a full disk, for that file only
    and with no mount (the outbox journal, whatever object holds it). Restored on exit."""
    target = str(path.resolve())
    fds = [int(fd) for fd in os.listdir("/proc/self/fd")
           if os.path.realpath(f"/proc/self/fd/{fd}") == target]
    assert fds, f"nothing holds {target} open"
    saved = [os.dup(fd) for fd in fds]
    full = os.open("/dev/full", os.O_RDWR)
    try:
        for fd in fds:
            os.dup2(full, fd)
        yield
    finally:
        for fd, original in zip(fds, saved, strict=True):
            os.dup2(original, fd)
            os.close(original)
        os.close(full)
