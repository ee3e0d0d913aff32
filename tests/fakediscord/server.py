"""FakeDiscord: the REST API, the gateway and the test-driver API in one object.

The REST half follows what discord.py 2.7 calls and reads (``discord/http.py``,
``discord/webhook/async_.py``, ``discord/interactions.py``). Where Discord enforces a rule that a
bot must cope with, the fake enforces it too, so that a test fails the way production would:

* the 3-second acknowledgement deadline and "already acknowledged" (404 10062 / 400 40060);
* a follow-up after a thinking-deferral replaces the "thinking..." message instead of adding one;
* follow-ups need an acknowledged interaction (404 10015 otherwise);
* the driver refuses to send a slash command Discord's client would not let a user send
  (not registered, unknown or missing required option, value outside choices/min/max, member
  lacking ``default_member_permissions``); ``validate=False`` lifts the option/permission checks.

Every response carries ``Content-Type: application/json`` exactly: discord.py only decodes JSON
when the header has no charset parameter, which ``aiohttp.web.json_response`` would add.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from .gateway import OP_INVALID_SESSION, OP_RECONNECT, Gateway, GatewaySession, shard_of
from .interactions import (
    APPLICATION_COMMAND,
    APPLICATION_COMMAND_AUTOCOMPLETE,
    CALLBACK_CHANNEL_MESSAGE,
    CALLBACK_DEFERRED_CHANNEL_MESSAGE,
    CALLBACK_DEFERRED_UPDATE_MESSAGE,
    CALLBACK_UPDATE_MESSAGE,
    MESSAGE_COMPONENT,
    FakeInteraction,
)
from .payloads import (
    ADMINISTRATOR,
    BOT_ROLE_PERMISSIONS,
    EVERYONE_PERMISSIONS,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    MESSAGE_CHAT_INPUT_COMMAND,
    MESSAGE_DEFAULT,
    MODERATOR_PERMISSIONS,
    OPT_ATTACHMENT,
    OPT_BOOLEAN,
    OPT_CHANNEL,
    OPT_INTEGER,
    OPT_MENTIONABLE,
    OPT_NUMBER,
    OPT_ROLE,
    OPT_STRING,
    OPT_SUB_COMMAND,
    OPT_SUB_COMMAND_GROUP,
    OPT_USER,
    FakeUser,
    SnowflakeFactory,
    iso_now,
    message_payload,
    partial_emoji,
    role_payload,
    text_channel_payload,
)

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
ALL_PERMISSIONS = (1 << 50) - 1  # what Discord computes for the guild owner
ATTACHMENT_SIZE_LIMIT = 25 * 1024 * 1024
POLL_INTERVAL = 0.02  # seconds between re-checks of a wait_for predicate

T = TypeVar("T")


@dataclass
class RecordedRequest:
    """One REST call the bot made, for debugging and for asserting on traffic."""

    method: str
    path: str
    query: dict[str, str]
    status: int = 0
    body: Any = None
    at: float = field(default_factory=time.monotonic)


RECORD_KEY = web.RequestKey("fake_record", RecordedRequest)


class CommandRejected(ValueError):
    """Discord's client would not have let the user send this interaction (see ``validate``)."""


@dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(data, ensure_ascii=False).encode(), headers={"Content-Type": "application/json"}
    )


def _error(status: int, message: str, code: int = 0) -> web.Response:
    return _json({"message": message, "code": code}, status)


def _no_content() -> web.Response:
    return web.Response(status=204)


