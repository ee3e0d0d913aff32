"""A Jellyfin-shaped library export built from the model's own catalog, for the library tests.

Why generated and not a checked-in file: the titles must be the ones the session model was trained
on (280 of them, shows once under their series name as Jellyfin lists them, with their first year),
plus 20 titles that catalog lacks, with the year, type and genres a Jellyfin export carries.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from recommender import titles as t
from recommender.matching import match_form
from recommender.serving import Recommender

REAL_TITLES = 280
# Ten shows made to sit near Wednesday (English, 2022, its genres), ten unrelated films.
INVENTED = [(f"Nevermore Academy Chronicles {n}", 2022, "Series") for n in range(1, 11)] + [
    (f"Quiet Harbour Accounts {n}", 1994 + n, "Movie") for n in range(1, 11)
]


TYPO_ROW = 40


def _typo(name: str) -> str:
    """Two neighbouring letters swapped in the longest word (`Wednesday` -> `Wednseday`)."""
    words = name.split(" ")
    i = max(range(len(words)), key=lambda w: len(words[w]))
    word = words[i]
    if len(word) >= 5:
        words[i] = word[:2] + word[3] + word[2] + word[4:]
    return " ".join(words)


def catalog_works(rec: Recommender) -> list[tuple[str, int | None, str, bool]]:
    """(name, first year, Jellyfin type, ambiguous) per work of the catalog: a show once, under its series name."""
    items = rec.items
    works: dict[tuple[str, str], list[int | None]] = defaultdict(list)
    for title, kind, year in zip(items["title"], items["content_type"], items["release_year"], strict=True):
        name = t.base_title(str(title))
        year_value = None if year != year or year is None else int(year)
        works[(name, "Series" if kind == "Show" else "Movie")].append(year_value)
    names = defaultdict(int)
    for name, _ in works:
        names[match_form(name)] += 1
    out = []
    for (name, kind), years in works.items():
        known = [y for y in years if y is not None]
        out.append((name, min(known) if known else None, kind, names[match_form(name)] > 1))
    return out


def jellyfin_export(rec: Recommender, wednesday_genres: str) -> tuple[bytes, list[str]]:
    """The CSV (Name,ProductionYear,Type,Genres,OfficialRating; 300 titles and one duplicate row) and the
    real names used (one of them mistyped in the file, row TYPO_ROW)."""
    works = catalog_works(rec)
    first = [w for w in works if w[0] == "Wednesday"] + [w for w in works if w[3] and w[0] != "Wednesday"]
    distinct: dict[tuple[str, int | None, str], tuple[str, int | None, str, bool]] = {}
    for work in first + works:
        distinct.setdefault((match_form(work[0]), work[1], work[2]), work)
    chosen = list(distinct.values())[:REAL_TITLES]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Name", "ProductionYear", "Type", "Genres", "OfficialRating"])
    for i, (name, year, kind, _) in enumerate(chosen):
        typed = _typo(name) if i == TYPO_ROW else name  # one real title as a person might mistype it
        writer.writerow([typed, year or "", kind, "", ""])
    for i, (name, year, kind) in enumerate(INVENTED):
        genres = wednesday_genres if kind == "Series" else "Drama|History"
        writer.writerow([name, year, kind, genres.replace(", ", "|"), "TV-14" if i % 2 else ""])
    writer.writerow([chosen[1][0], chosen[1][1] or "", chosen[1][2], "", ""])  # a duplicate row
    return out.getvalue().encode("utf-8"), [w[0] for w in chosen]
