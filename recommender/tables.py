"""Read a user's CSV (catalog or enrichment) into a frame of strings, or refuse it in plain words.

Catalog and enrichment files come from spreadsheets and other people's exports: UTF-16, a BOM,
`;`, tab or `|` as the separator, a row with a surplus field. One reader serves both so that every
refusal reads the same way: the file, what is wrong, and the offending lines as they are in the
file (never a parser's internal jargon).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd

# Separators a spreadsheet export may use, in the order preferred on a tie.
SEPARATORS: dict[str, str] = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
# Free-text columns an item may carry from enrichment; '' means unknown.
TEXT_COLUMNS = ("genres", "description", "cast", "director", "country", "certification", "rating")
SAMPLE_ROWS = 5
_SNIFF_LINES = 50


class CatalogError(ValueError):
    """A catalog file that cannot be loaded as a whole; the message says which file, column and rows."""


def header_key(name: str) -> str:
    """`Available Globally?` -> `available_globally`: header spellings compared in one form."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def split_list(text: object) -> list[str]:
    """A comma-separated cell (`'Drama, Crime'`) as its lowercase parts, in order, without blanks."""
    return [part.strip().casefold() for part in str(text).split(",") if part.strip()]


def genre_set(text: object) -> frozenset[str]:
    """The genres of one item: its comma-separated `genres` cell ('' = none)."""
    return frozenset(split_list(text))


def join_list(parts: list[str]) -> str:
    """The inverse of `split_list`, dropping repeats while keeping first-seen order."""
    return ", ".join(dict.fromkeys(p for p in parts if p))


def read_text(path: Path, what: str) -> str:
    """The file's text, decoded by its byte-order mark (UTF-16), as UTF-16 without one when its NUL
    bytes say so (`utf16_without_bom`), or as UTF-8."""
    if not path.exists():
        raise CatalogError(f"{what} {path}: file not found")
    if path.is_dir():
        raise CatalogError(f"{what} {path}: is a directory, expected a CSV file")
    raw = path.read_bytes()
    if not raw.strip():
        raise CatalogError(f"{what} {path}: file is empty")
    # A byte-order mark decides: trying UTF-8 first would refuse every UTF-16 export at its BOM.
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding, shown = "utf-16", "UTF-16"
    elif b"\x00" not in raw[:4096]:
        encoding, shown = "utf-8-sig", "UTF-8"
    elif guessed := utf16_without_bom(raw[:4096]):
        encoding, shown = guessed, guessed.upper().replace("-LE", " LE").replace("-BE", " BE")
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            where = "it ends mid-character" if exc.start >= len(raw) - 1 else f"at byte {exc.start}"
            raise CatalogError(f"{what} {path}: looks like {shown} text without a byte-order mark, but is not "
                               f"valid {shown} ({where}); re-save the file as UTF-8") from None
        if "\x00" in text:
            raise CatalogError(f"{what} {path}: looks like a binary file, not a CSV text file")
        return text
    else:
        raise CatalogError(f"{what} {path}: looks like a binary file, not a CSV text file")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CatalogError(
            f"{what} {path}: not valid {shown} text: byte {raw[exc.start]:#04x} "
            f"at line {line}; re-save the file as UTF-8"
        ) from None


