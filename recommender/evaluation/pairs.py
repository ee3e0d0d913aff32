"""Read human relevance judgments (`query_title,relevant_title[,score]`) into an evaluation task.

Titles are resolved with the bot's own matcher (`Recommender.resolve`), so a judgment means what a
user typing that title would get. Nothing is dropped silently: unresolved titles, duplicated rows,
blank rows and pairs that the exclusion rules make unreachable are all counted and listed in
`PairsReport`, which the CLI prints next to the metrics.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recommender import titles as t
from recommender.evaluation.harness import Task
from recommender.tables import header_key

PAIRS_COLUMNS = ("query_title", "relevant_title")
_SAMPLE = 10


class PairsError(ValueError):
    """A judgments or candidates file that cannot be used; the message names the file and the problem."""


@dataclass
class Unresolved:
    title: str
    rows: list[int]  # 1-based line numbers in the file (header = line 1)
    suggestions: list[str]  # "did you mean" candidates from the matcher


@dataclass
class PairsReport:
    """Everything that happened between the file and the task, for the user to check."""

    path: str
    rows_read: int = 0
    pairs_used: int = 0
    queries: int = 0
    blank_rows: list[int] = field(default_factory=list)
    duplicate_rows: list[int] = field(default_factory=list)  # repeated (query, relevant) rows, counted once
    conflicting_duplicates: list[str] = field(default_factory=list)  # same pair, different scores: highest kept
    unresolved: list[Unresolved] = field(default_factory=list)
    self_pairs: int = 0  # relevant title resolves to the query itself
    same_franchise_pairs: int = 0  # dropped: siblings are excluded from every ranking
    candidates_path: str | None = None
    candidates: int | None = None
    unresolved_candidates: list[Unresolved] = field(default_factory=list)
    relevant_added_to_candidates: int = 0

    def to_dict(self) -> dict:
        out = dict(self.__dict__)
        out["unresolved"] = [u.__dict__ for u in self.unresolved]
        out["unresolved_candidates"] = [u.__dict__ for u in self.unresolved_candidates]
        return out

    def lines(self) -> list[str]:
        out = [f"{self.path}: {self.rows_read} rows -> {self.pairs_used} judged pairs over {self.queries} queries"]
        if self.blank_rows:
            out.append(f"  {len(self.blank_rows)} blank rows skipped (lines {_few(self.blank_rows)})")
        if self.duplicate_rows:
            out.append(f"  {len(self.duplicate_rows)} duplicated rows counted once (lines {_few(self.duplicate_rows)})")
        for text in self.conflicting_duplicates[:_SAMPLE]:
            out.append(f"  conflicting scores for one pair, highest kept: {text}")
        if self.unresolved:
            out.append(f"  {len(self.unresolved)} titles not recognised (their rows are not evaluated):")
            out += [_unresolved_line(u) for u in self.unresolved]
        if self.self_pairs:
            out.append(f"  {self.self_pairs} pairs whose relevant title is the query itself were ignored")
        if self.same_franchise_pairs:
            out.append(
                f"  {self.same_franchise_pairs} pairs within one franchise were ignored (siblings are excluded "
                "from every ranking; pass --include-franchise to judge them)"
            )
        if self.candidates_path:
            out.append(
                f"{self.candidates_path}: ranking restricted to {self.candidates} candidates"
                + (
                    f" (+{self.relevant_added_to_candidates} judged-relevant items added)"
                    if self.relevant_added_to_candidates
                    else ""
                )
            )
            if self.unresolved_candidates:
                out.append(f"  {len(self.unresolved_candidates)} candidate titles not recognised:")
                out += [_unresolved_line(u) for u in self.unresolved_candidates]
        return out


def _few(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:_SAMPLE])
    return shown + (f", ... {len(rows) - _SAMPLE} more" if len(rows) > _SAMPLE else "")


def _unresolved_line(u: Unresolved) -> str:
    hint = f" - did you mean {', '.join(repr(s) for s in u.suggestions[:3])}?" if u.suggestions else ""
    return f"    {u.title!r} (line {_few(u.rows)}){hint}"


def read_table(path: str | Path, required: tuple[str, ...], what: str) -> pd.DataFrame:
    """Read a small CSV as strings; a missing file or column raises PairsError naming both."""
    path = Path(path)
    if not path.is_file():
        raise PairsError(f"{what} file {path}: not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise PairsError(f"{what} file {path}: not UTF-8 text; re-save it as UTF-8 CSV") from None
    if not text.strip():
        raise PairsError(f"{what} file {path}: is empty; expected a header with {', '.join(required)}")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False)
    except (pd.errors.ParserError, csv.Error) as exc:
        raise PairsError(f"{what} file {path}: not a readable CSV file ({str(exc).strip()})") from None
    frame.columns = [header_key(c) for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        found = ", ".join(repr(c) for c in frame.columns) or "none"
        raise PairsError(
            f"{what} file {path}: missing column {', '.join(repr(c) for c in missing)} "
            f"(found columns: {found}); expected a header {','.join(required)}"
        )
    return frame


def _resolver(resolve: Callable[[str], Any]) -> Callable[[str], tuple[int | None, list[str]]]:
    """Wrap the bot's matcher: (item_id or None if not confident, suggestions); cached per title."""
    cache: dict[str, tuple[int | None, list[str]]] = {}

    def lookup(title: str) -> tuple[int | None, list[str]]:
        if title not in cache:
            try:
                res = resolve(title)
            except ValueError:  # QueryError: empty, too long, no letters
                cache[title] = (None, [])
            else:
                ok = res.item is not None and bool(getattr(res, "confident", True))
                suggestions = [c.item.title for c in getattr(res, "candidates", [])]
                cache[title] = (int(res.item.item_id) if ok else None, suggestions)
        return cache[title]

    return lookup


