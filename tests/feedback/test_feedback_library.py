"""Server libraries in the store: replaced whole, removed, untouched by a refused write or by privacy."""

from __future__ import annotations

import pytest

from feedback import FeedbackStore, StoreError
from feedback.library import LibraryEntry
from tests.feedback.conftest import PostedRequest

GUILD, OTHER = 10, 11


def entries(n: int, prefix: str = "Title") -> list[LibraryEntry]:
    out = [LibraryEntry(title=f"{prefix} {i}", status="matched", item_id=i, details={"year": 2000 + i})
           for i in range(n)]
    out.append(LibraryEntry(title=f"{prefix} extra", status="extra", details={"genres": "drama"},
                            embedding=b"\x00\x00\x80?" * 4))
    return out


async def test_replace_show_and_remove(store: FeedbackStore) -> None:
    assert await store.get_library(guild_id=GUILD) is None
    assert await store.replace_library(guild_id=GUILD, source_format="Jellyfin CSV", model_version="v1",
                                       rows_read=4, entries=entries(3)) == 4
    stored = await store.get_library(guild_id=GUILD)
    assert stored is not None and stored.source_format == "Jellyfin CSV" and stored.model_version == "v1"
    assert [e.title for e in stored.entries] == ["Title 0", "Title 1", "Title 2", "Title extra"]
    assert stored.count("matched") == 3 and stored.entries[-1].embedding == b"\x00\x00\x80?" * 4
    assert stored.entries[0].details == {"year": 2000}

    await store.replace_library(guild_id=GUILD, source_format="plain list", model_version="v2", rows_read=2,
                                entries=entries(1, "New"))
    stored = await store.get_library(guild_id=GUILD)
    assert stored is not None and [e.title for e in stored.entries] == ["New 0", "New extra"]
    assert await store.remove_library(guild_id=GUILD) == 2
    assert await store.get_library(guild_id=GUILD) is None
    assert await store.remove_library(guild_id=GUILD) == 0


async def test_a_refused_import_changes_nothing(store: FeedbackStore) -> None:
    await store.replace_library(guild_id=GUILD, source_format="Plex CSV", model_version="v1", rows_read=4,
                                entries=entries(3))
    before = await store.get_library(guild_id=GUILD)
    # The last row breaks a database constraint after the old library was deleted in the same transaction.
    refused_by_database = [*entries(2, "Bad"), LibraryEntry.model_construct(
        title="Bogus", status="bogus", item_id=1, doubt=None, details={}, embedding=None)]
    for bad in ([], refused_by_database):
        with pytest.raises(StoreError):
            await store.replace_library(guild_id=GUILD, source_format="Plex CSV", model_version="v1",
                                        rows_read=1, entries=bad)
    assert await store.get_library(guild_id=GUILD) == before


async def test_servers_are_separate_and_privacy_leaves_libraries_alone(store: FeedbackStore,
                                                                        post: PostedRequest) -> None:
    await store.replace_library(guild_id=GUILD, source_format="IMDb list CSV", model_version="v1", rows_read=4,
                                entries=entries(3))
    assert await store.get_library(guild_id=OTHER) is None
    await post(555, user_id=42)
    exported = await store.export_user(42)
    assert "library" not in str(exported).lower()  # server data: not part of a member's export
    assert await store.delete_user(42) > 0
    after = await store.get_library(guild_id=GUILD)
    assert after is not None and len(after.entries) == 4  # /forget-me does not touch it
