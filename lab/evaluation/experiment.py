"""`evaluate --feedback-database URL --experiment ID`: the A/B experiment the bot ran, per arm.

Per arm: thumbs-up rate and precision@k with 95% Wilson intervals; then the always-valid mSPRT
verdict and after how many judgements (a member's first vote on a list) it was reached (see
`recommender.evaluation.ab_report`). `--report DIR` adds a chart of the running p-value and the
running rates over the judgements. Read-only: the database is
opened without migrating and nothing is written. The store is imported here only, at the CLI edge
(the recommender package must not depend on the feedback package at import time).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from recommender.evaluation.ab_report import CHALLENGER, CONTROL, ExperimentReport, analyse
from recommender.evaluation.sequential import DEFAULT_ALPHA


async def collect(url: str, experiment_id: int, k: int) -> tuple[dict[str, Any], ExperimentReport]:
    from feedback.readonly import open_read_only

    async with open_read_only(url) as store:
        info = await store.get_experiment(experiment_id)
        votes = await store.experiment_votes(experiment_id)
    report = analyse(votes, k=k)
    header = {"experiment": info.id, "challenger_version": info.version, "share": info.share,
              "started_at": info.started_at.isoformat() + "Z",
              "stopped_at": info.stopped_at.isoformat() + "Z" if info.stopped_at else None}
    return {**header, **report.to_dict()}, report


def format_experiment(data: dict[str, Any]) -> str:
    k = data["k"]
    state = f"stopped {data['stopped_at']}" if data["stopped_at"] else "running"
    lines = [f"experiment {data['experiment']}: {data['challenger_version']} on {data['share']}% of members ({state})",
             f"{'arm':<12}{'versions':<30}{'judged':>7}{'up':>6}   {'thumbs-up rate [95% CI]':<26}"
             f"P@{k} items [95% CI] (lists)"]
    for arm in (CONTROL, CHALLENGER):
        a = data["arms"][arm]
        rate = f"{a['rate']:.1%} [{a['ci_low']:.1%}, {a['ci_high']:.1%}]" if a["judgements"] else "no votes"
        precision = (f"{a['precision_at_k']:.3f} [{a['precision_ci_low']:.3f}, {a['precision_ci_high']:.3f}] "
                     f"({a['judged_lists']})" if a["precision_at_k"] is not None else "no item votes")
        versions = ", ".join(a["versions"]) or "-"
        lines.append(f"{arm:<12}{versions:<30}{a['judgements']:>7}{a['up']:>6}   {rate:<26}{precision}")
    s = data["sequential"]
    if s["difference"] is not None:
        lines.append(f"challenger minus control: {s['difference']:+.1%}, always-valid 95% interval "
                     f"[{s['ci_low']:+.1%}, {s['ci_high']:+.1%}]")
    lines.append(data["verdict"])
    return "\n".join(lines)


def write_chart(report: ExperimentReport, directory: Path, title: str) -> Path:
    """DIR/experiment.png (running p-value and rates over votes) and DIR/report.md; returns the .md."""
    from lab.evaluation.report import ReportError, _pyplot

    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create report directory {directory}: {exc.strerror}") from None
    plt = _pyplot()
    trace = report.trace
    votes = range(1, len(trace.p_values) + 1)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    top.plot(votes, trace.p_values, color="black", label="always-valid p-value (mSPRT)")
    top.axhline(DEFAULT_ALPHA, color="red", linestyle="--", label=f"alpha = {DEFAULT_ALPHA}")
    if report.decided_after is not None:
        top.axvline(report.decided_after, color="grey", linestyle=":", label=f"decided after {report.decided_after}")
    top.set_yscale("log")
    top.set_ylabel("p-value")
    top.legend(loc="lower left", fontsize=8)
    bottom.plot(votes, trace.rates_a, label=CONTROL)
    bottom.plot(votes, trace.rates_b, label=CHALLENGER)
    bottom.set_ylabel("thumbs-up rate")
    bottom.set_xlabel("judgements (first vote of a member on a list, both arms, in time order)")
    bottom.legend(loc="lower right", fontsize=8)
    fig.suptitle(title)
    chart = directory / "experiment.png"
    fig.savefig(chart, dpi=110, bbox_inches="tight")
    plt.close(fig)
    markdown = directory / "report.md"
    markdown.write_text(f"# {title}\n\n{report.verdict()}\n\n![running p-value and rates]({chart.name})\n",
                        encoding="utf-8")
    return markdown


def run_experiment(url: str, experiment_id: int, *, k: int = 5, as_json: bool = False,
                   report_dir: Path | None = None) -> int:
    """CLI body: 0 on success, 2 with one clear line when the database or experiment cannot be read."""
    from feedback import StoreError

    try:
        data, report = asyncio.run(collect(url, experiment_id, k))
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(data, indent=2, default=str) if as_json else format_experiment(data))
    if report_dir is not None:
        written = write_chart(report, report_dir, f"Experiment {experiment_id}: {data['challenger_version']}")
        print(f"report: {written}", file=sys.stderr)
    return 0
