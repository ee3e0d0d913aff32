"""Read a server's library export (Jellyfin, Plex, Letterboxd, IMDb or a plain list) into titles.

Why one reader for every format: an admin uploads whatever their media server or list site gives
them, usually without knowing its name, so the format is recognised from the file itself (the
JSON's shape or the CSV's header), never from a flag. Everything a refusal needs is decided here,
before anything is matched or stored: a wrong format, a file or row count over the limits (checked
while reading, so a 100,000-title file is refused in milliseconds, not after matching), an encoding
that is not text. The result is plain data (no pandas), de-duplicated, with counts of what was
skipped and why.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from recommender.content_type import MOVIE, SHOW
from recommender.matching import match_form
from recommender.tables import detect_separator, header_key, utf16_without_bom

MAX_BYTES = 8 * 1024 * 1024  # a 10,000-title Jellyfin JSON with every field is about 6 MB
MAX_TITLES = 10_000  # distinct titles one server may import
MAX_ROWS = 2 * MAX_TITLES  # rows read before giving up (an episode-level export repeats its shows)
MAX_TITLE_LENGTH = 300
_YEAR = re.compile(r"^\s*(\d{4})")
_TRAILING_YEAR = re.compile(r"^(?P<title>.*\S)\s*\((?P<year>\d{4})\)\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# Export type words -> the catalog's type; None = not a show or movie (music, books, photos...).
_TYPES: dict[str, str | None] = {
    "movie": MOVIE, "film": MOVIE, "tvmovie": MOVIE, "video": MOVIE, "short": MOVIE, "tvshort": MOVIE,
    "tvspecial": MOVIE, "documentary": MOVIE,
    "series": SHOW, "show": SHOW, "tvseries": SHOW, "tvminiseries": SHOW, "miniseries": SHOW, "tv": SHOW,
    "season": SHOW, "episode": SHOW, "tvepisode": SHOW, "tvshow": SHOW,
}
# Episode/season rows name their show in one of these (Jellyfin, Plex) and become a row for the show.
_SHOW_OF_EPISODE = ("seriesname", "grandparenttitle", "grandparent_title", "series_name", "showtitle", "show")


class LibraryFormatError(ValueError):
    """A file that cannot be imported as a whole; the message says why in plain words, once."""


@dataclass(frozen=True)
class LibraryTitle:
    """One title a server has, with whatever the export said about it ('' / None = not said)."""

    title: str
    year: int | None = None
    content_type: str | None = None  # MOVIE, SHOW or None
    original_title: str = ""
    genres: str = ""  # comma-separated, lower case
    certification: str = ""  # as exported (PG-13, TV-MA, ...)
    description: str = ""

    @property
    def key(self) -> tuple[str, int | None, str | None]:
        """Rows with the same key are one title: `Dark (2017)` twice, or an export listing every episode."""
        return match_form(self.title), self.year, self.content_type


@dataclass(frozen=True)
class ParsedLibrary:
    """What a file held: its format, its distinct titles, and what was left out."""

    format: str  # human name: "Jellyfin JSON", "Letterboxd CSV", ...
    titles: list[LibraryTitle]
    rows_read: int
    duplicates: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows

    @property
    def summary(self) -> str:
        rows, titles = self.rows_read, len(self.titles)
        parts = [f"{rows:,} row{'s' * (rows != 1)} read as {self.format}",
                 f"{titles:,} distinct title{'s' * (titles != 1)}"]
        if self.duplicates:
            parts.append(f"{self.duplicates:,} duplicate rows merged")
        parts += [f"{n:,} skipped ({why})" for why, n in sorted(self.skipped.items())]
        return ", ".join(parts)


def decode(raw: bytes) -> str:
    """The text of an uploaded file: by its byte-order mark, UTF-16 by its NUL bytes, UTF-8, else
    Windows-1252 (what Excel on Windows saves as "CSV"), which decodes every byte but five."""
    if not raw.strip():
        raise LibraryFormatError("The file is empty.")
    if raw.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise LibraryFormatError("That is a spreadsheet or an archive, not a text export: save it as CSV first.")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif b"\x00" in raw[:4096]:
        guessed = utf16_without_bom(raw[:4096])
        if guessed is None:
            raise LibraryFormatError("That looks like a binary file, not a CSV, JSON or text export.")
        encoding = guessed
    else:
        encoding = "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        if encoding != "utf-8-sig":
            raise LibraryFormatError("The file looks like UTF-16 but is not valid UTF-16: save it as UTF-8.") \
                from None
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            raise LibraryFormatError("The file is neither UTF-8, UTF-16 nor Windows-1252 text: save it as UTF-8.") \
                from None
    if "\x00" in text:
        raise LibraryFormatError("That looks like a binary file, not a CSV, JSON or text export.")
    return text


def parse_library(raw: bytes, *, max_titles: int = MAX_TITLES, max_bytes: int = MAX_BYTES) -> ParsedLibrary:
    """Decode, recognise and read an export; raises LibraryFormatError (nothing else) on a bad file."""
    if len(raw) > max_bytes:
        raise LibraryFormatError(f"The file is {len(raw) / 1e6:.1f} MB; a library export may be at most "
                                 f"{max_bytes / 1e6:.0f} MB ({max_titles:,} titles).")
    text = decode(raw)
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        name, rows = _json_rows(stripped)
    else:
        name, rows = _csv_rows(text)
    return _collect(name, rows, max_titles)


# -- JSON: Jellyfin's /Items, Plex's MediaContainer, or a plain list of objects ---------------------

def _json_rows(text: str) -> tuple[str, Iterator[Mapping[str, object]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LibraryFormatError(f"The file starts like JSON but is not valid JSON (line {exc.lineno}: "
                                 f"{exc.msg}).") from None
    name = "JSON list"
    if isinstance(data, dict):
        if isinstance(data.get("Items"), list):
            name, data = "Jellyfin JSON", data["Items"]
        elif isinstance(data.get("MediaContainer"), dict):
            name, data = "Plex JSON", data["MediaContainer"].get("Metadata") or []
        else:
            lists = [v for v in data.values() if isinstance(v, list)]
            if len(lists) != 1:
                raise LibraryFormatError("The JSON holds no list of titles (expected Jellyfin's `Items`, Plex's "
                                         "`MediaContainer.Metadata` or a list of objects with a title).")
            data = lists[0]
    if not isinstance(data, list):
        raise LibraryFormatError("The JSON holds no list of titles.")
    objects = [row for row in data if isinstance(row, dict)]
    if data and not objects:
        raise LibraryFormatError("The JSON list holds no objects with a title (`Name` or `title`).")
    if objects and "Name" in objects[0] and name == "JSON list":
        name = "Jellyfin JSON"
    return name, (_json_row(row) for row in objects)


def _json_row(row: Mapping[str, object]) -> dict[str, object]:
    """One object with lower-case keys; Plex's `Genre: [{tag: ...}]` and Jellyfin's `Genres: [...]` flattened."""
    out: dict[str, object] = {}
    for key, value in row.items():
        k = header_key(key)
        if isinstance(value, list):
            value = ", ".join(str(v.get("tag", "")) if isinstance(v, dict) else str(v) for v in value)
        out[k] = value
    if "genre" in out and "genres" not in out:
        out["genres"] = out["genre"]
    return out


# -- CSV (or plain lines) --------------------------------------------------------------------------

_CSV_FORMATS: tuple[tuple[str, frozenset[str]], ...] = (
    ("IMDb list CSV", frozenset({"const", "title", "title_type"})),
    ("Letterboxd CSV", frozenset({"name", "year", "letterboxd_uri"})),
    ("Letterboxd CSV", frozenset({"name", "year", "url"})),
    ("Jellyfin CSV", frozenset({"name", "productionyear"})),
    ("Jellyfin CSV", frozenset({"name", "production_year"})),
    ("Plex CSV", frozenset({"title", "year", "type"})),
    ("Plex CSV", frozenset({"title", "originally_available_at"})),
)
_TITLE_COLUMNS = ("title", "name", "series_title", "movie", "film")


def _csv_rows(text: str) -> tuple[str, Iterator[Mapping[str, object]]]:
    lines = text.splitlines()
    start = _letterboxd_list_start(lines)
    if start:  # a Letterboxd list export: a list header block, then the titles' table
        text = "\n".join(lines[start:])
    first = next((line for line in text.splitlines() if line.strip()), "")
    separator = detect_separator(text)
    header = [header_key(cell) for cell in next(csv.reader([first], delimiter=separator), [])]
    if not any(column in header for column in _TITLE_COLUMNS):
        if first.lstrip().startswith("<"):
            raise LibraryFormatError("That is an HTML or XML page, not an export: download the CSV or JSON file.")
        if _tabular(text, separator):
            shown = ", ".join(header[:6])
            raise LibraryFormatError(f"The file's columns ({shown}) have none for the title: expected a Jellyfin, "
                                     "Plex, Letterboxd or IMDb export, or one `title[,year]` per line.")
        return "plain list", _plain_rows(text)
    name = next((n for n, needed in _CSV_FORMATS if needed <= set(header)), "CSV")
    if start:
        name = "Letterboxd list CSV"
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    next(reader)  # the header
    return name, (dict(zip(header, row, strict=False)) for row in reader if any(cell.strip() for cell in row))


def _tabular(text: str, separator: str) -> bool:
    """Whether the text is a table (every line has the first line's 2+ fields) rather than a list of
    titles, some with a year: `Crazy, Stupid, Love` on one line and `Dark,2017` on the next is a list."""
    rows = [r for r in csv.reader(io.StringIO("\n".join(text.splitlines()[:20])), delimiter=separator) if r]
    width = len(rows[0]) if rows else 0
    if width < 2 or any(len(r) != width for r in rows):
        return False
    return not (width == 2 and all(re.fullmatch(r"\d{4}|", r[1].strip()) for r in rows))


def _letterboxd_list_start(lines: list[str]) -> int:
    """The line where a Letterboxd *list* export's titles begin (after `Letterboxd list export v7`
    and the list's own Date,Name,Tags,URL,Description block), or 0."""
    if not lines or not lines[0].lower().startswith("letterboxd list export"):
        return 0
    for i, line in enumerate(lines[1:], start=1):
        keys = {header_key(c) for c in next(csv.reader([line]), [])}
        if {"position", "name", "year"} <= keys or ({"name", "year"} <= keys and i > 2):
            return i
    raise LibraryFormatError("That Letterboxd list export has no table of films (Position,Name,Year,...).")


def _plain_rows(text: str) -> Iterator[dict[str, object]]:
    """`Title`, `Title,Year`, `Title (Year)` or `Title<tab>Year`, one per line; `#` starts a comment."""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        title, year = line, ""
        for sep in ("\t", ";", ","):
            head, _, tail = line.rpartition(sep)
            if head and re.fullmatch(r"\d{4}", tail.strip()):
                title, year = head.strip().strip('"'), tail.strip()
                break
        else:
            if m := _TRAILING_YEAR.match(line):
                title, year = m["title"], m["year"]
        yield {"title": title.strip().strip('"'), "year": year}


# -- rows -> titles --------------------------------------------------------------------------------

def _first(row: Mapping[str, object], *names: str) -> str:
    for name in names:
        value = row.get(name)
        if value not in (None, ""):
            return _CONTROL.sub(" ", str(value)).strip()
    return ""


def _year(row: Mapping[str, object]) -> int | None:
    text = _first(row, "productionyear", "production_year", "year", "release_year", "premieredate",
                  "originally_available_at", "release_date")
    m = _YEAR.match(text)
    year = int(m.group(1)) if m else None
    return year if year is not None and 1870 <= year <= 2100 else None


def _title(row: Mapping[str, object]) -> tuple[str | None, str | None]:
    """(title, type) of a row; type None = unknown; title None = not a show or movie (skipped)."""
    kind_word = re.sub(r"[^a-z]", "", _first(row, "type", "title_type", "media_type", "itemtype", "kind").lower())
    kind = _TYPES.get(kind_word, "?") if kind_word else None
    if kind == "?":
        return None, None
    if kind_word in ("episode", "tvepisode", "season"):
        show = _first(row, *_SHOW_OF_EPISODE)
        return show, SHOW  # "" (no title) when the row does not name its show
    return _first(row, *_TITLE_COLUMNS), kind


def _genres(text: str) -> str:
    """`Drama|Crime`, `Drama / Crime` or `Drama, Crime` as `drama, crime`."""
    return ", ".join(g.strip().lower() for g in re.split(r"[,|/;]", text) if g.strip())


def _collect(name: str, rows: Iterable[Mapping[str, object]], max_titles: int) -> ParsedLibrary:
    titles: dict[tuple[str, int | None, str | None], LibraryTitle] = {}
    skipped: dict[str, int] = {}
    read = duplicates = 0
    for row in rows:
        read += 1
        if read > 2 * max_titles:
            raise LibraryFormatError(f"The file has more than {2 * max_titles:,} rows; a server's library may hold "
                                     f"at most {max_titles:,} titles. Export one library (films or shows) at a "
                                     "time, or split the file.")
        title, kind = _title(row)
        if title is None:
            skipped["not a show or movie"] = skipped.get("not a show or movie", 0) + 1
            continue
        if not title or not match_form(title):
            skipped["no title"] = skipped.get("no title", 0) + 1
            continue
        entry = LibraryTitle(
            title=title[:MAX_TITLE_LENGTH], year=_year(row), content_type=kind,
            original_title=_first(row, "originaltitle", "original_title")[:MAX_TITLE_LENGTH],
            genres=_genres(_first(row, "genres", "genre")),
            certification=_first(row, "officialrating", "official_rating", "contentrating", "content_rating",
                                 "certification", "rating_mpaa", "mpaa")[:16],
            description=_first(row, "overview", "summary", "description")[:2000],
        )
        if entry.key in titles:
            duplicates += 1
            continue
        titles[entry.key] = entry
        if len(titles) > max_titles:
            raise LibraryFormatError(f"The file lists more than {max_titles:,} distinct titles; a server's library "
                                     f"may hold at most {max_titles:,}. Export one library (films or shows) at a "
                                     "time, or split the file.")
    if read == 0:
        raise LibraryFormatError(f"The file was read as {name} but holds no rows.")
    if not titles:
        reasons = ", ".join(f"{n:,} {why}" for why, n in skipped.items()) or "none had a title"
        raise LibraryFormatError(f"The file was read as {name} but no row names a show or movie ({reasons}).")
    return ParsedLibrary(name, list(titles.values()), read, duplicates, skipped)
