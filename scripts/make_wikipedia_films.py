"""Cut `recommender/data/wikipedia_american_films.csv` from a copy of `prust/wikipedia-movie-data`.

Why a subset: the source holds 36,000 American films (25 MB of JSON); the bundled catalog matches about
3,000 of them, and only those are shipped. Usage:

    python scripts/make_wikipedia_films.py DIR_WITH_movies-1900s.json... [--out PATH]

Each row keeps the film's title, year, the Wikipedia table's genres and cast (`;`-separated) and the lead
paragraph of its article (`extract`), nothing else (no thumbnails, links). A row is kept when the join
(`recommender.enrichment.match`, with the listing's own rules: films only, English-language works, a year
at most one apart) gives it to a catalog film of the bundled catalog with the other bundled listings.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

from recommender import catalog, content_type, enrichment, settings, wikifilms
from recommender import titles as t


def read_source(folder: Path) -> pd.DataFrame:
    """The decade files as rows of the shipped format, in file order."""
    rows = []
    for path in sorted(folder.glob("movies-*.json")):
        for film in json.loads(path.read_text(encoding="utf-8")):
            title, year = str(film.get("title") or "").strip(), film.get("year")
            if not title or not year:
                continue
            rows.append({
                "title": title,
                "release_year": int(year),
                wikifilms.GENRE_COLUMN: "; ".join(film.get("genres") or []),
                wikifilms.EXTRACT_COLUMN: " ".join(str(film.get("extract") or "").split()),
                "cast": "; ".join(c.strip() for c in film.get("cast") or [] if c.strip()),
            })
    return pd.DataFrame(rows).drop_duplicates(["title", "release_year"], keep="first")


def matched_rows(source: pd.DataFrame) -> pd.DataFrame:
    """The rows the bundled catalog's films take, by the join's own rules (on the report's years and the
    title-based types, as `catalog.load_catalog` joins them before any listing fills a year)."""
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / wikifilms.FILE_NAME
        source.to_csv(full, index=False)
        table = enrichment.load_enrichment(full)
    items = catalog.load_catalog(settings.bundled_catalog_path(), []).items
    film_keys = items["title"].astype(str).map(t.film_key).to_numpy()
    is_show = content_type.provisional(items["title"], items["content_type"]).str.lower().eq("show")
    found = enrichment.match(items, is_show, film_keys, table)
    found = found[found["_found"].to_numpy(dtype=bool)]
    keys = set(zip(found["film_key"], found["release_year"].astype(int), strict=True))
    source_keys = zip(source["title"].map(t.film_key), source["release_year"].astype(int), strict=True)
    return source[[key in keys for key in source_keys]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder with the movies-<decade>.json files")
    parser.add_argument("--out", type=Path, default=Path("recommender/data") / wikifilms.FILE_NAME)
    args = parser.parse_args(argv)
    source = read_source(args.source)
    kept = matched_rows(source)
    kept.to_csv(args.out, index=False)
    print(f"{len(source)} films read, {len(kept)} matched by the catalog, written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
