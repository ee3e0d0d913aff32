"""The websocket half of the stand-in: HELLO, heartbeats, IDENTIFY/RESUME and dispatches.

discord.py connects with ``?v=10&encoding=json&compress=zlib-stream`` but only runs its
decompressor on BINARY frames; TEXT frames are parsed as plain JSON. So compression is optional
for the server, and off by default because plain frames are readable in a debugger. With
``compress=True`` the gateway answers ``zlib-stream`` clients the way Discord does (one shared
zlib context per connection, every message ending in a Z_SYNC_FLUSH), which exercises that path.

Sharding (https://discord.com/developers/docs/events/gateway#sharding): with ``shard_count`` > 1
the gateway requires ``shard: [id, count]`` in IDENTIFY (close 4011 "sharding required" without
it, 4010 "invalid shard" for a wrong id or count, as Discord does), each session's READY lists only
its own guilds, and every guild event goes to the session of shard ``(guild_id >> 22) % count``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)

# Opcodes (https://discord.com/developers/docs/topics/opcodes-and-status-codes).
OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE_UPDATE = 3
OP_VOICE_STATE_UPDATE = 4
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_GUILD_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

CLOSE_AUTHENTICATION_FAILED = 4004
CLOSE_INVALID_SHARD = 4010
CLOSE_SHARDING_REQUIRED = 4011


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a guild's events to."""
    return (guild_id >> 22) % shard_count


