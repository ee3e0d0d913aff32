"""The full bundled catalog as a servable model, for title-resolution tests (no training needed).

Resolution reads only the item table, so the embedding matrix is a cheap stand-in; everything else
(artifact files, loading, the title index) is the real serving code. The catalog is joined with the
bundled listings, as training does: they are what makes `Stranger Things` a show and `Extraction`
a film, and resolution treats the two differently.
"""

from __future__ import annotations

import bisect
import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recommender import artifacts
from recommender import titles as t
from recommender.catalog import Catalog, load_catalog
from recommender.content_type import MOVIE
from recommender.derived import DERIVED_FILES
from recommender.matching import match_form
from recommender.serving import Recommender
from recommender.settings import enrichment_sources

REPO = Path(__file__).resolve().parents[1]
CATALOG = REPO / "recommender" / "data" / "netflix_content_2023.csv"
TITLE_QUERIES = REPO / "tests" / "fixtures" / "title_queries.tsv"
MUST_NOT = "must-not-resolve"


@dataclass(frozen=True)
class TitleQuery:
    query: str
    expected: str
    kind: str
    filters: dict[str, str]


def load_title_queries(path: Path = TITLE_QUERIES) -> list[TitleQuery]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            TitleQuery(row["query"], row["expected_title"], row["kind"],
                       dict(part.split("=", 1) for part in row["filters"].split(";") if part))
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        ]


def stand_in_embeddings(n: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(n, 8)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def full_catalog() -> Catalog:
    """The bundled catalog with the bundled listings joined (the catalog a default training serves)."""
    return load_catalog(CATALOG, enrichment_sources(None, bundled=True))


def full_catalog_recommender(catalog: Catalog | None = None) -> Recommender:
    items = (catalog or full_catalog()).items
    return Recommender(stand_in_embeddings(len(items)), items, {"version": "full-catalog-stand-in"})


def write_full_catalog_model(root: Path, catalog: Catalog | None = None) -> Path:
    """A real, activated model version over the full catalog (stand-in embeddings) under `root`."""
    items = (catalog or full_catalog()).items
    path = artifacts.save_artifact(
        root, derived=DERIVED_FILES, embeddings=stand_in_embeddings(len(items)), items=items, vocab={},
        metadata={"arch": "stand-in", "data_sha256": "full-catalog"},
    )
    # The hub count, as training saves it: each load of this model would otherwise count it again (~10 s).
    hubs = Recommender.load(path).ranker.hubs.save(path)
    files = json.loads((path / "metadata.json").read_text(encoding="utf-8"))["files"]
    artifacts.update_metadata(path, {"files": {**files, hubs.name: artifacts.sha256_file(hubs)}})
    artifacts.activate(root, path.name)
    return root


# A numbered sequel's title after its film's: `2`, `II`, `Part 2`, `Two`, then nothing or a subtitle.
_SEQUEL_REST = re.compile(
    r"^(?:(?:part|chapter|vol|volume)\s+)?(?:[2-9]|ii|iii|iv|v|vi|two|three|four|five|six)(?:\s(?P<subtitle>.+))?$")
# A subtitle must be set off after the number (`Crank 2: High Voltage`), so `I 2 pompieri` is no sequel of `I`.
_SUBTITLE_AFTER_NUMBER = re.compile(r"(?:\d|\b(?:ii|iii|iv|v|vi|two|three|four|five|six))\s*[:\-–—/]", re.IGNORECASE)


def films_with_sequels(items: pd.DataFrame) -> dict[str, list[str]]:
    """Every film T of `items` whose numbered sequel (`T 2`, `T II`, `T Part 2`, `T 3: Subtitle`, ...)
    is also in it, with those sequels; compared on the English title, `(year)` dropped, in the form
    titles are matched in (case, accents, punctuation folded)."""
    english = items["title"].map(lambda title: t.split_alias(title)[0])
    forms = english.map(lambda e: match_form(t.base_year_free(e)))
    by_form: dict[str, list[int]] = {}
    for row, form in enumerate(forms):
        by_form.setdefault(form, []).append(row)
    names = sorted(by_form)
    sequels: dict[str, list[str]] = {}
    for row in np.flatnonzero((items["content_type"] == MOVIE).to_numpy()).tolist():
        prefix = forms.iloc[row] + " "
        start = bisect.bisect_left(names, prefix)
        for name in names[start:bisect.bisect_left(names, prefix + "\U0010ffff")]:
            rest = _SEQUEL_REST.match(name[len(prefix):])
            if rest is None:
                continue
            for other in by_form[name]:
                if rest["subtitle"] is None or _SUBTITLE_AFTER_NUMBER.search(english.iloc[other][len(prefix) - 1:]):
                    sequels.setdefault(items["title"].iloc[row], []).append(items["title"].iloc[other])
    return sequels


FILM_WITH_SEQUEL = "film-with-sequel"
SHARED_NAME = "shared-name"


def _own_names(items: pd.DataFrame) -> dict[str, list[int]]:
    """Rows per name they carry as their own, in the form titles are matched in: a film its English
    and original titles, with and without a `(year)`; a show its show name (seasons stripped)."""
    names: dict[str, list[int]] = {}
    for row, (title, kind) in enumerate(zip(items["title"], items["content_type"], strict=True)):
        english, original = t.split_alias(title)
        own = {english, original, t.base_year_free(english), t.base_year_free(original)} if kind == MOVIE \
            else {t.franchise_key(title)}
        for name in {match_form(n) for n in own if n}:
            names.setdefault(name, []).append(row)
    return names


def sequel_film_queries(items: pd.DataFrame) -> list[TitleQuery]:
    """One fixture row per film with a numbered sequel in the catalog: its English title in lower case.

    It must resolve to that film (`film-with-sequel`), unless other titles carry the same name
    (`Don` and `Don (2022)`); then the most watched of them answers (`shared-name`) and the film is
    offered among the alternatives.
    """
    names = _own_names(items)
    hours = items["hours_viewed"].to_numpy()
    rows = []
    for title, sequels in sorted(films_with_sequels(items).items()):
        query = t.split_alias(title)[0].lower()
        named = [r for r in names[match_form(query)] if items["title"].iloc[r] not in sequels]
        top = items["title"].iloc[max(named, key=lambda r: (hours[r], -r))]
        rows.append(TitleQuery(query, title, FILM_WITH_SEQUEL, {}) if top == title
                    else TitleQuery(query, top, SHARED_NAME, {}))
    return rows


if __name__ == "__main__":  # the generated fixture rows: python -m tests.resolution_catalog >> the fixture
    for q in sequel_film_queries(full_catalog().items):
        print(f"{q.query}\t{q.expected}\t{q.kind}\t")
