"""Render evaluations as terminal tables, JSON, and a Markdown report with PNG charts.

Why every cell carries its interval: a mean without one invites reading noise as progress. Tables put
systems in rows and metrics in columns, the model under test first, so a reader compares down a
column; the Markdown report adds the same tables plus charts a person would rather look at.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from common.stats import Estimate
from recommender.evaluation.harness import ACCURACY_METRICS, METRIC_LABELS, Evaluation

# Below this many queries a percentile bootstrap understates the uncertainty; say so.
MIN_RELIABLE_QUERIES = 30


def _fmt(e: Estimate, digits: int = 3) -> str:
    if e.n == 0 or math.isnan(e.mean):
        return "n/a"
    return f"{e.mean:.{digits}f} [{e.low:.{digits}f}, {e.high:.{digits}f}]"


def _label(name: str, k: int) -> str:
    return METRIC_LABELS.get(name, name).replace("@k", f"@{k}")


def _groups(evaluation: Evaluation) -> list[list[str]]:
    names = evaluation.metric_names
    accuracy = [n for n in names if n in ACCURACY_METRICS or n.startswith("hit")]
    lists = [n for n in names if n not in accuracy]
    return [accuracy, lists]


def header_lines(evaluation: Evaluation) -> list[str]:
    t = evaluation.task
    lines = [
        f"== {t.name}: {len(t.queries)} queries, {len(t.candidates)} candidates, k={t.k}, "
        f"{'franchise siblings excluded' if t.exclude_franchise else 'franchise siblings allowed'}; "
        f"95% bootstrap CI over queries ({evaluation.resamples} resamples, seed {evaluation.seed})"
    ]
    if len(t.queries) < MIN_RELIABLE_QUERIES:
        lines.append(
            f"   WARNING: only {len(t.queries)} queries; intervals from so few are unreliable "
            f"(aim for {MIN_RELIABLE_QUERIES}+)"
        )
    skipped = {run.name: evaluation.estimates[run.name][ACCURACY_METRICS[0]].skipped for run in evaluation.runs}
    if any(skipped.values()):
        lines.append(f"   queries without relevant items (skipped from means): {max(skipped.values())}")
    if t.reference_space is not None:
        lines.append(
            f"   ILD = 1 - mean pairwise cosine in the {t.reference_space_name or 'reference'} space "
            "(same space for every system)"
        )
    lines.append(
        "   pop pct = mean popularity percentile in the whole catalog; same lang = share in the query's language;"
    )
    lines.append(
        "   coverage = share of candidates in any list; overlap = mean share of a list repeated in the list of an"
    )
    lines.append(
        "   unrelated query (other franchise, not judged related); both without CI: properties of all lists together"
    )
    for key, value in t.notes.items():
        lines.append(
            f"   {key.replace('_', ' ')}: {value:.4f}"
            if isinstance(value, float)
            else f"   {key.replace('_', ' ')}: {value}"
        )
    return lines


def format_evaluation(evaluation: Evaluation) -> str:
    """Plain-text tables (accuracy, then list properties) with intervals in every cell."""
    k = evaluation.task.k
    width = max([len(r.name) for r in evaluation.runs] + [6]) + 2
    out = header_lines(evaluation)
    for group in _groups(evaluation):
        columns = list(group) + (["coverage", "overlap"] if group and group[0] not in ACCURACY_METRICS else [])
        if not columns:
            continue
        out.append("")
        out.append((" " * width + "".join(f"{_label(c, k):<26}" for c in columns)).rstrip())
        for run in evaluation.runs:
            cells = []
            for c in columns:
                if c in ("coverage", "overlap"):
                    cells.append(f"{getattr(run, c):.3f}")
                elif c == "popularity_pct":
                    cells.append(_fmt(evaluation.estimates[run.name][c], 1))
                else:
                    cells.append(_fmt(evaluation.estimates[run.name][c]))
            out.append(f"{run.name:<{width}}" + "".join(f"{cell:<26}" for cell in cells).rstrip())
    if evaluation.differences:
        head = evaluation.runs[0].name
        metric = "ndcg"
        out.append("")
        out.append(f"paired difference {head} - baseline, {_label(metric, k)} (CI excluding 0 = a real difference):")
        for base, diffs in evaluation.differences.items():
            d = diffs[metric]
            verdict = "better" if d.low > 0 else "worse" if d.high < 0 else "no clear difference"
            out.append(f"  vs {base:<{width}}{d.mean:+.3f} [{d.low:+.3f}, {d.high:+.3f}]  {verdict}")
    return "\n".join(out)


def markdown_table(evaluation: Evaluation) -> str:
    k = evaluation.task.k
    columns = [*evaluation.metric_names, "coverage", "overlap"]
    lines = ["| system | " + " | ".join(_label(c, k) for c in columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for run in evaluation.runs:
        cells = [
            f"{getattr(run, c):.3f}"
            if c in ("coverage", "overlap")
            else _fmt(evaluation.estimates[run.name][c], 1 if c == "popularity_pct" else 3)
            for c in columns
        ]
        lines.append(f"| {run.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Charts (matplotlib is optional: imported only here, with a clear message if missing)


class ReportError(ValueError):
    """The report cannot be written (matplotlib missing, directory not writable); message says why."""


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ReportError("--report needs matplotlib for its charts: pip install 'reelmate[report]'") from None
    return plt


def metric_chart(evaluation: Evaluation, path: Path, metrics: Sequence[str] | None = None) -> Path:
    """One panel per metric (own y axis), one bar per system, 95% CI as error bars.

    Why panels: a rate near 1 (same-language share) and one near 0.05 (NDCG) on one axis make the
    differences that matter invisible. Coverage and list overlap (no interval) get panels too.
    """
    plt = _pyplot()
    k = evaluation.task.k
    metrics = [m for m in (metrics or [n for n in evaluation.metric_names if n != "popularity_pct"])]
    panels: list[str] = [*metrics, "coverage", "overlap"]
    systems = [run.name for run in evaluation.runs]
    columns = min(4, len(panels))
    rows = math.ceil(len(panels) / columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(3.4 * columns, 0.32 * len(systems) + 2.4 * rows + 0.6), dpi=110, squeeze=False
    )
    colours = plt.get_cmap("tab10").colors
    y = np.arange(len(systems))[::-1]
    for ax, metric in zip(axes.flat, panels, strict=False):
        if metric in ("coverage", "overlap"):
            means = np.array([getattr(run, metric) for run in evaluation.runs], dtype=np.float64)
            errors = None
        else:
            est = [evaluation.estimates[name][metric] for name in systems]
            means = np.array([0.0 if math.isnan(e.mean) else e.mean for e in est])
            lows = np.array([0.0 if math.isnan(e.low) else e.mean - e.low for e in est])
            highs = np.array([0.0 if math.isnan(e.high) else e.high - e.mean for e in est])
            errors = [lows, highs]
        ax.barh(
            y,
            np.nan_to_num(means),
            xerr=errors,
            capsize=2,
            color=[colours[j % len(colours)] for j in range(len(systems))],
        )
        ax.set_yticks(y, systems if ax in axes[:, 0] else [""] * len(systems), fontsize=8)
        ax.set_title(_label(metric, k) if metric not in ("coverage", "overlap") else metric, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle(f"{evaluation.task.name}: {len(evaluation.task.queries)} queries, k={k} (95% CI)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """First two principal components via SVD of the centred matrix (numpy only)."""
    x = np.asarray(vectors, dtype=np.float64)
    x = x - x.mean(axis=0, keepdims=True)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    return x @ vt[:2].T


def _main_genre(genres: str) -> str:
    """First listed genre that says what a title is (not "International Movies" or "Dramas")."""
    from lab.evaluation.benchmarks import BROAD_GENRES

    listed = [g.strip() for g in genres.split(",") if g.strip()]
    if not listed:
        return "(no genre data)"
    return next((g for g in listed if g not in BROAD_GENRES), listed[0])


def embedding_map(
    embeddings: np.ndarray, items: pd.DataFrame, path: Path, *, max_points: int = 6000, seed: int = 0
) -> Path:
    """Three panels of the same 2-D PCA projection, coloured by language, content type and main genre."""
    plt = _pyplot()
    items = items.reset_index(drop=True)
    rows = np.arange(len(items))
    if len(rows) > max_points:
        rows = np.sort(np.random.default_rng(seed).choice(rows, max_points, replace=False))
    xy = pca_2d(np.asarray(embeddings)[rows])
    sub = items.iloc[rows]
    first_genre = sub["genres"].fillna("").astype(str).map(_main_genre)
    top = [g for g in first_genre.value_counts().index if g != "(no genre data)"][:8]
    genre = first_genre.where(first_genre.isin(top) | (first_genre == "(no genre data)"), "other genre")
    panels = [
        ("language", sub["language"].astype(str)),
        ("content type", sub["content_type"].astype(str)),
        ("first specific genre", genre),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(18, 6), dpi=100)
    for ax, (title, labels) in zip(axes, panels, strict=False):
        counts = labels.value_counts()
        cmap = plt.get_cmap("tab10")
        for j, value in enumerate(counts.index):
            mask = (labels == value).to_numpy()
            grey = value in ("(no genre data)", "other genre")
            ax.scatter(
                xy[mask, 0],
                xy[mask, 1],
                s=3 if grey else 5,
                alpha=0.25 if grey else 0.6,
                color="lightgrey" if grey else cmap(j % 10),
                label=f"{value} ({counts[value]})",
                linewidths=0,
            )
        ax.set_title(f"coloured by {title}")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.legend(markerscale=4, fontsize=7, loc="best", frameon=True, framealpha=0.8)
    fig.suptitle(f"Item embeddings, first two principal components ({len(rows)} of {len(items)} items)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_report(
    directory: str | Path,
    title: str,
    evaluations: dict[str, Evaluation],
    *,
    intro: Sequence[str] = (),
    embeddings: np.ndarray | None = None,
    items: pd.DataFrame | None = None,
    extra_sections: Sequence[str] = (),
) -> Path:
    """Write `report.md` plus one metric chart per evaluation and an embedding map; returns the .md path."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create report directory {directory}: {exc.strerror}") from None
    _pyplot()  # fail before writing anything if charts are impossible
    lines = [f"# {title}", ""]
    lines += list(intro)
    for section in extra_sections:
        lines += ["", section]
    for key, evaluation in evaluations.items():
        slug = "".join(ch if ch.isalnum() else "-" for ch in key.lower()).strip("-")
        chart = metric_chart(evaluation, directory / f"metrics-{slug}.png")
        lines += [
            "",
            f"## {evaluation.task.name}",
            "",
            "```",
            *header_lines(evaluation),
            "```",
            "",
            markdown_table(evaluation),
            "",
            f"![{evaluation.task.name}]({chart.name})",
        ]
        if evaluation.differences:
            lines += [
                "",
                f"Paired difference, {evaluation.runs[0].name} minus each baseline "
                f"(NDCG@{evaluation.task.k}, 95% CI; an interval above 0 means the model is better):",
                "",
            ]
            for base, diffs in evaluation.differences.items():
                d = diffs["ndcg"]
                lines.append(f"- vs {base}: {d.mean:+.3f} [{d.low:+.3f}, {d.high:+.3f}]")
    if embeddings is not None and items is not None:
        chart = embedding_map(embeddings, items, directory / "embedding-map.png")
        lines += [
            "",
            "## Embedding space",
            "",
            "Each dot is a title; position is the first two principal components of its embedding. "
            "Clusters by language or type mean the model separates them; mixed genre colours within "
            "a cluster mean it does not (yet) separate by what titles are about.",
            "",
            f"![embedding map]({chart.name})",
        ]
    path = directory / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