class FakeDiscord:
    """A local Discord for end-to-end tests of a discord.py bot. See the package docstring.

    Guild layout (all ids are snowflakes made at construction and stable for the fake's life):
    ``guild_id`` with one text channel ``channel_id``; roles @everyone (id == guild id),
    "Moderator" (MANAGE_GUILD, MANAGE_MESSAGES, MANAGE_CHANNELS) and the bot's managed role;
    members ``owner`` (the guild owner), ``admin`` (Moderator), ``member`` (no extra role) and the
    bot itself (``bot_user``, whose id is also ``application_id``).
    """

    def __init__(
        self,
        *,
        token: str = "test-token",
        heartbeat_interval_ms: int = 1000,
        interaction_deadline: float = 3.0,
        compress_gateway: bool = False,
        patch_discord: bool = True,
        guild_name: str = "Reelmate Test Guild",
        channel_name: str = "general",
        shard_count: int = 1,
    ) -> None:
        self.token = token
        #: Token expected in IDENTIFY/RESUME; differs from ``token`` only to test close code 4004.
        self.gateway_token = token
        self.interaction_deadline = interaction_deadline
        self._patch_on_start = patch_discord
        self.snowflake = SnowflakeFactory()

        self.application_id = self.snowflake()
        #: What GET /gateway/bot recommends and IDENTIFY must use (see gateway.py, "Sharding").
        self.shard_count = shard_count
        # The test guild lives on the LAST shard, so a bot that only runs shard 0 never sees it;
        # every other shard gets a guild of its own that only the bot is in.
        self.guild_id = self._snowflake_on_shard(shard_count - 1)
        self.other_guild_ids = [self._snowflake_on_shard(n) for n in range(shard_count - 1)]
        self._other_channel_ids = {g: self.snowflake() for g in self.other_guild_ids}
        self.guild_name = guild_name
        self.channel_id = self.snowflake()
        self.channel_name = channel_name
        self.everyone_role_id = self.guild_id
        self.moderator_role_id = self.snowflake()
        self.bot_role_id = self.snowflake()
        self._role_permissions = {
            self.everyone_role_id: EVERYONE_PERMISSIONS,
            self.moderator_role_id: MODERATOR_PERMISSIONS,
            self.bot_role_id: BOT_ROLE_PERMISSIONS,
        }

        self.users: dict[int, FakeUser] = {}
        self.bot_user = self._add_user(FakeUser(self.application_id, "reelmate", [self.bot_role_id], bot=True))
        self.owner = self._add_user(FakeUser(self.snowflake(), "owner"), owner=True)
        self.admin = self.add_member("admin", moderator=True)
        self.member = self.add_member("member")

        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        #: Every message the bot created (reply, follow-up, channel message), by id, in creation order.
        self.messages: dict[int, dict[str, Any]] = {}
        self._message_changed_at: dict[int, float] = {}
        #: Uploaded file contents by attachment id.
        self.attachments: dict[int, bytes] = {}
        #: Users who reacted, per (message id, emoji as in the URL, e.g. "👍" or "name:id").
        self.reactions: dict[tuple[int, str], list[int]] = {}
        self.interactions: list[FakeInteraction] = []
        self._interactions_by_id: dict[int, FakeInteraction] = {}
        self._interactions_by_token: dict[str, FakeInteraction] = {}
        #: Every REST call, and separately the ones no route matched (a test can assert it is empty).
        self.requests: list[RecordedRequest] = []
        self.unknown_requests: list[RecordedRequest] = []
        #: Exceptions raised inside the fake's own handlers (answered with 400, never silently).
        self.server_errors: list[BaseException] = []

        self.gateway = Gateway(self, heartbeat_interval_ms=heartbeat_interval_ms, compress=compress_gateway)
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._patches = contextlib.ExitStack()

    # ------------------------------------------------------------------ lifecycle and addresses

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port (and redirect discord.py if ``patch_discord``)."""
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/", self.gateway.handle)
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._get_attachment)
        self._add_routes(app)
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        if self._patch_on_start:
            self._patches.enter_context(self.patch_discord())
        log.debug("fake discord listening on %s", self.api_base)

    async def stop(self) -> None:
        """Close the gateway sockets, stop the server and undo ``patch_discord``."""
        self._patches.close()
        await self.gateway.close_all(code=1001, message="fake: shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeDiscord is not started")
        return self._port

    @property
    def api_base(self) -> str:
        """Value for ``discord.http.Route.BASE`` (and the bot's DISCORD_API_BASE)."""
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """Value for ``DiscordWebSocket.DEFAULT_GATEWAY`` (and the bot's DISCORD_GATEWAY_URL)."""
        return f"ws://127.0.0.1:{self.port}/"

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py's REST and gateway URLs at this fake; restore the old values on exit."""
        import discord.gateway
        import discord.http
        import yarl

        route, ws_cls = discord.http.Route, discord.gateway.DiscordWebSocket
        old_base, old_gateway = route.BASE, ws_cls.DEFAULT_GATEWAY
        route.BASE = self.api_base
        ws_cls.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            route.BASE = old_base
            ws_cls.DEFAULT_GATEWAY = old_gateway

    def _snowflake_on_shard(self, shard_id: int) -> int:
        """A fresh snowflake whose guild would be routed to `shard_id` (its millisecond decides)."""
        while True:
            candidate = self.snowflake()
            if shard_of(candidate, self.shard_count) == shard_id:
                return candidate

    @property
    def guild_ids(self) -> list[int]:
        """Every guild the bot is in: the test guild, then one per other shard."""
        return [self.guild_id, *self.other_guild_ids]

    def guild_ids_of_shard(self, shard_id: int) -> list[int]:
        return [g for g in self.guild_ids if shard_of(g, self.shard_count) == shard_id]

    def shard_sessions(self) -> dict[int, GatewaySession]:
        """The newest live session of each shard."""
        return {s.shard_id: s for s in self.gateway.live_sessions()}

    # ------------------------------------------------------------------ people and state queries

    def _add_user(self, user: FakeUser, *, owner: bool = False) -> FakeUser:
        """Register a user and compute the permission bitfield Discord would put in payloads."""
        if owner:
            user.permissions = ALL_PERMISSIONS  # Discord grants the owner everything
        else:
            user.permissions = EVERYONE_PERMISSIONS
            for role_id in user.role_ids:
                user.permissions |= self._role_permissions[role_id]
        self.users[user.id] = user
        return user

    @property
    def owner_id(self) -> int:
        return self.owner.id

    def add_member(self, username: str, *, moderator: bool = False) -> FakeUser:
        """Add a guild member. Call before the bot connects to have it in GUILD_CREATE; later
        additions still work for interactions and reactions, which carry the member payload."""
        roles = [self.moderator_role_id] if moderator else []
        return self._add_user(FakeUser(self.snowflake(), username, roles))

    @property
    def registered_commands(self) -> list[dict[str, Any]]:
        """All registered application commands: global ones, then guild ones (with ``guild_id``)."""
        return self.global_commands + [c for cmds in self.guild_commands.values() for c in cmds]

    def command(self, name: str) -> dict[str, Any]:
        """The registered definition the client would use for ``/name`` in the fake guild
        (a guild command shadows a global one, as in Discord's client)."""
        for cmd in self.guild_commands.get(self.guild_id, []) + self.global_commands:
            if cmd["name"] == name and cmd.get("type", 1) == 1:
                return cmd
        known = sorted({c["name"] for c in self.registered_commands})
        raise CommandRejected(f"/{name} is not registered (registered: {known}); did the bot sync its tree?")

    def bot_messages(self, channel_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot sent, oldest first, optionally only in one channel."""
        return [m for m in self.messages.values() if channel_id is None or int(m["channel_id"]) == channel_id]

    def bot_reacted(self, message_id: int, emoji: str) -> bool:
        return self.bot_user.id in self.reactions.get((message_id, emoji), [])

    @property
    def heartbeats_received(self) -> int:
        return self.gateway.heartbeats_received

    @property
    def heartbeat_times(self) -> list[float]:
        return self.gateway.heartbeat_times

    def max_heartbeat_gap(self, since: float | None = None) -> float:
        """Longest time without a heartbeat between ``since`` (``time.monotonic()``; default:
        the first heartbeat) and now. discord.py heartbeats from a thread *through the event
        loop*, so a blocked loop shows up here as a gap well above the interval."""
        times = self.gateway.heartbeat_times
        if since is None:
            if not times:
                raise ValueError("no heartbeat received yet")
            since = times[0]
        points = [since, *(t for t in times if t >= since), time.monotonic()]
        return max(b - a for a, b in itertools.pairwise(points))

    @property
    def identifies(self) -> int:
        return self.gateway.identifies

    @property
    def resumes(self) -> int:
        return self.gateway.resumes

    # ------------------------------------------------------------------ waiting

    def _notify(self) -> None:
        """Wake every waiter; each re-checks its own predicate."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_for(self, predicate: Callable[[], T | None], timeout: float, describe: Callable[[], str]) -> T:  # noqa: ASYNC109 - a test driver's deadline is its API
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(describe())
            # Fake events wake us at once; the short poll covers predicates on the bot's own
            # state (e.g. "on_raw_reaction_add has run"), which the fake cannot observe.
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(remaining, POLL_INTERVAL))

    async def wait_for(self, predicate: Callable[[], T | None], timeout: float = 5.0, what: str = "condition") -> T:  # noqa: ASYNC109 - a test driver's deadline is its API
        """Wait until ``predicate()`` returns something truthy, and return it.

        Re-checked on every fake event and every 20 ms, so predicates may look at the bot too.
        Raises ``TimeoutError`` naming ``what``.
        """
        return await self._wait_for(predicate, timeout, lambda: f"timed out after {timeout}s waiting for {what}")

    async def wait_until_identified(self, timeout: float = 5.0, *, count: int | None = None) -> GatewaySession:  # noqa: ASYNC109 - a test driver's deadline is its API
        """Wait until a bot has IDENTIFY'd (and got READY + GUILD_CREATE) on a live connection.

        ``count`` waits for the N-th IDENTIFY overall, e.g. ``count=2`` for a restarted bot.
        """

        def ready() -> GatewaySession | None:
            if count is not None and self.gateway.identifies < count:
                return None
            live = self.gateway.live_sessions()
            return live[-1] if live else None

        return await self._wait_for(
            ready, timeout, lambda: f"no bot identified within {timeout}s (identifies={self.gateway.identifies})"
        )

    # ------------------------------------------------------------------ gateway payloads

    def _guild_roles(self) -> list[dict[str, Any]]:
        return [
            role_payload(self.everyone_role_id, "@everyone", EVERYONE_PERMISSIONS, 0),
            role_payload(self.moderator_role_id, "Moderator", MODERATOR_PERMISSIONS, 1),
            role_payload(self.bot_role_id, "Reelmate", BOT_ROLE_PERMISSIONS, 2, managed=True),
        ]

    def _channel_payload(self) -> dict[str, Any]:
        return text_channel_payload(self.channel_id, self.guild_id, self.channel_name)

    def _ready_payload(self, session: GatewaySession) -> dict[str, Any]:
        return {
            "v": 10,
            "user": {**self.bot_user.user_payload(), "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(g), "unavailable": True} for g in self.guild_ids_of_shard(session.shard_id)],
            "shard": [session.shard_id, session.shard_count],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": [],
            "guild_join_requests": [],
        }

    def _guild_create_payload(self, guild_id: int | None = None) -> dict[str, Any]:
        if guild_id is not None and guild_id != self.guild_id:
            return self._other_guild_payload(guild_id)
        members = [u.member_payload() for u in self.users.values()]
        return {
            "id": str(self.guild_id),
            "name": self.guild_name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "system_channel_id": str(self.channel_id),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "features": [],
            "roles": self._guild_roles(),
            "emojis": [],
            "stickers": [],
            "channels": [self._channel_payload()],
            "threads": [],
            # member_count == len(members) makes the guild "chunked", so discord.py never asks
            # for GUILD_MEMBERS_CHUNK even with the members intent (op 8 is answered anyway).
            "members": members,
            "member_count": len(members),
            "large": False,
            "unavailable": False,
            "joined_at": iso_now(),
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "lazy": True,
        }

    def _other_guild_payload(self, guild_id: int) -> dict[str, Any]:
        """A guild on another shard: the test guild's shape with its own ids, only the bot in it."""
        channel_id = self._other_channel_ids[guild_id]
        payload = self._guild_create_payload()
        members = [self.bot_user.member_payload()]
        payload.update({
            "id": str(guild_id), "name": f"Other guild {self.other_guild_ids.index(guild_id) + 1}",
            "system_channel_id": str(channel_id),
            "roles": [role_payload(guild_id, "@everyone", EVERYONE_PERMISSIONS, 0),
                      role_payload(self.bot_role_id, "Reelmate", BOT_ROLE_PERMISSIONS, 1, managed=True)],
            "channels": [text_channel_payload(channel_id, guild_id, "general")],
            "members": members, "member_count": len(members),
        })
        return payload

    def _members_chunk(self, request: dict[str, Any]) -> dict[str, Any]:
        return {
            "guild_id": str(self.guild_id),
            "members": [u.member_payload() for u in self.users.values()],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
            "nonce": request.get("nonce"),
        }

    # ------------------------------------------------------------------ driver: interactions

    async def send_slash_command(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user: FakeUser | None = None,
        locale: str = "en-US",
        validate: bool = True,
        guild_id: int | None = None,
    ) -> FakeInteraction:
        """Dispatch a slash command as ``user`` (default: ``member``) typed it in the channel.

        ``name`` may contain subcommands: ``"admin retrain"``. Option types come from the
        registered definition, values are coerced to them (ints for INTEGER, ids for USER/CHANNEL/
        ROLE with the ``resolved`` block Discord adds; pass a :class:`FakeUser` or an id; for an
        ATTACHMENT, ``(filename, bytes)``: the file is served at its ``url`` as Discord's CDN would).
        ``guild_id``: one of ``other_guild_ids`` to type it in that guild's channel instead.
        """
        data, _ = self._command_data(name, options or {}, focused=None, validate=validate)
        user = user or self.member
        if validate:
            self._check_permission(self.command(name.split()[0]), user)
        return await self._dispatch_interaction(APPLICATION_COMMAND, data, user, locale=locale, guild_id=guild_id)

    async def send_autocomplete(
        self,
        name: str,
        options: dict[str, Any],
        *,
        focused: str,
        user: FakeUser | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """Dispatch an autocomplete request while ``user`` types into option ``focused``.

        ``options`` holds what is typed so far; the focused value is sent as a string, the way
        Discord sends partial input. ``inter.choices`` holds the bot's answer.
        """
        if focused not in options:
            raise CommandRejected(f"focused option {focused!r} must be present in options")
        data, focused_def = self._command_data(name, options, focused=focused, validate=False)
        if focused_def is not None and not focused_def.get("autocomplete"):
            raise CommandRejected(f"option {focused!r} of /{name} is not registered with autocomplete")
        return await self._dispatch_interaction(
            APPLICATION_COMMAND_AUTOCOMPLETE, data, user or self.member, locale=locale
        )

    async def send_component(
        self,
        custom_id: str,
        message_id: int,
        *,
        user: FakeUser | None = None,
        component_type: int = 2,
        values: list[str] | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """Dispatch a component interaction: a button press by default (``component_type=2``);
        pass ``values`` with ``component_type=3`` for a string select."""
        message = self.messages.get(message_id)
        if message is None:
            raise CommandRejected(f"message {message_id} is not one the bot sent; cannot press its components")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        return await self._dispatch_interaction(
            MESSAGE_COMPONENT,
            data,
            user or self.member,
            locale=locale,
            channel_id=int(message["channel_id"]),
            message=json.loads(json.dumps(message)),
        )

    def _command_data(
        self, name: str, values: dict[str, Any], *, focused: str | None, validate: bool
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Build ``data`` for a type 2/4 interaction from the registered definition."""
        parts = name.split()
        cmd = self.command(parts[0])
        data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": cmd.get("type", 1)}
        if cmd.get("guild_id"):
            # discord.py looks the command up among guild commands only when data.guild_id is set.
            data["guild_id"] = cmd["guild_id"]
        definitions = cmd.get("options", [])
        container = data
        path = f"/{parts[0]}"
        for sub in parts[1:]:
            sub_def = next(
                (o for o in definitions if o["name"] == sub and o["type"] in (OPT_SUB_COMMAND, OPT_SUB_COMMAND_GROUP)),
                None,
            )
            if sub_def is None:
                raise CommandRejected(f"{path} has no subcommand {sub!r}")
            node: dict[str, Any] = {"name": sub, "type": sub_def["type"], "options": []}
            container["options"] = [node]
            container = node
            definitions = sub_def.get("options", [])
            path += f" {sub}"

        by_name = {d["name"]: d for d in definitions}
        unknown = set(values) - set(by_name)
        if unknown:
            raise CommandRejected(f"{path} has no option(s) {sorted(unknown)}; it has {sorted(by_name)}")
        resolved: dict[str, dict[str, Any]] = {}
        built = []
        focused_def = None
        for definition in definitions:
            option_name = definition["name"]
            if option_name not in values:
                if validate and definition.get("required"):
                    raise CommandRejected(f"{path}: required option {option_name!r} missing")
                continue
            entry: dict[str, Any] = {"name": option_name, "type": definition["type"]}
            if option_name == focused:
                entry["value"] = str(values[option_name])
                entry["focused"] = True
                focused_def = definition
            else:
                entry["value"] = self._coerce_option(path, definition, values[option_name], validate, resolved)
            built.append(entry)
        container["options"] = built
        if resolved:
            data["resolved"] = resolved
        return data, focused_def

    def _coerce_option(
        self, path: str, definition: dict[str, Any], value: Any, validate: bool, resolved: dict[str, dict[str, Any]]
    ) -> Any:
        kind, label = definition["type"], f"{path} option {definition['name']!r}"
        if kind == OPT_STRING:
            value = str(value)
            if validate:
                if len(value) < definition.get("min_length", 0):
                    raise CommandRejected(f"{label}: shorter than min_length {definition['min_length']}")
                if "max_length" in definition and len(value) > definition["max_length"]:
                    raise CommandRejected(f"{label}: longer than max_length {definition['max_length']}")
        elif kind in (OPT_INTEGER, OPT_NUMBER):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise CommandRejected(f"{label}: expected a number, got {value!r}")
            if kind == OPT_INTEGER:
                if value != int(value):
                    raise CommandRejected(f"{label}: expected an integer, got {value!r}")
                value = int(value)
            if validate:
                if "min_value" in definition and value < definition["min_value"]:
                    raise CommandRejected(f"{label}: {value} is below min_value {definition['min_value']}")
                if "max_value" in definition and value > definition["max_value"]:
                    raise CommandRejected(f"{label}: {value} is above max_value {definition['max_value']}")
        elif kind == OPT_BOOLEAN:
            if not isinstance(value, bool):
                raise CommandRejected(f"{label}: expected a bool, got {value!r}")
        elif kind in (OPT_USER, OPT_MENTIONABLE):
            user = value if isinstance(value, FakeUser) else self.users.get(int(value))
            if user is None:
                raise CommandRejected(f"{label}: unknown user {value!r}")
            resolved.setdefault("users", {})[str(user.id)] = user.user_payload()
            resolved.setdefault("members", {})[str(user.id)] = user.member_payload(
                with_user=False, with_permissions=True
            )
            value = str(user.id)
        elif kind == OPT_CHANNEL:
            if int(value) != self.channel_id:
                raise CommandRejected(f"{label}: unknown channel {value!r}")
            resolved.setdefault("channels", {})[str(self.channel_id)] = {
                **self._channel_payload(),
                "permissions": str(self.member.permissions),
            }
            value = str(self.channel_id)
        elif kind == OPT_ROLE:
            role = next((r for r in self._guild_roles() if int(r["id"]) == int(value)), None)
            if role is None:
                raise CommandRejected(f"{label}: unknown role {value!r}")
            resolved.setdefault("roles", {})[role["id"]] = role
            value = role["id"]
        elif kind == OPT_ATTACHMENT:
            filename, data = value
            attachment_id = self.snowflake()
            self.attachments[attachment_id] = bytes(data)
            url = f"http://127.0.0.1:{self.port}/attachments/{attachment_id}/{filename}"
            resolved.setdefault("attachments", {})[str(attachment_id)] = {
                "id": str(attachment_id), "filename": filename, "size": len(data), "url": url, "proxy_url": url,
                "content_type": "text/plain; charset=utf-8",
            }
            value = str(attachment_id)
        else:
            raise NotImplementedError(f"{label}: option type {kind} is not supported by the fake")
        choices = definition.get("choices")
        if validate and choices and value not in [c["value"] for c in choices]:
            raise CommandRejected(f"{label}: {value!r} is not one of the choices {[c['value'] for c in choices]}")
        return value

    @staticmethod
    def _check_permission(cmd: dict[str, Any], user: FakeUser) -> None:
        required = cmd.get("default_member_permissions")
        if required is None or user.permissions & ADMINISTRATOR:
            return
        required_bits = int(required)
        # "0" means: hidden from everyone but administrators.
        if required_bits == 0 or user.permissions & required_bits != required_bits:
            raise CommandRejected(
                f"{user.username} lacks default_member_permissions={required} of /{cmd['name']}; "
                "Discord would not offer the command (pass validate=False to send it anyway)"
            )

    async def _dispatch_interaction(
        self,
        interaction_type: int,
        data: dict[str, Any],
        user: FakeUser,
        *,
        locale: str,
        channel_id: int | None = None,
        message: dict[str, Any] | None = None,
        guild_id: int | None = None,
    ) -> FakeInteraction:
        guild_id = guild_id or self.guild_id
        session = self.gateway.current_session(guild_id)
        interaction_id = self.snowflake()
        token = f"fake-{secrets.token_urlsafe(32)}"
        if guild_id != self.guild_id:
            channel_id = self._other_channel_ids[guild_id]
            channel = text_channel_payload(channel_id, guild_id, "general")
        else:
            channel_id = channel_id or self.channel_id
            channel = self._channel_payload()
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": interaction_type,
            "token": token,
            "version": 1,
            "guild_id": str(guild_id),
            "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
            "channel_id": str(channel_id),
            "channel": channel,
            "member": user.member_payload(with_permissions=True),
            "app_permissions": str(self.bot_user.permissions),
            "locale": locale,
            "guild_locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild_id)},
            "context": 0,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "data": data,
        }
        if message is not None:
            payload["message"] = message
        inter = FakeInteraction(
            fake=self,
            id=interaction_id,
            token=token,
            type=interaction_type,
            user=user,
            channel_id=channel_id,
            payload=payload,
        )
        self.interactions.append(inter)
        self._interactions_by_id[interaction_id] = inter
        self._interactions_by_token[token] = inter
        inter.dispatched_at = time.monotonic()
        await session.dispatch("INTERACTION_CREATE", payload)
        return inter

    # ------------------------------------------------------------------ driver: other events

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send any gateway event to the connected bot (to the shard of its `guild_id`, if it has
        one); returns its sequence number."""
        guild_id = data.get("guild_id")
        return await self.gateway.current_session(int(guild_id) if guild_id else None).dispatch(event, data)

    def _user(self, user: FakeUser | int) -> FakeUser:
        if isinstance(user, FakeUser):
            return user
        found = self.users.get(int(user))
        return found if found is not None else self._add_user(FakeUser(int(user), f"user{user}"))

    def _reaction_event(self, message_id: int, user: FakeUser, emoji: str, channel_id: int | None) -> dict[str, Any]:
        message = self.messages.get(message_id)
        if channel_id is None:
            channel_id = int(message["channel_id"]) if message else self.channel_id
        event: dict[str, Any] = {
            "user_id": str(user.id),
            "channel_id": str(channel_id),
            "message_id": str(message_id),
            "guild_id": str(self.guild_id),
            "emoji": partial_emoji(emoji),
            "type": 0,
            "burst": False,
            "burst_colors": [],
        }
        if message is not None:
            event["message_author_id"] = message["author"]["id"]
        return event

    async def dispatch_reaction_add(
        self, message_id: int, user: FakeUser | int, emoji: str = "👍", *, channel_id: int | None = None
    ) -> None:
        """A user adds a reaction (MESSAGE_REACTION_ADD, with ``member`` as Discord sends it)."""
        user = self._user(user)
        event = self._reaction_event(message_id, user, emoji, channel_id)
        event["member"] = user.member_payload()
        self._set_reaction(message_id, emoji, user.id, present=True)
        await self.dispatch("MESSAGE_REACTION_ADD", event)

    async def dispatch_reaction_remove(
        self, message_id: int, user: FakeUser | int, emoji: str = "👍", *, channel_id: int | None = None
    ) -> None:
        """A user removes a reaction (MESSAGE_REACTION_REMOVE carries no ``member``)."""
        user = self._user(user)
        event = self._reaction_event(message_id, user, emoji, channel_id)
        self._set_reaction(message_id, emoji, user.id, present=False)
        await self.dispatch("MESSAGE_REACTION_REMOVE", event)

    async def disconnect_all(self, code: int = 4000) -> None:
        """Drop every gateway connection from the server side. Sessions stay resumable, so a
        running bot reconnects with RESUME (watch ``fake.resumes``)."""
        await self.gateway.close_all(code=code)

    async def send_reconnect(self) -> None:
        """Ask connected bots to reconnect (op 7), as Discord does before maintenance."""
        await self.gateway.send_op(OP_RECONNECT, None)

    async def invalidate_sessions(self, *, resumable: bool = False) -> None:
        """Send op 9; with ``resumable=False`` the bot must IDENTIFY again."""
        if not resumable:
            self.gateway.sessions.clear()
        await self.gateway.send_op(OP_INVALID_SESSION, resumable)

    # ------------------------------------------------------------------ message store

    def _store(self, message: dict[str, Any]) -> dict[str, Any]:
        message_id = int(message["id"])
        self.messages[message_id] = message
        self._message_changed_at[message_id] = time.monotonic()
        self._notify()
        return message

    def _new_message(
        self,
        channel_id: int,
        body: dict[str, Any],
        uploads: list[Upload],
        *,
        interaction: FakeInteraction | None = None,
        flags: int | None = None,
        original: bool = False,
    ) -> dict[str, Any]:
        message_id = self.snowflake()
        metadata = None
        message_type = MESSAGE_DEFAULT
        if interaction is not None:
            metadata = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": interaction.user.user_payload(),
                "authorizing_integration_owners": {"0": str(self.guild_id)},
            }
            if not original and interaction.original_message_id is not None:
                metadata["original_response_message_id"] = str(interaction.original_message_id)
            if interaction.type == MESSAGE_COMPONENT:
                metadata["interacted_message_id"] = interaction.payload["message"]["id"]
            elif interaction.type == APPLICATION_COMMAND:
                message_type = MESSAGE_CHAT_INPUT_COMMAND
        reference = body.get("message_reference")
        if reference:
            reference = {"type": 0, "channel_id": str(channel_id), "guild_id": str(self.guild_id), **reference}
            reference["message_id"] = str(reference.get("message_id"))
        message = message_payload(
            message_id=message_id,
            channel_id=channel_id,
            guild_id=self.guild_id,
            author=self.bot_user,
            content=body.get("content") or "",
            embeds=body.get("embeds") or [],
            components=body.get("components") or [],
            attachments=self._attachments(body, uploads, []),
            flags=int(body.get("flags") or 0) if flags is None else flags,
            message_type=message_type,
            webhook_id=self.application_id if interaction is not None else None,
            application_id=self.application_id if interaction is not None else None,
            interaction_metadata=metadata,
            message_reference=reference,
        )
        return self._store(message)

    def _edit_message(self, message_id: int, body: dict[str, Any], uploads: list[Upload]) -> dict[str, Any]:
        message = dict(self.messages[message_id])
        was_loading = int(message.get("flags", 0)) & FLAG_LOADING
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key] if body[key] is not None else ("" if key == "content" else [])
        if "attachments" in body or uploads:
            message["attachments"] = self._attachments(body, uploads, message.get("attachments", []))
        flags = int(message.get("flags", 0))
        if body.get("flags") is not None:
            # Ephemerality is fixed at creation; other flags (e.g. SUPPRESS_EMBEDS) can change.
            flags = (int(body["flags"]) & ~FLAG_EPHEMERAL) | (flags & FLAG_EPHEMERAL)
        message["flags"] = flags & ~FLAG_LOADING
        if not was_loading:
            message["edited_timestamp"] = iso_now()
        return self._store(message)

    def _attachments(
        self, body: dict[str, Any], uploads: list[Upload], existing: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Keep the existing attachments the body lists (all of them if it lists none) and add
        uploaded files (discord.py names them ``files[n]`` and lists them with ``id: n``)."""
        requested = body.get("attachments")
        if requested is None:
            kept = list(existing)
        else:
            wanted = {str(a.get("id")) for a in requested}
            kept = [a for a in existing if a["id"] in wanted]
        for upload in uploads:
            attachment_id = self.snowflake()
            self.attachments[attachment_id] = upload.data
            url = f"http://127.0.0.1:{self.port}/attachments/{attachment_id}/{upload.filename}"
            kept.append(
                {
                    "id": str(attachment_id),
                    "filename": upload.filename,
                    "size": len(upload.data),
                    "url": url,
                    "proxy_url": url,
                    "content_type": upload.content_type,
                }
            )
        return kept

    def _set_reaction(self, message_id: int, emoji: str, user_id: int, *, present: bool) -> None:
        users = self.reactions.setdefault((message_id, emoji), [])
        if present and user_id not in users:
            users.append(user_id)
        elif not present and user_id in users:
            users.remove(user_id)
        message = self.messages.get(message_id)
        if message is not None:
            message["reactions"] = [
                {
                    "emoji": partial_emoji(e),
                    "count": len(u),
                    "count_details": {"burst": 0, "normal": len(u)},
                    "me": self.bot_user.id in u,
                    "me_burst": False,
                    "burst_colors": [],
                }
                for (mid, e), u in self.reactions.items()
                if mid == message_id and u
            ]
        self._notify()

    # ------------------------------------------------------------------ REST plumbing

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        if request.path == "/":
            return await handler(request)  # the gateway checks its token in IDENTIFY
        record = RecordedRequest(request.method, request.path, dict(request.query))
        self.requests.append(record)
        request[RECORD_KEY] = record  # concurrent requests interleave: never use requests[-1]
        # Webhooks and interaction callbacks authenticate by their token; the CDN (attachments) is public.
        needs_bot_auth = not request.path.startswith((f"{API_PREFIX}/webhooks/", f"{API_PREFIX}/interactions/",
                                                      "/attachments/"))
        if needs_bot_auth and request.headers.get("Authorization") != f"Bot {self.token}":
            record.status = 401
            return _error(401, "401: Unauthorized")
        try:
            response = await handler(request)
        except Exception as exc:  # a bug in the fake must not look like a Discord outage
            log.exception("fake discord: handler for %s %s failed", request.method, request.path)
            self.server_errors.append(exc)
            # 400, not 500: discord.py retries 5xx with sleeps, which would only slow the test.
            response = _error(400, f"fake discord internal error: {exc!r}")
        record.status = response.status
        log.debug("fake discord: %s %s -> %s", request.method, request.path, response.status)
        return response

    async def _unknown(self, request: web.Request) -> web.StreamResponse:
        record: RecordedRequest = request[RECORD_KEY]
        record.body = await request.text()
        self.unknown_requests.append(record)
        log.warning("fake discord: no route for %s %s", request.method, request.path)
        return _error(404, "Unknown", 0)

    async def _read_body(self, request: web.Request) -> tuple[Any, list[Upload]]:
        """JSON body, or ``payload_json`` plus ``files[n]`` from a multipart upload."""
        if request.content_type == "application/json":
            body = await request.json()
        elif request.content_type.startswith("multipart/"):
            form = await request.post()
            body = json.loads(str(form.get("payload_json", "{}")))
            uploads = []
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    uploads.append(Upload(value.filename, value.content_type, value.file.read()))
                    log.debug("fake discord: upload %s (%s)", value.filename, name)
            request[RECORD_KEY].body = body
            return body, uploads
        else:
            text = await request.text()
            body = json.loads(text) if text else {}
        request[RECORD_KEY].body = body
        return body, []

    def _add_routes(self, app: web.Application) -> None:
        p = API_PREFIX
        r = app.router
        r.add_get(f"{p}/gateway", self._get_gateway)
        r.add_get(f"{p}/gateway/bot", self._get_gateway_bot)
        r.add_get(f"{p}/users/{{user_id}}", self._get_user)
        r.add_get(f"{p}/oauth2/applications/@me", self._get_application)
        r.add_get(f"{p}/applications/{{app_id}}/commands", self._get_commands)
        r.add_put(f"{p}/applications/{{app_id}}/commands", self._put_commands)
        r.add_get(f"{p}/applications/{{app_id}}/guilds/{{guild_id}}/commands", self._get_commands)
        r.add_put(f"{p}/applications/{{app_id}}/guilds/{{guild_id}}/commands", self._put_commands)
        r.add_post(f"{p}/interactions/{{interaction_id}}/{{token}}/callback", self._interaction_callback)
        r.add_post(f"{p}/webhooks/{{app_id}}/{{token}}", self._webhook_execute)
        for method in ("GET", "PATCH", "DELETE"):
            r.add_route(method, f"{p}/webhooks/{{app_id}}/{{token}}/messages/{{message_id}}", self._webhook_message)
        r.add_get(f"{p}/channels/{{channel_id}}", self._get_channel)
        r.add_post(f"{p}/channels/{{channel_id}}/messages", self._create_channel_message)
        r.add_post(f"{p}/channels/{{channel_id}}/typing", self._typing)
        for method in ("GET", "PATCH", "DELETE"):
            r.add_route(method, f"{p}/channels/{{channel_id}}/messages/{{message_id}}", self._channel_message)
        for method in ("PUT", "DELETE"):
            own_reaction = f"{p}/channels/{{channel_id}}/messages/{{message_id}}/reactions/{{emoji}}/@me"
            r.add_route(method, own_reaction, self._own_reaction)
        r.add_delete(f"{p}/channels/{{channel_id}}/messages/{{message_id}}/reactions/{{emoji}}/{{user_id}}",
                     self._user_reaction)
        r.add_get(f"{p}/guilds/{{guild_id}}/members/{{user_id}}", self._get_member)

    # ------------------------------------------------------------------ REST: login and setup

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return _json({"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        return _json(
            {
                "url": self.gateway_url,
                "shards": self.shard_count,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
            }
        )

    async def _get_attachment(self, request: web.Request) -> web.Response:
        """An attachment's bytes at its `url` (Discord's CDN)."""
        data = self.attachments.get(int(request.match_info["attachment_id"]))
        if data is None:
            return _error(404, "Unknown Attachment", 10000)
        return web.Response(body=data, content_type="application/octet-stream")

    async def _get_user(self, request: web.Request) -> web.Response:
        user_id = request.match_info["user_id"]
        if user_id == "@me":
            return _json({**self.bot_user.user_payload(), "verified": True, "mfa_enabled": False, "flags": 0})
        user = self.users.get(int(user_id)) if user_id.isdigit() else None
        return _json(user.user_payload()) if user else _error(404, "Unknown User", 10013)

    async def _get_application(self, request: web.Request) -> web.Response:
        return _json(
            {
                "id": str(self.application_id),
                "name": "Reelmate",
                "description": "Recommends shows and movies (fake application)",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.owner.user_payload(),
                "team": None,
                "verify_key": "0" * 64,
                "summary": "",
                "flags": 0,
                "bot": self.bot_user.user_payload(),
                "interactions_endpoint_url": None,  # set, discord.py would warn commands won't arrive
                "redirect_uris": [],
                "tags": [],
                "approximate_guild_count": 1,
            }
        )

    def _command_scope(self, request: web.Request) -> list[dict[str, Any]] | web.Response:
        if request.match_info["app_id"] != str(self.application_id):
            return _error(403, "Missing Access", 50001)
        guild_id = request.match_info.get("guild_id")
        if guild_id is None:
            return self.global_commands
        if guild_id != str(self.guild_id):
            return _error(403, "Missing Access", 50001)
        return self.guild_commands.setdefault(self.guild_id, [])

    async def _get_commands(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        return scope if isinstance(scope, web.Response) else _json(scope)

    async def _put_commands(self, request: web.Request) -> web.Response:
        """Bulk overwrite. Ids survive a re-sync of the same name, as on Discord."""
        scope = self._command_scope(request)
        if isinstance(scope, web.Response):
            return scope
        body, _ = await self._read_body(request)
        previous = {(c["name"], c.get("type", 1)): c["id"] for c in scope}
        guild_id = request.match_info.get("guild_id")
        echoed = []
        for cmd in body:
            kind = cmd.get("type", 1)
            permissions = cmd.get("default_member_permissions")  # discord.py sends an int,
            permissions = None if permissions is None else str(permissions)  # Discord answers a string
            echoed.append(
                {
                    **cmd,
                    "id": previous.get((cmd["name"], kind)) or str(self.snowflake()),
                    "application_id": str(self.application_id),
                    "version": str(self.snowflake()),
                    "type": kind,
                    "description": cmd.get("description", ""),
                    "default_member_permissions": permissions,
                    "nsfw": cmd.get("nsfw", False),
                    **({"guild_id": guild_id} if guild_id else {}),
                }
            )
        scope[:] = echoed
        self._notify()
        return _json(echoed)

    # ------------------------------------------------------------------ REST: interactions

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        inter = self._interactions_by_id.get(int(request.match_info["interaction_id"]))
        body, uploads = await self._read_body(request)
        if inter is None or inter.token != request.match_info["token"]:
            return _error(404, "Unknown interaction", 10062)
        if inter.callbacks:
            inter.rejected_callbacks.append((400, body))
            self._notify()
            return _error(400, "Interaction has already been acknowledged.", 40060)
        if arrived - inter.dispatched_at > self.interaction_deadline:
            inter.rejected_callbacks.append((404, body))
            self._notify()
            return _error(404, "Unknown interaction", 10062)

        inter.callbacks.append(body)
        inter.responded_at = arrived
        kind = body.get("type")
        data = body.get("data") or {}
        message = None
        if kind == CALLBACK_CHANNEL_MESSAGE:
            message = self._new_message(inter.channel_id, data, uploads, interaction=inter, original=True)
            inter.original_message_id = int(message["id"])
        elif kind == CALLBACK_DEFERRED_CHANNEL_MESSAGE:
            # The "Reelmate is thinking..." placeholder a later edit or follow-up replaces.
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            message = self._new_message(inter.channel_id, {}, [], interaction=inter, flags=flags, original=True)
            inter.original_message_id = int(message["id"])
        elif kind in (CALLBACK_DEFERRED_UPDATE_MESSAGE, CALLBACK_UPDATE_MESSAGE) and inter.type == MESSAGE_COMPONENT:
            target = int(inter.payload["message"]["id"])
            inter.original_message_id = target
            if kind == CALLBACK_UPDATE_MESSAGE and target in self.messages:
                message = self._edit_message(target, data, uploads)
        self._notify()

        result: dict[str, Any] = {
            "interaction": {
                "id": str(inter.id),
                "type": inter.type,
                "response_message_id": message["id"] if message else None,
                "response_message_loading": kind == CALLBACK_DEFERRED_CHANNEL_MESSAGE,
                "response_message_ephemeral": bool(message and int(message["flags"]) & FLAG_EPHEMERAL),
            },
            "resource": {"type": kind, **({"message": message} if message else {})},
        }
        return _json(result)

    def _webhook_interaction(self, request: web.Request) -> FakeInteraction | None:
        inter = self._interactions_by_token.get(request.match_info["token"])
        if inter is None or request.match_info["app_id"] != str(self.application_id) or not inter.callbacks:
            return None  # Discord: interaction tokens only work as webhooks once acknowledged
        return inter

    async def _webhook_execute(self, request: web.Request) -> web.Response:
        body, uploads = await self._read_body(request)
        inter = self._webhook_interaction(request)
        if inter is None:
            return _error(404, "Unknown Webhook", 10015)
        original = self.messages.get(inter.original_message_id or 0)
        if (
            original is not None
            and int(original.get("flags", 0)) & FLAG_LOADING
            and inter.response_type == CALLBACK_DEFERRED_CHANNEL_MESSAGE
        ):
            # Discord: the first follow-up after a deferral *is* the response; it keeps the
            # deferral's ephemerality whatever the follow-up asked for.
            message = self._edit_message(int(original["id"]), body, uploads)
        else:
            flags = int(body.get("flags") or 0)
            message = self._new_message(inter.channel_id, body, uploads, interaction=inter, flags=flags)
            inter.followup_ids.append(int(message["id"]))
            self._notify()
        if request.query.get("wait", "").lower() in ("1", "true"):
            return _json(message)
        return _no_content()

    async def _webhook_message(self, request: web.Request) -> web.Response:
        inter = self._webhook_interaction(request)
        if inter is None:
            return _error(404, "Unknown Webhook", 10015)
        raw_id = request.match_info["message_id"]
        message_id = inter.original_message_id if raw_id == "@original" else int(raw_id)
        allowed = set(inter.message_ids)
        if message_id is None or message_id not in allowed or message_id not in self.messages:
            return _error(404, "Unknown Message", 10008)
        if request.method == "GET":
            return _json(self.messages[message_id])
        if request.method == "DELETE":
            self._delete_message(message_id)
            return _no_content()
        body, uploads = await self._read_body(request)
        return _json(self._edit_message(message_id, body, uploads))

    def _delete_message(self, message_id: int) -> None:
        self.messages.pop(message_id, None)
        self._message_changed_at.pop(message_id, None)
        self._notify()

    # ------------------------------------------------------------------ REST: channels and members

    def _known_channel(self, request: web.Request) -> int | None:
        channel_id = request.match_info["channel_id"]
        return self.channel_id if channel_id == str(self.channel_id) else None

    async def _get_channel(self, request: web.Request) -> web.Response:
        if self._known_channel(request) is None:
            return _error(404, "Unknown Channel", 10003)
        return _json(self._channel_payload())

    async def _typing(self, request: web.Request) -> web.Response:
        if self._known_channel(request) is None:
            return _error(404, "Unknown Channel", 10003)
        return _no_content()

    async def _create_channel_message(self, request: web.Request) -> web.Response:
        channel_id = self._known_channel(request)
        if channel_id is None:
            return _error(404, "Unknown Channel", 10003)
        body, uploads = await self._read_body(request)
        if not (body.get("content") or body.get("embeds") or body.get("components") or uploads):
            return _error(400, "Cannot send an empty message", 50006)
        return _json(self._new_message(channel_id, body, uploads))

    def _channel_message_id(self, request: web.Request) -> int | None:
        if self._known_channel(request) is None:
            return None
        message_id = int(request.match_info["message_id"])
        message = self.messages.get(message_id)
        if message is None or message["channel_id"] != request.match_info["channel_id"]:
            return None
        return message_id

    async def _channel_message(self, request: web.Request) -> web.Response:
        message_id = self._channel_message_id(request)
        if message_id is None:
            return _error(404, "Unknown Message", 10008)
        message = self.messages[message_id]
        if request.method == "GET":
            return _json(message)
        if int(message.get("flags", 0)) & FLAG_EPHEMERAL:
            return _error(404, "Unknown Message", 10008)  # ephemeral messages are not channel messages
        if request.method == "DELETE":
            self._delete_message(message_id)
            return _no_content()
        body, uploads = await self._read_body(request)
        return _json(self._edit_message(message_id, body, uploads))

    async def _own_reaction(self, request: web.Request) -> web.Response:
        message_id = self._channel_message_id(request)
        if message_id is None:
            return _error(404, "Unknown Message", 10008)
        emoji = request.match_info["emoji"]  # aiohttp has already percent-decoded it
        self._set_reaction(message_id, emoji, self.bot_user.id, present=request.method == "PUT")
        return _no_content()

    async def _user_reaction(self, request: web.Request) -> web.Response:
        """Remove a member's reaction (Discord requires Manage Messages; the fake grants it) and
        send MESSAGE_REACTION_REMOVE, as Discord does for any removal."""
        message_id = self._channel_message_id(request)
        if message_id is None:
            return _error(404, "Unknown Message", 10008)
        emoji, user_id = request.match_info["emoji"], request.match_info["user_id"]
        if not user_id.isdigit() or int(user_id) not in self.reactions.get((message_id, emoji), []):
            return _error(404, "Unknown Emoji", 10014)
        await self.dispatch_reaction_remove(message_id, int(user_id), emoji)
        return _no_content()

    async def _get_member(self, request: web.Request) -> web.Response:
        user_id = request.match_info["user_id"]
        user = self.users.get(int(user_id)) if user_id.isdigit() else None
        if request.match_info["guild_id"] != str(self.guild_id) or user is None:
            return _error(404, "Unknown Member", 10007)
        return _json(user.member_payload())
