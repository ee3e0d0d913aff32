"""Score any ranking's served lists against fans' item-by-item judgements (the judged set).

Why a judged set beside the movie dev set: the co-likes of `recommender/data/taste/` hold only films,
so nothing there can say whether a show's, an anime's, a kids' title's or a non-English title's list
is one a fan would pick. Here each (query, candidate) pair carries a fan's judgement on a 0/1/2 scale
(2 clearly similar, 1 loosely related, 0 unrelated; `docs/judged-set.md`), so any list can be scored
offline. A pick nobody has judged is unknown: it is left out of every judged figure and counted, and
`--write-unjudged` writes those picks out for the next batch of judging.

Figures, overall and per query group (`english_show`, `film`, `anime`, `kids`, `non_english`):
- mean judgement over judged picks (sum of scores / judged picks; interval by resampling queries);
- share of lists with three or more picks judged 2 (unknown picks count as not 2);
- share of judged picks judged 0 (unrelated);
- unjudged picks;
and over all lists: the share of dated picks within one year of the query's year, the title most
repeated over the top-5 lists (a hub), adult titles in the lists of teen queries and of kids/family
queries. A pair judged by several judges scores their mean; it counts as "judged 2" from 1.5 and as
"judged 0" below 0.5.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from common.stats import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    Estimate,
    bootstrap,
    ratio,
    resample_indices,
)

GROUPS = ("english_show", "film", "anime", "kids", "non_english")
SCORES = (0, 1, 2)
STRONG = 1.5  # a pair's mean judgement from which it counts as "judged 2"
UNRELATED = 0.5  # ... below which it counts as "judged 0"
STRONG_PICKS = 3  # a list is good with this many picks judged 2
HUB_DEPTH = 5  # hub check over the top-5 lists
HUB_SHARE = 0.05  # no title in more than 5% of lists
ERA_YEARS = 1
LIST_LENGTH = 10
BATCH_COLUMNS = ("query", "query_info", "candidate", "candidate_info")


class JudgementsError(ValueError):
    """A judgements or queries file the user can fix (missing column, score off the scale)."""


@dataclass(frozen=True)
class Pick:
    title: str
    year: int | None = None
    maturity: str = "unknown"


@dataclass(frozen=True)
class ServedList:
    """One query's list as served, with what the era and maturity checks need."""

    query: str
    group: str
    picks: tuple[Pick, ...]
    year: int | None = None
    maturity: str = "unknown"


def _data_file(name: str) -> Path:
    return Path(str(resources.files("recommender").joinpath("data", "judged", name)))


def default_queries_path() -> Path:
    return _data_file("queries.csv")


def default_judgements_path() -> Path:
    return _data_file("judgements.csv")


def load_queries(path: Path) -> pd.DataFrame:
    """`query,group` rows (more columns are kept); groups outside `GROUPS` are refused."""
    frame = _read(path, ("query", "group"))
    unknown = sorted(set(frame["group"]) - set(GROUPS))
    if unknown:
        raise JudgementsError(f"{path}: unknown groups {', '.join(unknown)} (use {', '.join(GROUPS)})")
    if frame["query"].duplicated().any():
        twice = frame.loc[frame["query"].duplicated(), "query"].iloc[0]
        raise JudgementsError(f"{path}: a query appears twice: {twice}")
    return frame


def load_judgements(path: Path | None) -> pd.DataFrame:
    """`query,candidate,score[,judge]` rows; a missing file is no judgements yet (every pick unknown)."""
    if path is None or not Path(path).is_file():
        return pd.DataFrame({"query": pd.Series(dtype=str), "candidate": pd.Series(dtype=str),
                             "score": pd.Series(dtype=float)})
    frame = _read(path, ("query", "candidate", "score"))
    scores = pd.to_numeric(frame["score"], errors="coerce")
    bad = ~scores.isin(SCORES)
    if bad.any():
        row = frame[bad].iloc[0]
        raise JudgementsError(f"{path}: score must be 0, 1 or 2; got {row['score']!r} for "
                              f"{row['query']!r} -> {row['candidate']!r}")
    return frame.assign(score=scores.astype(float))