@dataclass(eq=False)
class GatewaySession:
    """One identified session. It outlives its websocket so that a RESUME can pick it up again."""

    session_id: str
    intents: int
    shard_id: int = 0
    shard_count: int = 1
    seq: int = 0
    ws: web.WebSocketResponse | None = None
    compressor: Any = None  # zlib compressobj when the connection asked for zlib-stream
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    resumes: int = 0

    @property
    def live(self) -> bool:
        """True while a websocket is attached and open (dispatches would reach the bot)."""
        return self.ws is not None and not self.ws.closed

    async def send(self, payload: dict[str, Any]) -> None:
        await _send(self.ws, payload, self.compressor, self.send_lock)

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send an op 0 event with the next sequence number; returns that number."""
        if not self.live:
            raise RuntimeError(f"gateway session {self.session_id} has no open websocket")
        self.seq += 1
        await self.send({"op": OP_DISPATCH, "t": event, "s": self.seq, "d": data})
        return self.seq


async def _send(
    ws: web.WebSocketResponse | None, payload: dict[str, Any], compressor: Any, lock: asyncio.Lock
) -> None:
    if ws is None or ws.closed:
        return
    text = json.dumps(payload, ensure_ascii=False)
    async with lock:
        if compressor is not None:
            await ws.send_bytes(compressor.compress(text.encode()) + compressor.flush(zlib.Z_SYNC_FLUSH))
        else:
            await ws.send_str(text)


class Gateway:
    """Accepts websocket connections for a :class:`FakeDiscord` and keeps gateway counters.

    Counters are public because tests assert on them: ``heartbeats_received`` (and the arrival
    times in ``heartbeat_times``) prove the bot's event loop keeps running during long work;
    ``identifies``/``resumes`` prove reconnects took the expected path.
    """

    def __init__(self, fake: FakeDiscord, *, heartbeat_interval_ms: int, compress: bool) -> None:
        self._fake = fake
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.compress = compress
        self.sessions: dict[str, GatewaySession] = {}
        self.heartbeats_received = 0
        self.heartbeat_times: list[float] = []  # time.monotonic() at arrival
        self.identifies = 0
        self.resumes = 0
        self.connections = 0
        self.compressed_connections = 0  # connections answered with zlib-stream binary frames
        self.connect_queries: list[dict[str, str]] = []  # query string of each connection
        self._sockets: set[web.WebSocketResponse] = set()

    # -- queries -------------------------------------------------------------------------------

    def live_sessions(self) -> list[GatewaySession]:
        return [s for s in self.sessions.values() if s.live]

    def current_session(self, guild_id: int | None = None) -> GatewaySession:
        """The most recently (re)connected live session of the shard that owns `guild_id` (of
        shard 0 for events without a guild, as Discord sends DMs): where dispatches go.

        Discord sends each event to one session; sending to the newest mimics a restarted bot
        taking over while an old, closing instance drains.
        """
        shard = 0 if guild_id is None else shard_of(guild_id, self._fake.shard_count)
        live = [s for s in self.live_sessions() if s.shard_id == shard]
        if not live:
            raise RuntimeError(f"no bot is connected to the fake gateway on shard {shard} (did it IDENTIFY?)")
        return live[-1]

    # -- control ---------------------------------------------------------------------------------

    async def close_all(self, code: int = 4000, message: str = "fake: disconnect") -> None:
        """Close every websocket from the server side; sessions stay resumable."""
        sockets = list(self._sockets)
        await asyncio.gather(
            *(ws.close(code=code, message=message.encode()) for ws in sockets), return_exceptions=True
        )

    async def send_op(self, op: int, d: Any) -> None:
        """Send a non-dispatch opcode (e.g. 7 RECONNECT, 9 INVALID_SESSION) to every live session."""
        for session in self.live_sessions():
            await session.send({"op": op, "d": d, "s": None, "t": None})

    # -- the websocket handler -----------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        self.connections += 1
        self.connect_queries.append(dict(request.query))
        self._sockets.add(ws)
        compressor = None
        if self.compress and request.query.get("compress") == "zlib-stream":
            compressor = zlib.compressobj()
            self.compressed_connections += 1
        send_lock = asyncio.Lock()
        session: GatewaySession | None = None
        try:
            hello = {"op": OP_HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}, "s": None, "t": None}
            await _send(ws, hello, compressor, send_lock)
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    log.warning("fake gateway: ignoring non-text frame %s", msg.type)
                    continue
                payload = json.loads(msg.data)
                op = payload.get("op")
                data = payload.get("d")
                if op == OP_HEARTBEAT:
                    self.heartbeats_received += 1
                    self.heartbeat_times.append(time.monotonic())
                    await _send(ws, {"op": OP_HEARTBEAT_ACK, "d": None, "s": None, "t": None}, compressor, send_lock)
                    self._fake._notify()
                elif op == OP_IDENTIFY:
                    session = await self._identify(ws, data, compressor, send_lock)
                    if session is None:
                        break
                elif op == OP_RESUME:
                    session = await self._resume(ws, data, compressor, send_lock)
                elif op == OP_REQUEST_GUILD_MEMBERS and session is not None:
                    await session.dispatch("GUILD_MEMBERS_CHUNK", self._fake._members_chunk(data))
                elif op in (OP_PRESENCE_UPDATE, OP_VOICE_STATE_UPDATE):
                    pass  # accepted and ignored, as a quiet guild would
                else:
                    log.warning("fake gateway: unhandled opcode %r", op)
        finally:
            self._sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
            self._fake._notify()
        return ws

    async def _identify(
        self, ws: web.WebSocketResponse, data: dict[str, Any], compressor: Any, send_lock: asyncio.Lock
    ) -> GatewaySession | None:
        if data.get("token") != self._fake.gateway_token:
            log.info("fake gateway: IDENTIFY with a wrong token, closing with 4004")
            await ws.close(code=CLOSE_AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return None
        expected = self._fake.shard_count
        shard = data.get("shard")
        if shard is None and expected > 1:
            log.info("fake gateway: IDENTIFY without a shard while %d shards are required, closing with 4011", expected)
            await ws.close(code=CLOSE_SHARDING_REQUIRED, message=b"Sharding required.")
            return None
        shard_id, shard_count = shard if shard is not None else (0, 1)
        if shard_count != expected or not 0 <= shard_id < shard_count:
            log.info("fake gateway: IDENTIFY with shard %r (expected count %d), closing with 4010", shard, expected)
            await ws.close(code=CLOSE_INVALID_SHARD, message=b"Invalid shard.")
            return None
        session = GatewaySession(session_id=uuid.uuid4().hex, intents=int(data.get("intents", 0)),
                                 shard_id=shard_id, shard_count=shard_count)
        session.ws, session.compressor, session.send_lock = ws, compressor, send_lock
        self.sessions[session.session_id] = session
        self.identifies += 1
        await session.dispatch("READY", self._fake._ready_payload(session))
        for guild_id in self._fake.guild_ids_of_shard(shard_id):
            await session.dispatch("GUILD_CREATE", self._fake._guild_create_payload(guild_id))
        self._fake._notify()
        return session

    async def _resume(
        self, ws: web.WebSocketResponse, data: dict[str, Any], compressor: Any, send_lock: asyncio.Lock
    ) -> GatewaySession | None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self._fake.gateway_token:
            # d=false: "not resumable", discord.py then reconnects and IDENTIFYs afresh.
            await _send(ws, {"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None}, compressor, send_lock)
            return None
        # Events dispatched while disconnected are not replayed: the driver refuses to dispatch
        # without a live session, so there is nothing to replay.
        session.ws, session.compressor, session.send_lock = ws, compressor, send_lock
        session.resumes += 1
        self.resumes += 1
        await session.dispatch("RESUMED", {})
        self._fake._notify()
        return session
