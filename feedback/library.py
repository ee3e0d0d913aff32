"""Server libraries: the titles a server has (/library import, show, remove).

Why whole-library writes: an import replaces the server's library in one transaction (delete, then
insert every title), so a refused or failed import leaves the previous library exactly as it was,
and a reader never sees half of one. A library belongs to the server, not to a member: no user id is
stored, and the privacy operations (`feedback.privacy`) neither report nor delete it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.models import ServerLibrary, ServerLibraryTitle, utcnow
from feedback.validation import MAX_TITLE_LENGTH, Explained, Snowflake, Version

MAX_LIBRARY_TITLES = 10_000


class LibraryEntry(BaseModel):
    """One title of a library as stored (status: matched / doubtful / extra)."""

    model_config = ConfigDict(frozen=True)

    title: str = Field(min_length=1, max_length=MAX_TITLE_LENGTH)
    status: Literal["matched", "doubtful", "extra"]
    item_id: int | None = None
    doubt: str | None = Field(default=None, max_length=MAX_TITLE_LENGTH)
    details: dict[str, Any] = Field(default_factory=dict)
    embedding: bytes | None = None


Entries = Annotated[
    list[LibraryEntry], Field(min_length=1, max_length=MAX_LIBRARY_TITLES),
    Explained("a library holds 1 to 10,000 titles; nothing was stored"),
]
Format = Annotated[str, Field(min_length=1, max_length=64), Explained("{name} must be 1 to 64 characters")]


@dataclass(frozen=True)
class StoredLibrary:
    guild_id: int
    imported_at: datetime
    source_format: str
    model_version: str | None
    rows_read: int
    entries: list[LibraryEntry]

    def count(self, status: str) -> int:
        return sum(e.status == status for e in self.entries)


async def replace_library(session: AsyncSession, *, guild_id: Snowflake, source_format: Format,
                          model_version: Version | None, rows_read: int, entries: Entries) -> int:
    """Make `entries` the server's library (the old one, if any, goes in the same transaction)."""
    await session.execute(delete(ServerLibraryTitle).where(ServerLibraryTitle.guild_id == guild_id))
    await session.execute(delete(ServerLibrary).where(ServerLibrary.guild_id == guild_id))
    await session.execute(insert(ServerLibrary).values(guild_id=guild_id, imported_at=utcnow(),
                                                       source_format=source_format, model_version=model_version,
                                                       rows_read=rows_read))
    await session.execute(insert(ServerLibraryTitle), [
        {"guild_id": guild_id, "position": i, "title": e.title, "status": e.status, "item_id": e.item_id,
         "doubt": e.doubt, "details": e.details, "embedding": e.embedding}
        for i, e in enumerate(entries)
    ])
    return len(entries)


async def remove_library(session: AsyncSession, *, guild_id: Snowflake) -> int:
    """Delete the server's library; returns how many titles it held (0: there was none)."""
    count = await session.scalar(select(func.count()).select_from(ServerLibraryTitle)
                                 .where(ServerLibraryTitle.guild_id == guild_id))
    await session.execute(delete(ServerLibraryTitle).where(ServerLibraryTitle.guild_id == guild_id))
    await session.execute(delete(ServerLibrary).where(ServerLibrary.guild_id == guild_id))
    return int(count or 0)


async def get_library(session: AsyncSession, *, guild_id: Snowflake) -> StoredLibrary | None:
    """The server's library with every title in file order, or None."""
    head = await session.get(ServerLibrary, guild_id)
    if head is None:
        return None
    rows = (await session.scalars(select(ServerLibraryTitle).where(ServerLibraryTitle.guild_id == guild_id)
                                  .order_by(ServerLibraryTitle.position))).all()
    entries = [LibraryEntry(title=r.title, status=r.status, item_id=r.item_id, doubt=r.doubt,  # type: ignore[arg-type]
                            details=dict(r.details or {}), embedding=r.embedding) for r in rows]
    return StoredLibrary(head.guild_id, head.imported_at, head.source_format, head.model_version, head.rows_read,
                         entries)