def utf16_without_bom(head: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" when the file's first bytes read as UTF-16 without a byte-order mark.

    Why by NUL bytes: a CSV is mostly ASCII (its header, numbers, dates), and an ASCII character in
    UTF-16 is one NUL byte and one non-NUL byte, the NUL second (LE) or first (BE). So NULs crowd one
    byte of each pair and seldom the other (only characters such as U+AC00 put it there); a binary
    file's NULs fall on both.
    """
    pairs = len(head) // 2
    if pairs < 8:
        return None
    first = head[0:pairs * 2:2].count(0) / pairs
    second = head[1:pairs * 2:2].count(0) / pairs
    if second >= 0.3 and first <= 0.05:
        return "utf-16-le"
    if first >= 0.3 and second <= 0.05:
        return "utf-16-be"
    return None


def detect_separator(text: str) -> str:
    """The separator whose header splits into the most fields that the next lines agree with.

    A `;` file read as comma-separated has one column (or splits wherever a title has a comma), so
    each candidate is scored by how many of the first lines have exactly the header's field count.
    """
    head = "\n".join(text.splitlines()[:_SNIFF_LINES])
    best, best_score = ",", (-1.0, 0)
    for sep in SEPARATORS:
        try:
            rows = [r for r in csv.reader(io.StringIO(head), delimiter=sep) if r]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        body = rows[1:-1] or rows[1:]  # the last sniffed line may be cut mid-record
        agreement = sum(len(r) == width for r in body) / len(body) if body else 1.0
        score = (agreement, width)
        if score > best_score:
            best, best_score = sep, score
    return best


def _unique(names: list[str]) -> list[str]:
    """Header keys made unique (`title`, `title_2`) so no column silently shadows another."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


def _sample(lines: list[tuple[int, str]]) -> str:
    return "; ".join(f"line {n}: {text[:120]!r}" for n, text in lines[:SAMPLE_ROWS])


def read_table(path: Path, what: str) -> pd.DataFrame:
    """All cells as stripped strings ('' when empty), headers normalised with `header_key`.

    Rows shorter than the header are padded (spreadsheets drop trailing empty cells); rows longer
    than the header refuse the file, since no one can tell which cell is the surplus.
    """
    text = read_text(path, what)
    if text.lstrip()[:1] in ("{", "["):
        # A one-line JSON document would otherwise read as a CSV header with no rows.
        try:
            json.loads(text)
        except ValueError:
            pass
        else:
            raise CatalogError(f"{what} {path}: is a JSON document, not a CSV file; export the table as CSV")
    sep = detect_separator(text)
    physical = text.splitlines()
    # strict: a quote left open runs to the end of the file and is reported, not read as one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, skipinitialspace=True, strict=True)
    records: list[list[str]] = []
    long_rows: list[tuple[int, str]] = []
    header: list[str] | None = None
    start = 1
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = row
            else:
                if len(row) > len(header):
                    long_rows.append((line, physical[line - 1]))
                records.append(row)
    except csv.Error as exc:
        reason = "a quote opened here is never closed" if "end of data" in str(exc) else str(exc)
        raise CatalogError(
            f"{what} {path}: not a readable CSV file: {reason} ({_sample([(start, physical[start - 1])])})"
        ) from None
    if header is None:
        raise CatalogError(f"{what} {path}: file is empty")
    named = SEPARATORS[sep]
    if long_rows:
        raise CatalogError(
            f"{what} {path}: {len(long_rows)} row(s) have more than the header's {len(header)} "
            f"{named}-separated fields (quote cells that contain a '{sep}'): {_sample(long_rows)}"
        )
    width = len(header)
    cells = [[c.strip() for c in row] + [""] * (width - len(row)) for row in records]
    frame = pd.DataFrame(cells, columns=_unique([header_key(c) for c in header]), dtype=object)
    frame.attrs["separator"] = named
    frame.attrs["sample"] = _sample([(i + 2, line) for i, line in enumerate(physical[1:1 + SAMPLE_ROWS])])
    return frame


def require_rows_and_columns(frame: pd.DataFrame, required: tuple[str, ...], source: str) -> None:
    """Refuse a listing file without its columns or without rows, naming `source` (e.g. "Wikipedia list
    PATH"): a wrong file gets one clear message before any row is read."""
    missing = [c for c in required if c not in frame]
    if missing:
        raise CatalogError(f"{source}: missing column(s) {', '.join(missing)} (expected {', '.join(required)})")
    if frame.empty:
        raise CatalogError(f"{source}: no titles")
