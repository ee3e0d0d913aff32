"""What the fake remembers about one interaction it dispatched, and how a test awaits the answer.

A test usually needs two things: *did the bot acknowledge within Discord's 3-second deadline*
(``wait_response`` / ``responded_after``) and *what did the user finally see* (``wait_final_message``
covers the three usual shapes: an immediate reply, a deferral followed by an edit of the original
response, and a deferral followed by a follow-up).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .payloads import FLAG_LOADING, FakeUser

if TYPE_CHECKING:
    from .server import FakeDiscord

# Interaction types (Discord's numbering).
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
APPLICATION_COMMAND_AUTOCOMPLETE = 4

# Callback (response) types.
CALLBACK_CHANNEL_MESSAGE = 4
CALLBACK_DEFERRED_CHANNEL_MESSAGE = 5
CALLBACK_DEFERRED_UPDATE_MESSAGE = 6
CALLBACK_UPDATE_MESSAGE = 7
CALLBACK_AUTOCOMPLETE_RESULT = 8
CALLBACK_MODAL = 9


def _not_loading(message: dict[str, Any]) -> bool:
    return not int(message.get("flags", 0)) & FLAG_LOADING


@dataclass(eq=False)
class FakeInteraction:
    """An INTERACTION_CREATE the fake sent, plus everything the bot did in reply.

    ``payload`` is exactly what went over the gateway. ``callbacks`` holds the accepted
    ``POST /interactions/{id}/{token}/callback`` bodies (``{type, data}``); refused ones (second
    acknowledgement, or later than the deadline) land in ``rejected_callbacks`` with the HTTP
    status the bot received.
    """

    fake: FakeDiscord = field(repr=False)
    id: int
    token: str
    type: int
    user: FakeUser
    channel_id: int
    payload: dict[str, Any] = field(repr=False)
    dispatched_at: float = field(default_factory=time.monotonic)
    callbacks: list[dict[str, Any]] = field(default_factory=list, repr=False)
    rejected_callbacks: list[tuple[int, dict[str, Any]]] = field(default_factory=list, repr=False)
    responded_at: float | None = None
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)

    # -- what was dispatched ---------------------------------------------------------------------

    @property
    def name(self) -> str | None:
        """The command name (application commands and autocomplete)."""
        return self.payload["data"].get("name")

    @property
    def custom_id(self) -> str | None:
        """The component's custom_id (component interactions)."""
        return self.payload["data"].get("custom_id")

    # -- the acknowledgement ---------------------------------------------------------------------

    @property
    def response(self) -> dict[str, Any] | None:
        """The first accepted callback body ``{type, data}``, or None before the bot answered."""
        return self.callbacks[0] if self.callbacks else None

    @property
    def response_type(self) -> int | None:
        return self.response["type"] if self.response else None

    @property
    def responded_after(self) -> float | None:
        """Seconds from sending INTERACTION_CREATE to the first callback arriving."""
        return None if self.responded_at is None else self.responded_at - self.dispatched_at

    @property
    def choices(self) -> list[dict[str, Any]]:
        """Autocomplete choices ``[{name, value}]`` from a type 8 callback (empty before it)."""
        for body in self.callbacks:
            if body.get("type") == CALLBACK_AUTOCOMPLETE_RESULT:
                return list(body.get("data", {}).get("choices", []))
        return []

    async def wait_response(self, timeout: float = 3.0) -> dict[str, Any]:  # noqa: ASYNC109 - a test driver's deadline is its API
        """Wait for the first callback and return its body; TimeoutError names what was missing."""
        return await self.fake._wait_for(
            lambda: self.response,
            timeout,
            lambda: f"the bot did not acknowledge interaction {self.describe()} within {timeout}s",
        )

    # -- the messages the user sees --------------------------------------------------------------

    @property
    def message_ids(self) -> list[int]:
        """The original response (if any) followed by follow-ups, in creation order."""
        ids = [] if self.original_message_id is None else [self.original_message_id]
        return ids + [i for i in self.followup_ids if i not in ids]

    def messages(self) -> list[dict[str, Any]]:
        """Current payloads of this interaction's messages (deleted ones are skipped)."""
        return [self.fake.messages[i] for i in self.message_ids if i in self.fake.messages]

    async def wait_final_message(
        self, timeout: float = 5.0, *, where: Callable[[dict[str, Any]], bool] | None = None  # noqa: ASYNC109 - a test driver's deadline is its API
    ) -> dict[str, Any]:
        """Wait until a message answering this interaction exists, and return it.

        "Final" means not the "thinking..." placeholder of a deferral: the default predicate
        skips messages whose LOADING flag is set. With ``where`` a test can wait for something
        more specific (``where=lambda m: m["embeds"]``). If several messages match, the one
        changed last wins (the edit or follow-up that came after the first reply).
        """
        predicate = where or _not_loading

        def newest_match() -> dict[str, Any] | None:
            matches = [m for m in self.messages() if predicate(m) and (where is None or _not_loading(m))]
            if not matches:
                return None
            return max(matches, key=lambda m: self.fake._message_changed_at.get(int(m["id"]), 0.0))

        return await self.fake._wait_for(
            newest_match,
            timeout,
            lambda: (
                f"no final message for interaction {self.describe()} within {timeout}s "
                f"(callbacks: {[c.get('type') for c in self.callbacks]}, messages: {self.messages()})"
            ),
        )

    def describe(self) -> str:
        label = self.name or self.custom_id or "?"
        return f"{self.id} ({label!r}, type {self.type})"