def _note_unresolved(bucket: dict[str, Unresolved], title: str, line: int, suggestions: list[str]) -> None:
    entry = bucket.setdefault(title, Unresolved(title, [], suggestions))
    entry.rows.append(line)


def load_pairs_task(
    pairs_path: str | Path,
    items: pd.DataFrame,
    resolve: Callable[[str], Any],
    *,
    k: int = 10,
    candidates_path: str | Path | None = None,
    include_franchise: bool = False,
    reference_space: np.ndarray | None = None,
    reference_space_name: str = "",
) -> tuple[Task, PairsReport]:
    """Judgments file -> Task over `items` (positional rows aligned with the model's embeddings)."""
    frame = read_table(pairs_path, PAIRS_COLUMNS, "pairs")
    has_score = "score" in frame.columns
    report = PairsReport(path=str(pairs_path), rows_read=len(frame))
    lookup = _resolver(resolve)
    items = items.reset_index(drop=True)
    ids = items["item_id"].to_numpy()
    row_of = {int(i): r for r, i in enumerate(ids)}
    franchise = items["franchise_key"].to_numpy()
    unresolved: dict[str, Unresolved] = {}
    seen_rows: dict[tuple[str, str], tuple[int, float]] = {}
    judgments: dict[int, dict[int, float]] = {}
    pair_source: dict[tuple[int, int], int] = {}
    bad_scores: list[str] = []
    for offset, record in enumerate(frame.itertuples(index=False)):
        line = offset + 2
        query = str(record.query_title).strip()
        relevant = str(record.relevant_title).strip()
        raw_score = str(record.score).strip() if has_score else ""
        if not query and not relevant:
            report.blank_rows.append(line)
            continue
        if not query or not relevant:
            raise PairsError(
                f"pairs file {pairs_path}: line {line} has an empty {'query_title' if not query else 'relevant_title'}"
            )
        try:
            score = float(raw_score) if raw_score else 1.0
        except ValueError:
            bad_scores.append(f"line {line}: {raw_score!r}")
            continue
        if not np.isfinite(score) or score < 0:
            bad_scores.append(f"line {line}: {raw_score!r}")
            continue
        key = (t.normalize(query), t.normalize(relevant))
        q_id, q_hint = lookup(query)
        r_id, r_hint = lookup(relevant)
        if key in seen_rows:
            # The same row again: counted once; a different score is reported and the highest kept.
            report.duplicate_rows.append(line)
            first_line, first_score = seen_rows[key]
            if first_score != score:
                report.conflicting_duplicates.append(
                    f"{query!r} -> {relevant!r} (line {first_line}: {first_score:g}, line {line}: {score:g})"
                )
            if q_id is not None and r_id is not None and (q_id, r_id) in pair_source:
                judgments[q_id][r_id] = max(judgments[q_id][r_id], score)
            continue
        seen_rows[key] = (line, score)
        if q_id is None:
            _note_unresolved(unresolved, query, line, q_hint)
        if r_id is None:
            _note_unresolved(unresolved, relevant, line, r_hint)
        if q_id is None or r_id is None:
            continue
        if q_id == r_id:
            report.self_pairs += 1
            continue
        if not include_franchise and franchise[row_of[q_id]] == franchise[row_of[r_id]]:
            report.same_franchise_pairs += 1
            continue
        if (q_id, r_id) in pair_source:
            # Another spelling of a pair already judged (e.g. the original-language title): counted once.
            report.duplicate_rows.append(line)
            judgments[q_id][r_id] = max(judgments[q_id][r_id], score)
            continue
        pair_source[(q_id, r_id)] = line
        judgments.setdefault(q_id, {})[r_id] = score
    if bad_scores:
        raise PairsError(
            f"pairs file {pairs_path}: column 'score' must be a number >= 0 ({'; '.join(bad_scores[:_SAMPLE])})"
        )
    report.unresolved = list(unresolved.values())
    report.pairs_used = len(pair_source)
    report.queries = len(judgments)
    if not judgments:
        raise PairsError(f"pairs file {pairs_path}: no usable pair left to evaluate\n" + "\n".join(report.lines()))
    query_ids = sorted(judgments)
    if candidates_path is not None:
        candidate_rows = _load_candidates(candidates_path, lookup, row_of, judgments, report)
    else:
        candidate_rows = np.arange(len(items))
    task = Task(
        f"pairs ({Path(pairs_path).name})",
        items,
        np.array([row_of[q] for q in query_ids]),
        candidate_rows,
        [judgments[q] for q in query_ids],
        k=k,
        exclude_franchise=not include_franchise,
        reference_space=reference_space,
        reference_space_name=reference_space_name,
        notes={
            "pairs": report.pairs_used,
            "unresolved_titles": len(report.unresolved),
            "duplicate_rows": len(report.duplicate_rows),
        },
    )
    return task, report


def _load_candidates(
    path: str | Path,
    lookup: Callable[[str], tuple[int | None, list[str]]],
    row_of: dict[int, int],
    judgments: dict[int, dict[int, float]],
    report: PairsReport,
) -> np.ndarray:
    frame = read_table(path, ("title",), "candidates")
    report.candidates_path = str(path)
    unresolved: dict[str, Unresolved] = {}
    chosen: set[int] = set()
    for offset, title in enumerate(frame["title"].astype(str).str.strip()):
        if not title:
            continue
        item_id, hint = lookup(title)
        if item_id is None:
            _note_unresolved(unresolved, title, offset + 2, hint)
        else:
            chosen.add(item_id)
    relevant = {r for grades in judgments.values() for r, g in grades.items() if g > 0}
    # A judged-relevant item is a judged item: make it rankable for every system alike.
    report.relevant_added_to_candidates = len(relevant - chosen)
    chosen |= relevant
    report.unresolved_candidates = list(unresolved.values())
    report.candidates = len(chosen)
    return np.array(sorted(row_of[i] for i in chosen), dtype=np.int64)
