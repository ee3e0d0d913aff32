"""A server's titles that the catalog lacks, made into candidates that can be ranked for that server.

Why build a catalog-shaped row for each: the saved encoder embeds any row shaped like
`Catalog.items` (`recommender.coldstart`), so a title the catalog never saw lands in the same space
as the trained ones, from what the export says (title, year, type, genres, certification, summary)
plus what the bundled listings say about it where one describes the same work (joined with the
catalog's own rules, `recommender.enrichment`). The export wins where it is explicit; genres are
united; the more mature certification wins, as in the catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recommender import maturity
from recommender import titles as t
from recommender.content_type import MOVIE, SHOW
from recommender.library.formats import LibraryTitle
from recommender.tables import join_list, split_list

# How a title's language is guessed when the export does not say: the catalog's own fallback labels.
ENGLISH, NON_ENGLISH = "English", "Non-English"


@dataclass(frozen=True)
class ExtraTitle:
    """A title a server has that the catalog lacks, as it is stored and ranked."""

    title: str
    year: int | None
    content_type: str
    language: str
    genres: str
    certification: str
    maturity: str
    description: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"title": self.title, "year": self.year, "content_type": self.content_type, "language": self.language,
                "genres": self.genres, "certification": self.certification, "maturity": self.maturity,
                "description": self.description}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ExtraTitle:
        def text(name: str, default: str = "") -> str:
            return str(data.get(name) or default)

        year = data.get("year")
        return cls(title=text("title"), year=int(str(year)) if year not in (None, "") else None,
                   content_type=text("content_type", MOVIE), language=text("language", ENGLISH),
                   genres=text("genres"), certification=text("certification"),
                   maturity=text("maturity", maturity.UNKNOWN), description=text("description"))


def _language(entry: LibraryTitle) -> str:
    original = entry.original_title.strip()
    if original and original.casefold() != entry.title.casefold() and not original.isascii():
        return NON_ENGLISH
    return ENGLISH


def describe_extras(entries: Sequence[LibraryTitle], listings: Sequence[Path] = ()) -> list[ExtraTitle]:
    """Each entry as an ExtraTitle, with what `listings` (the bundled listing files) add."""
    if not entries:
        return []
    frame = pd.DataFrame({
        "title": [e.title for e in entries],
        "release_year": pd.array([e.year for e in entries], dtype="Int64"),
        "franchise_key": [t.franchise_key(e.title) for e in entries],
    })
    types = [e.content_type for e in entries]
    listed = _listed(frame, types, listings)
    extras = []
    for i, entry in enumerate(entries):
        found = listed.iloc[i] if listed is not None else None
        genres = join_list(split_list(entry.genres) + (split_list(found["genres"]) if found is not None else []))
        certifications = [c for c in (entry.certification, found["certification"] if found is not None else "") if c]
        band = maturity.most_mature(maturity.band(c) for c in certifications) if certifications else maturity.UNKNOWN
        certification = next((c for c in certifications if maturity.band(c) == band), "")
        kind = entry.content_type or _listed_type(found) or MOVIE
        year = entry.year if entry.year is not None else _listed_year(found)
        description = entry.description or (str(found["description"]) if found is not None else "")
        extras.append(ExtraTitle(entry.title, year, kind, _language(entry), genres, certification, band,
                                 description[:2000]))
    return extras


def _listed(frame: pd.DataFrame, types: list[str | None], listings: Sequence[Path]) -> pd.DataFrame | None:
    """The listings' merged columns per entry (genres, certification, description, year, is_show), or None."""
    if not listings:
        return None
    from recommender.enrichment import enrich

    items = frame.copy()
    is_show = pd.Series([kind == SHOW for kind in types], dtype=bool)
    listing_is_show, _ = enrich(items, is_show, list(listings))
    items["is_show"] = listing_is_show.to_numpy()
    return items.fillna({"genres": "", "certification": "", "description": ""})


def _listed_type(found: pd.Series | None) -> str | None:
    if found is None or pd.isna(found.get("is_show")):
        return None
    return SHOW if bool(found["is_show"]) else MOVIE


def _listed_year(found: pd.Series | None) -> int | None:
    if found is None or pd.isna(found.get("release_year")):
        return None
    return int(found["release_year"])


def extras_frame(extras: Sequence[ExtraTitle]) -> pd.DataFrame:
    """Rows shaped like `Catalog.items` for the encoder (`recommender.coldstart.embed_new_items`)."""
    return pd.DataFrame({
        "title": [e.title for e in extras],
        "language": [e.language for e in extras],
        "content_type": [e.content_type for e in extras],
        "release_year": pd.array([e.year for e in extras], dtype="Int64"),
        "genres": [e.genres for e in extras],
        "description": [e.description for e in extras],
        "certification": [e.certification for e in extras],
        "rating": [e.certification for e in extras],
        "maturity": [e.maturity for e in extras],
        "popularity": 0.0,
        "available_globally": False,
        "franchise_key": [t.franchise_key(e.title) for e in extras],
    })


Embedder = Callable[[pd.DataFrame], np.ndarray]


def saved_encoder(version_dir: str | Path) -> Embedder:
    """The embedder of a saved model version (imports TensorFlow on first use: call it in a worker)."""
    def embed(rows: pd.DataFrame) -> np.ndarray:
        from recommender.coldstart import embed_new_items

        return embed_new_items(version_dir, rows)

    return embed


def embed_extras(extras: Sequence[ExtraTitle], embedder: Embedder) -> np.ndarray:
    """(len(extras), dim) float32, L2-normalised: the same space as the version's `embeddings.npy`."""
    if not extras:
        return np.zeros((0, 0), dtype=np.float32)
    vectors = np.asarray(embedder(extras_frame(extras)), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)
