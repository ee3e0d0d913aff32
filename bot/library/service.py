"""The library commands' logic, free of Discord: the cog and the console both call this.

Why the work is split the way it is: reading, matching and embedding a 10,000-title export is
seconds of CPU (the encoder imports TensorFlow on first use), so each step runs in a worker thread
and the event loop only awaits; the store writes the whole library in one transaction at the end,
so a refused file or a failure at any step leaves the server's previous library untouched. A
server's compiled library (`LibraryScope`) is cached per model version: a retrain that swaps the
model re-matches the stored titles against the new catalog on the next request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot import render
from bot.settings import BotSettings
from bot.store import BotStore
from feedback import StoreError
from feedback.library import LibraryEntry, StoredLibrary
from recommender.library import (
    ExtraTitle,
    LibraryFormatError,
    LibraryMatch,
    LibraryScope,
    LibraryTitle,
    ParsedLibrary,
    ServerLibrary,
    match_library,
)
from recommender.library.extras import Embedder, describe_extras, embed_extras, saved_encoder
from recommender.library.formats import parse_library
from recommender.library.match import match_title
from recommender.serving import Recommender

log = logging.getLogger(__name__)

CONSOLE_GUILD_ID = 0  # the offline console's library: one local "server"
LIST_LINES = 10  # doubtful / not-in-catalog titles listed in a reply (the rest are counted)
MARKER = "📚"
NO_LIBRARY = ("This server has no library yet: an admin can import one with `/library import`. Until then, use "
              "`from:all`.")


class LibraryError(Exception):
    """A library problem the admin can fix; str(exc) is shown as is (already escaped)."""


@dataclass(frozen=True)
class ImportReport:
    """What an import did, for the reply."""

    parsed: ParsedLibrary
    match: LibraryMatch
    extras: list[ExtraTitle]
    embedded: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {"titles": len(self.parsed.titles), "matched": len(self.match.matched),
                "doubtful": len(self.match.doubtful), "not_in_catalog": len(self.match.missing)}

    def text(self) -> str:
        c = self.counts
        lines = [
            f"{MARKER} **Library imported**: {render.count(c['titles'], 'title')} "
            f"({render.escape(self.parsed.summary)}).",
            f"✅ {c['matched']:,} matched · ❔ {c['doubtful']:,} matched with doubt · ➕ {c['not_in_catalog']:,} "
            "not in the catalog (added as this server's own titles).",
        ]
        lines += doubt_lines([(m.entry.title, m.item.title if m.item else "?", m.doubt or "")
                              for m in self.match.doubtful])
        lines += missing_lines(self.extras)
        lines += [f"⚠️ {render.escape(note)}" for note in self.notes]
        lines.append("`/recommend title:… from:library` now answers from these titles only.")
        return fit_lines(lines)


def doubt_lines(doubts: list[tuple[str, str, str]]) -> list[str]:
    if not doubts:
        return []
    lines = ["**Matched with doubt** (check these):"]
    for title, matched, why in doubts[:LIST_LINES]:
        lines.append(f"• {render.escape(render.clip(title, 80))} → {render.escape(render.clip(matched, 80))}"
                     + (f" ({render.escape(render.clip(why, 80))})" if why else ""))
    if len(doubts) > LIST_LINES:
        lines.append(f"…and {len(doubts) - LIST_LINES:,} more")
    return lines


def missing_lines(extras: list[ExtraTitle]) -> list[str]:
    if not extras:
        return []
    lines = ["**Not in the catalog** (kept as this server's titles):"]
    for e in extras[:LIST_LINES]:
        about = ", ".join(str(x) for x in (e.year, e.content_type.lower(), e.genres) if x)
        lines.append(f"• {render.escape(render.clip(e.title, 80))}"
                     + (f" ({render.escape(render.clip(about, 80))})" if about else ""))
    if len(extras) > LIST_LINES:
        lines.append(f"…and {len(extras) - LIST_LINES:,} more")
    return lines


def fit_lines(lines: list[str], limit: int = 1900) -> str:
    """Join lines, dropping whole lines from the end so the text fits one Discord message."""
    out: list[str] = []
    for line in lines:
        if len("\n".join([*out, line])) > limit:
            out.append("…")
            break
        out.append(line)
    return "\n".join(out)


def _entries(match: LibraryMatch, extras: list[ExtraTitle], vectors: np.ndarray) -> list[LibraryEntry]:
    def details(entry: LibraryTitle) -> dict[str, object]:
        return {"year": entry.year, "content_type": entry.content_type, "original_title": entry.original_title}

    out = [LibraryEntry(title=m.entry.title, status="matched", item_id=m.item.item_id, details=details(m.entry))
           for m in match.matched if m.item is not None]
    out += [LibraryEntry(title=m.entry.title, status="doubtful", item_id=m.item.item_id, doubt=m.doubt,
                         details=details(m.entry)) for m in match.doubtful if m.item is not None]
    out += [LibraryEntry(title=e.title, status="extra", details=e.as_dict(),
                         embedding=vectors[i].astype(np.float32).tobytes() if len(vectors) else None)
            for i, e in enumerate(extras)]
    return out


class LibraryService:
    """Per-server libraries: import, show, remove, and the compiled library `/recommend` ranks in."""

    def __init__(self, settings: BotSettings, store: BotStore, recommender: Callable[[], Recommender],
                 embedder_for: Callable[[Path], Embedder] = saved_encoder) -> None:
        self.settings = settings
        self.store = store
        self._recommender = recommender
        self._embedder_for = embedder_for
        self._scopes: dict[int, tuple[str, LibraryScope | None]] = {}
        self._importing = asyncio.Lock()  # one import at a time: each holds a whole export in memory

    def _embedder(self, rec: Recommender) -> Embedder:
        return self._embedder_for(self.settings.resolved_model_dir / rec.version)

    def _embed(self, rec: Recommender, extras: list[ExtraTitle]) -> tuple[np.ndarray, str | None]:
        """Vectors for the extra titles, or zeros and why (they then rank by genres, era and type alone)."""
        if not extras:
            return np.zeros((0, rec.embeddings.shape[1]), dtype=np.float32), None
        try:
            return embed_extras(extras, self._embedder(rec)), None
        except Exception as exc:  # a version without model.keras, a damaged one: the import still stands
            log.warning("could not embed %d library titles with %s: %s", len(extras), rec.version, exc)
            reason = f"the model cannot embed new titles ({exc}); they are ranked by genres, era and type only"
            return np.zeros((len(extras), rec.embeddings.shape[1]), dtype=np.float32), reason

    async def import_file(self, guild_id: int, raw: bytes) -> ImportReport:
        """Read, match, describe and embed an export, then replace the server's library with it.

        Raises LibraryError (nothing changed) for a refused file or a store that cannot take it.
        """
        rec = self._recommender()
        async with self._importing:
            try:
                parsed = await asyncio.to_thread(parse_library, raw)
            except LibraryFormatError as exc:
                raise LibraryError(f"Nothing was imported: {render.escape(_clause(str(exc)))}") from None
            match = await asyncio.to_thread(match_library, rec, parsed.titles)
            extras = await asyncio.to_thread(describe_extras, match.missing, self.settings.enrichment_sources)
            vectors, problem = await asyncio.to_thread(self._embed, rec, extras)
            try:
                await self.store.replace_library(
                    guild_id=guild_id, source_format=parsed.format, model_version=rec.version,
                    rows_read=parsed.rows_read, entries=_entries(match, extras, vectors))
            except StoreError as exc:
                raise LibraryError(f"Nothing was imported: the database refused it ({render.escape(str(exc))}).") \
                    from None
        library = ServerLibrary(frozenset(match.item_ids), tuple(extras), vectors)
        self._scopes[guild_id] = (rec.version, await asyncio.to_thread(LibraryScope, rec, library))
        log.info("library of server %s imported: %s", guild_id, parsed.summary)
        return ImportReport(parsed, match, extras, problem is None, [problem] if problem else [])

    async def remove(self, guild_id: int) -> str:
        removed = await self.store.remove_library(guild_id=guild_id)
        self._scopes.pop(guild_id, None)
        if not removed:
            return "This server has no library to remove."
        return (f"{MARKER} Library removed ({render.count(removed, 'title')}). `/recommend` answers from the whole "
                "catalog again; nothing else changed.")

    async def show(self, guild_id: int) -> str:
        stored: StoredLibrary | None = await self.store.get_library(guild_id=guild_id)
        if stored is None:
            return ("This server has no library yet. An admin can import one with `/library import` "
                    "(a Jellyfin, Plex, Letterboxd or IMDb export, or a plain list of titles).")
        when = stored.imported_at.strftime("%Y-%m-%d %H:%M UTC")
        lines = [
            f"{MARKER} **This server's library**: {render.count(len(stored.entries), 'title')}, imported {when} from a "
            f"{render.escape(stored.source_format)}.",
            f"✅ {stored.count('matched'):,} matched · ❔ {stored.count('doubtful'):,} matched with doubt · "
            f"➕ {stored.count('extra'):,} not in the catalog.",
        ]
        lines += doubt_lines([(e.title, _catalog_title(self._recommender, e.item_id), e.doubt or "")
                              for e in stored.entries if e.status == "doubtful"])
        lines += missing_lines([ExtraTitle.from_dict(e.details) for e in stored.entries if e.status == "extra"])
        return fit_lines(lines)

    async def scope(self, guild_id: int | None) -> LibraryScope | None:
        """The server's compiled library for the serving model (None: it has none)."""
        if guild_id is None:
            return None
        rec = self._recommender()
        cached = self._scopes.get(guild_id)
        if cached is not None and cached[0] == rec.version:
            return cached[1]
        stored: StoredLibrary | None = await self.store.get_library(guild_id=guild_id)
        scope = None if stored is None else await asyncio.to_thread(self._compile, rec, stored)
        self._scopes[guild_id] = (rec.version, scope)
        return scope

    def _compile(self, rec: Recommender, stored: StoredLibrary) -> LibraryScope:
        """A stored library against the serving model: as stored when it was matched against this model,
        else matched again (a retrained catalog numbers its titles anew) and its extra titles re-embedded."""
        extras = [ExtraTitle.from_dict(e.details) for e in stored.entries if e.status == "extra"]
        catalog = [e for e in stored.entries if e.status != "extra"]
        same = stored.model_version == rec.version
        if same:
            ids = frozenset(int(e.item_id) for e in catalog if e.item_id is not None)
            dim = rec.embeddings.shape[1]
            vectors = np.stack([np.frombuffer(e.embedding, dtype=np.float32) if e.embedding
                                and len(e.embedding) == 4 * dim else np.zeros(dim, dtype=np.float32)
                                for e in stored.entries if e.status == "extra"]) if extras else np.zeros((0, dim))
        else:
            matches = [match_title(rec, _as_title(e)) for e in catalog]
            ids = frozenset(m.item.item_id for m in matches if m.item is not None)
            vectors, _ = self._embed(rec, extras)
        return LibraryScope(rec, ServerLibrary(ids, tuple(extras), np.asarray(vectors, dtype=np.float32)))

    async def available(self, guild_id: int | None) -> bool:
        """Whether the server has a library (asked before a reply is deferred: a quick read)."""
        cached = self._scopes.get(guild_id) if guild_id is not None else None
        if cached is not None and cached[1] is not None:
            return True
        return guild_id is not None and await self.store.get_library(guild_id=guild_id) is not None

    async def owned(self, guild_id: int | None, item_ids: list[int]) -> frozenset[int]:
        """Which of these ids the server has (empty without a library)."""
        scope = await self.scope(guild_id)
        return frozenset(i for i in item_ids if scope is not None and scope.has(i))


def _as_title(entry: LibraryEntry) -> LibraryTitle:
    d = entry.details
    year = d.get("year")
    kind = d.get("content_type")
    return LibraryTitle(entry.title, int(str(year)) if year not in (None, "") else None,
                        str(kind) if kind else None, str(d.get("original_title") or ""))


def _catalog_title(recommender: Callable[[], Recommender], item_id: int | None) -> str:
    try:
        return recommender().item(int(item_id)).title if item_id is not None else "?"
    except Exception:  # a catalog that changed since the import
        return "?"


def _clause(sentence: str) -> str:
    """`The file is empty.` as it reads after a colon: `the file is empty.` (`JSON ...` keeps its capitals)."""
    return sentence[:1].lower() + sentence[1:] if sentence[1:2].islower() else sentence