def _read(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise JudgementsError(f"{path}: cannot read ({exc})") from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise JudgementsError(f"{path}: missing columns {', '.join(missing)}")
    return frame


def pair_scores(judgements: pd.DataFrame) -> dict[tuple[str, str], float]:
    """(query, candidate) -> mean judgement over the judges who scored the pair."""
    if judgements.empty:
        return {}
    means = judgements.groupby(["query", "candidate"], sort=False)["score"].mean()
    return {(str(q), str(c)): float(s) for q, c, s in zip(means.index.get_level_values(0),
                                                          means.index.get_level_values(1), means, strict=True)}


@dataclass
class GroupFigures:
    """Per-query values of one group (or all), and their estimates."""

    queries: int
    picks: int
    judged: int
    unjudged: int
    mean: Estimate
    strong_lists: Estimate
    unrelated: Estimate

    def to_dict(self) -> dict:
        return {"queries": self.queries, "picks": self.picks, "judged": self.judged, "unjudged": self.unjudged,
                "mean_judgement": self.mean.to_dict(), "lists_with_3_strong": self.strong_lists.to_dict(),
                "unrelated_share": self.unrelated.to_dict()}


@dataclass
class JudgedReport:
    groups: dict[str, GroupFigures]  # "all" first, then each group present
    era_share: float  # share of dated picks within ERA_YEARS of a dated query
    era_dated_picks: int
    hub_title: str | None
    hub_lists: int
    lists: int
    teen_queries: int
    teen_adult_picks: int
    teen_adult_lists: int
    safe_queries: int
    safe_adult_picks: int
    missing_queries: list[str] = field(default_factory=list)
    judge_pairs: int = 0  # pairs scored by two or more judges
    judge_agreement: float = math.nan  # share of those all judges scored alike

    @property
    def hub_share(self) -> float:
        return self.hub_lists / self.lists if self.lists else math.nan

    def to_dict(self) -> dict:
        def clean(x: float) -> float | None:
            return None if math.isnan(x) else round(x, 4)

        return {
            "groups": {name: figures.to_dict() for name, figures in self.groups.items()},
            "era": {"within_1_year": clean(self.era_share), "dated_picks": self.era_dated_picks},
            "hub": {"title": self.hub_title, "top5_lists": self.hub_lists, "lists": self.lists,
                    "share": clean(self.hub_share), "over_limit": self.hub_share > HUB_SHARE},
            "teen": {"queries": self.teen_queries, "adult_picks": self.teen_adult_picks,
                     "lists_with_adult": self.teen_adult_lists},
            "kids_family": {"queries": self.safe_queries, "adult_picks": self.safe_adult_picks},
            "missing_queries": self.missing_queries,
            "judges": {"pairs_with_2plus": self.judge_pairs, "agreement": clean(self.judge_agreement)},
        }


def score_lists(lists: Sequence[ServedList], judgements: pd.DataFrame, *, resamples: int = DEFAULT_RESAMPLES,
                seed: int = DEFAULT_SEED, missing: Iterable[str] = ()) -> JudgedReport:
    """Every figure of the module docstring for these served lists."""
    scores = pair_scores(judgements)
    per_list = [[scores.get((lst.query, p.title)) for p in lst.picks] for lst in lists]
    groups = {"all": _group_figures(per_list, resamples, seed)}
    for group in GROUPS:
        members = [s for s, lst in zip(per_list, lists, strict=True) if lst.group == group]
        if members:
            groups[group] = _group_figures(members, resamples, seed)
    era_hits, era_dated = 0, 0
    for lst in lists:
        if lst.year is None:
            continue
        dated = [p.year for p in lst.picks if p.year is not None]
        era_dated += len(dated)
        era_hits += sum(abs(y - lst.year) <= ERA_YEARS for y in dated)
    hubs = Counter(title for lst in lists for title in {p.title for p in lst.picks[:HUB_DEPTH]})
    hub_title, hub_lists = hubs.most_common(1)[0] if hubs else (None, 0)
    teen = [lst for lst in lists if lst.maturity == "teen"]
    teen_adult = [sum(p.maturity == "adult" for p in lst.picks) for lst in teen]
    safe = [lst for lst in lists if lst.maturity in ("kids", "family")]
    agreement_pairs, agreeing = _agreement(judgements)
    return JudgedReport(
        groups=groups,
        era_share=era_hits / era_dated if era_dated else math.nan,
        era_dated_picks=era_dated,
        hub_title=hub_title,
        hub_lists=hub_lists,
        lists=len(lists),
        teen_queries=len(teen),
        teen_adult_picks=sum(teen_adult),
        teen_adult_lists=sum(n > 0 for n in teen_adult),
        safe_queries=len(safe),
        safe_adult_picks=sum(p.maturity == "adult" for lst in safe for p in lst.picks),
        missing_queries=list(missing),
        judge_pairs=agreement_pairs,
        judge_agreement=agreeing / agreement_pairs if agreement_pairs else math.nan,
    )


def _group_figures(per_list: list[list[float | None]], resamples: int, seed: int) -> GroupFigures:
    judged = np.array([sum(s is not None for s in scores) for scores in per_list], dtype=np.float64)
    total = np.array([sum(s for s in scores if s is not None) for scores in per_list], dtype=np.float64)
    zeros = np.array([sum(s is not None and s < UNRELATED for s in scores) for scores in per_list], dtype=np.float64)
    strong = np.array([float(sum(s is not None and s >= STRONG for s in scores) >= STRONG_PICKS) if n else math.nan
                       for scores, n in zip(per_list, judged, strict=True)])
    indices = resample_indices(len(per_list), resamples, seed)
    picks = sum(len(scores) for scores in per_list)
    # A list with no judged pick says nothing about the ratios: left out (and counted as skipped), not 0/0.
    any_judged = np.where(judged > 0, 1.0, np.nan)
    return GroupFigures(
        queries=len(per_list),
        picks=picks,
        judged=int(judged.sum()),
        unjudged=picks - int(judged.sum()),
        mean=ratio(total * any_judged, judged * any_judged, indices),
        strong_lists=bootstrap(strong, indices),
        unrelated=ratio(zeros * any_judged, judged * any_judged, indices),
    )


def _agreement(judgements: pd.DataFrame) -> tuple[int, int]:
    """(pairs scored by 2+ judges, of which all judges gave the same score)."""
    if judgements.empty or "judge" not in judgements.columns:
        return 0, 0
    spread = judgements.groupby(["query", "candidate"])["score"].agg(["count", "nunique"])
    multi = spread[spread["count"] >= 2]
    return len(multi), int((multi["nunique"] == 1).sum())


# -- serving ---------------------------------------------------------------------------------------


def _year(value: int | float | None) -> int | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else int(value)


def serve_lists(recommender, queries: pd.DataFrame, k: int = LIST_LENGTH) -> tuple[list[ServedList], list[str]]:
    """Each query's top-k as the product serves it (`recommend` by the title's id, default options), and the
    queries whose exact title the model's catalog does not hold."""
    row_of = {title: row for row, title in enumerate(recommender.index.titles)}
    item_ids = recommender.items["item_id"].to_numpy()
    lists, missing = [], []
    for query, group in zip(queries["query"], queries["group"], strict=True):
        row = row_of.get(query)
        if row is None:
            missing.append(query)
            continue
        result = recommender.recommend(int(item_ids[row]), k)
        picks = tuple(Pick(r.item.title, _year(r.item.release_year), r.item.maturity) for r in result.items)
        lists.append(ServedList(query, group, picks, _year(result.query.release_year), result.query.maturity))
    return lists, missing


def unjudged_rows(lists: Sequence[ServedList], judgements: pd.DataFrame, describe_title, *,
                  seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The picks nobody has judged, in the judges' batch format, shuffled within each query (judges must
    not see the rank). `describe_title(title)` is the *_info line."""
    scores = pair_scores(judgements)
    rng = random.Random(seed)
    rows = []
    for lst in lists:
        titles = sorted({p.title for p in lst.picks if (lst.query, p.title) not in scores})
        rng.shuffle(titles)
        rows += [{"query": lst.query, "query_info": describe_title(lst.query), "candidate": t,
                  "candidate_info": describe_title(t)} for t in titles]
    return pd.DataFrame(rows, columns=list(BATCH_COLUMNS))


def format_report(report: JudgedReport, model_version: str, judgements_source: str) -> str:
    """The human-readable table."""
    def est(e: Estimate, percent: bool = False) -> str:
        if math.isnan(e.mean):
            return "n/a"
        f = (lambda x: f"{100 * x:.0f}%") if percent else (lambda x: f"{x:.2f}")
        return f"{f(e.mean)} [{f(e.low)}, {f(e.high)}]"

    lines = [f"judged set: model {model_version}; judgements {judgements_source}",
             f"{'group':<13}{'lists':>6}{'picks':>7}{'unjudged':>10}  {'mean of 2':<20}{'lists 3+ strong':<22}"
             f"{'unrelated':<20}"]
    for name, g in report.groups.items():
        lines.append(f"{name:<13}{g.queries:>6}{g.picks:>7}{g.unjudged:>10}  {est(g.mean):<20}"
                     f"{est(g.strong_lists, True):<22}{est(g.unrelated, True):<20}")
    era = "n/a" if math.isnan(report.era_share) else f"{100 * report.era_share:.0f}%"
    lines += [
        f"era: {era} of {report.era_dated_picks} dated picks within ±{ERA_YEARS} year of the query",
        f"hub: {report.hub_title!r} in {report.hub_lists} of {report.lists} top-{HUB_DEPTH} lists "
        f"({'over' if report.hub_share > HUB_SHARE else 'within'} the {100 * HUB_SHARE:.0f}% limit)",
        f"teen queries: {report.teen_adult_picks} adult picks in {report.teen_adult_lists} of "
        f"{report.teen_queries} lists; kids/family queries: {report.safe_adult_picks} adult picks in "
        f"{report.safe_queries} lists",
    ]
    if report.judge_pairs:
        lines.append(f"judges: {report.judge_pairs} pairs scored twice or more, {100 * report.judge_agreement:.0f}% "
                     "scored alike")
    if report.missing_queries:
        lines.append(f"not in this model's catalog ({len(report.missing_queries)}): "
                     + "; ".join(report.missing_queries))
    return "\n".join(lines)
