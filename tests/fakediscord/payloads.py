"""Builders for the JSON objects the stand-in sends to discord.py.

Kept apart from the server so that the shapes discord.py insists on (the keys it reads with
``data[...]`` rather than ``data.get(...)``) live in one place; each builder notes what would
break without a field. Nothing here talks to the network.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions). Plain ints so this
# module does not depend on discord.py; the values are part of Discord's wire format.
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_EXTERNAL_EMOJIS = 1 << 18
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38

#: What @everyone may do in the fake guild: an ordinary, slightly permissive community server.
EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)
#: The "Moderator" role held by the admin user: enough for `default_permissions(manage_guild=True)`.
MODERATOR_PERMISSIONS = MANAGE_GUILD | MANAGE_MESSAGES | MANAGE_CHANNELS
#: The bot's managed role (what an invite with a sensible permission integer would grant).
BOT_ROLE_PERMISSIONS = MANAGE_MESSAGES

# Message flags the fake interprets.
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7

# Message types used for stored messages.
MESSAGE_DEFAULT = 0
MESSAGE_CHAT_INPUT_COMMAND = 20

# Application command option types (Discord's numbering).
OPT_SUB_COMMAND = 1
OPT_SUB_COMMAND_GROUP = 2
OPT_STRING = 3
OPT_INTEGER = 4
OPT_BOOLEAN = 5
OPT_USER = 6
OPT_CHANNEL = 7
OPT_ROLE = 8
OPT_MENTIONABLE = 9
OPT_NUMBER = 10
OPT_ATTACHMENT = 11
OPT_ATTACHMENT = 11


class SnowflakeFactory:
    """Hands out unique, increasing snowflakes that decode to the current time.

    Real-looking ids matter because discord.py derives ``created_at`` from them and some bot code
    sorts by id; strictly increasing ids also make "the latest message" unambiguous in tests.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0
        self._counter = itertools.count()

    def __call__(self) -> int:
        with self._lock:
            now_ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
            candidate = (now_ms << 22) | (next(self._counter) & 0xFFF)
            if candidate <= self._last:
                candidate = self._last + 1
            self._last = candidate
            return candidate


def iso_now() -> str:
    """An ISO-8601 timestamp in the form Discord uses (``utils.parse_time`` accepts it)."""
    return _dt.datetime.now(_dt.UTC).isoformat()


@dataclass
class FakeUser:
    """A guild member the test can act as (slash commands, button presses, reactions).

    ``role_ids`` are in addition to @everyone. ``permissions`` is filled in by the fake from the
    roles so that the interaction payload carries the same bitfield Discord would compute.
    """

    id: int
    username: str
    role_ids: list[int] = field(default_factory=list)
    permissions: int = 0
    bot: bool = False
    joined_at: str = field(default_factory=iso_now)

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def user_payload(self) -> dict[str, Any]:
        """``User``: discord.py reads id, username, discriminator and avatar with ``data[...]``."""
        return {
            "id": str(self.id),
            "username": self.username,
            "global_name": self.username.title(),
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }

    def member_payload(self, *, with_user: bool = True, with_permissions: bool = False) -> dict[str, Any]:
        """``Member``: ``roles`` and ``flags`` are required; ``permissions`` only in interactions."""
        payload: dict[str, Any] = {
            "roles": [str(r) for r in self.role_ids],
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": None,
            "avatar": None,
            "communication_disabled_until": None,
        }
        if with_user:
            payload["user"] = self.user_payload()
        if with_permissions:
            payload["permissions"] = str(self.permissions)
        return payload


def role_payload(role_id: int, name: str, permissions: int, position: int, *, managed: bool = False) -> dict[str, Any]:
    """``Role``: only ``name`` is strictly required, the rest keeps ``Role`` attributes realistic."""
    return {
        "id": str(role_id),
        "name": name,
        "permissions": str(permissions),
        "position": position,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "managed": managed,
        "mentionable": False,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }


def text_channel_payload(channel_id: int, guild_id: int, name: str) -> dict[str, Any]:
    """``TextChannel``: ``name`` and ``position`` are read with ``data[...]``."""
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": "Where Reelmate is tested",
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


def message_payload(
    *,
    message_id: int,
    channel_id: int,
    guild_id: int | None,
    author: FakeUser,
    content: str = "",
    embeds: list[dict[str, Any]] | None = None,
    components: list[dict[str, Any]] | None = None,
    attachments: list[dict[str, Any]] | None = None,
    flags: int = 0,
    message_type: int = MESSAGE_DEFAULT,
    webhook_id: int | None = None,
    application_id: int | None = None,
    interaction_metadata: dict[str, Any] | None = None,
    message_reference: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``Message``: ``id, type, content, channel_id`` are required; the rest are read if present."""
    payload: dict[str, Any] = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "type": message_type,
        "content": content,
        "author": author.user_payload(),
        "embeds": list(embeds or []),
        "components": list(components or []),
        "attachments": list(attachments or []),
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "flags": flags,
        "reactions": [],
    }
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
    if webhook_id is not None:
        payload["webhook_id"] = str(webhook_id)
    if application_id is not None:
        payload["application_id"] = str(application_id)
    if interaction_metadata is not None:
        payload["interaction_metadata"] = interaction_metadata
    if message_reference is not None:
        payload["message_reference"] = message_reference
    return payload


def partial_emoji(emoji: str) -> dict[str, Any]:
    """Turn the URL form of an emoji (``👍``, ``name:id`` or ``a:name:id``) into ``{id, name}``."""
    if ":" not in emoji:
        return {"id": None, "name": emoji}
    prefix, _, emoji_id = emoji.rpartition(":")
    animated = prefix.startswith("a:")
    name = prefix[2:] if animated else prefix
    return {"id": emoji_id, "name": name, "animated": animated}
