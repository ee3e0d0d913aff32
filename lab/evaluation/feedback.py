"""`evaluate --feedback DATABASE_URL`: what users said about each model version, with intervals.

Thin glue over the `feedback` package (which owns the SQL and the statistics): it reads per-version
thumbs counts (Wilson 95% intervals), precision@k from per-item votes, and an A/B comparison of two
versions, and prints them. It never migrates or writes the database: evaluation is read-only.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict
from typing import Any


def _choose_pair(stats: list[Any], versions: list[str] | None) -> tuple[str, str] | None:
    """The versions to compare: as asked, else the active one against the most-voted other one."""
    if versions:
        return versions[0], versions[1]
    voted = [s for s in stats if s.total > 0]
    if len(voted) < 2:
        return None
    voted.sort(key=lambda s: (not s.active, -s.total, s.version))
    return voted[0].version, voted[1].version


async def collect(url: str, k: int, versions: list[str] | None) -> dict[str, Any]:
    """Read every figure from the database at `url` into one JSON-serialisable dict."""
    from feedback import StoreError
    from feedback.readonly import open_read_only

    async with open_read_only(url) as store:
        stats = await store.feedback_stats()
        rows = []
        for s in stats:
            precision = await store.item_precision(s.version, k)
            rows.append({**asdict(s), "item_precision": precision.precision, "item_precision_lists": precision.lists})
        out: dict[str, Any] = {"k": k, "versions": rows, "ab": None, "ab_note": None}
        pair = _choose_pair(stats, versions)
        if pair is None:
            out["ab_note"] = "A/B comparison needs thumbs votes on at least two model versions"
        else:
            try:
                c = await store.compare_versions(*pair)
            except StoreError as exc:
                if versions:  # the user asked for these two: their problem is the answer
                    raise
                out["ab_note"] = str(exc)
            else:
                out["ab"] = {
                    "a": pair[0],
                    "b": pair[1],
                    "diff": c.diff,
                    "ci_low": c.ci_low,
                    "ci_high": c.ci_high,
                    "p_value": c.p_value,
                }
        return out


def format_feedback(data: dict[str, Any]) -> str:
    k = data["k"]
    lines = [
        f"{'version':<28}{'active':<8}{'requests':>9}{'up':>6}{'down':>6}   {'thumbs-up rate [95% CI]':<26}"
        f"P@{k} items (lists)"
    ]
    for v in data["versions"]:
        rate = f"{v['rate']:.1%} [{v['ci_low']:.1%}, {v['ci_high']:.1%}]" if v["total"] else "no votes"
        prec = (
            f"{v['item_precision']:.3f} ({v['item_precision_lists']})"
            if v["item_precision"] is not None
            else "no item votes"
        )
        lines.append(
            f"{v['version']:<28}{'yes' if v['active'] else '':<8}{v['requests']:>9}{v['up']:>6}{v['down']:>6}   "
            f"{rate:<26}{prec}"
        )
    if not data["versions"]:
        lines.append("(no model versions or requests recorded yet)")
    ab = data["ab"]
    if ab:
        verdict = "A is better" if ab["ci_low"] > 0 else "B is better" if ab["ci_high"] < 0 else "no clear difference"
        lines.append(
            f"A/B: {ab['a']} minus {ab['b']}: {ab['diff']:+.1%} [{ab['ci_low']:+.1%}, {ab['ci_high']:+.1%}], "
            f"p = {ab['p_value']:.3f} -> {verdict}"
        )
    elif data["ab_note"]:
        lines.append(f"A/B: {data['ab_note']}")
    return "\n".join(lines)


def run_feedback(url: str, *, k: int = 5, versions: list[str] | None = None, as_json: bool = False) -> int:
    """CLI body: 0 on success, 2 with a clear message when the database cannot be read."""
    from feedback import StoreError

    try:
        data = asyncio.run(collect(url, k, versions))
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(data, indent=2, default=str) if as_json else format_feedback(data))
    return 0
