"""/privacy and /forget-me without Discord: what is stored about the caller, all of it as JSON, and
deleting it.

The store exports and deletes the member's rows in every table the features registered (see
`bot.privacy.registry`) in one transaction; the features' hooks then remove what they keep
outside the database. The caller's votes still queued in the outbox land first, and the outbox
journal forgets them, so nothing of theirs comes back after the delete.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from bot import render
from bot.errors import UserError
from bot.privacy.exports import remove_exports
from bot.privacy.registry import MemberData, PrivacyRegistry
from bot.settings import BotSettings
from bot.store import BotStore
from bot.votes.service import VotesService
from feedback import StoreError

FORGET_WAIT = 10.0  # /forget-me first lets the caller's queued votes land, so none comes back after it
CONFIRM = "This deletes your requests and votes for good."


class PrivacyService:
    """/privacy, `/privacy export` and /forget-me over every feature's registered member data."""

    def __init__(self, settings: BotSettings, store: BotStore, votes: VotesService, registry: PrivacyRegistry) -> None:
        self.settings = settings
        self.store = store
        self.votes = votes
        self.registry = registry
        registry.register(MemberData("privacy", erase=self._remove_exports))

    def privacy_text(self) -> str:
        return render.PRIVACY_TEXT.format(days=self.settings.retention_days)

    async def privacy_report(self, user_id: int) -> str:
        """What is stored about the caller right now (counts and the latest items), then the policy."""
        summary = await self.store.summarise_user(user_id)
        return render.privacy_summary(summary) + "\n\n" + self.privacy_text()

    async def privacy_export(self, user_id: int) -> bytes:
        """Everything stored about the caller as a JSON document (what `/privacy export` sends)."""
        exported = await self.store.export_user(user_id)
        return json.dumps(exported, indent=2, ensure_ascii=False).encode("utf-8")

    async def forget(self, user_id: int) -> str:
        """Delete the caller's requests and votes; other members' votes on them stay, anonymised."""
        outbox = await self.votes.open_outbox()
        with contextlib.suppress(TimeoutError):  # the caller's queued votes must not land after it
            await asyncio.wait_for(outbox.drained(), FORGET_WAIT)
        if outbox.pending:
            raise UserError("Some votes are still waiting for the database, so nothing was deleted yet; "
                            "please try /forget-me again in a minute.")
        try:
            await outbox.forget(user_id)  # durable: a vote of theirs in a dead process's journal stays out
            n = await self.store.delete_user(user_id)
        except StoreError as exc:
            raise UserError(f"Nothing was deleted: {exc}") from None
        text = (f"Done: deleted {n} record(s) about you (your requests and votes). Other members' votes on "
                "your recommendations were kept without any link to you. Future requests will be stored "
                "again as described in /privacy.")
        return " ".join([text, *await self.registry.erase_elsewhere(user_id)])

    async def _remove_exports(self, user_id: int) -> str | None:
        """The console's export files hold the very data /forget-me deletes."""
        removed = await asyncio.to_thread(remove_exports, self.settings.data_dir, user_id)
        if not removed:
            return None
        return f"Also removed {removed} earlier export file(s) of your data (from /privacy export)."
