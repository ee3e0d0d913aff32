"""The vote-trained embedding correction against the vote channel, on the same votes, at every checkpoint.

For each votes database a learning-curve run kept (`scripts/learning_curve.py --snapshots`:
OUT/MODE-N.db), the correction is fitted on that database's votes exactly as a retrain would
(`recommender.vote_correction.fit_correction`), and four rankings are measured on the same queries:
content only, the shipped vote channel (the model's `vote_channel.json`), the correction alone (no
other vote term), and the correction with the shipped channel. Printed per checkpoint: NDCG@10 on
half B's co-likes (or half A's, for choosing numbers: `--half A`) and each ranking's paired difference
against content only (bootstrap 95%), the same on the queries nobody voted on, and recall@10 of the
voting members' held-out own likes (their MovieTweetings likes the bot never heard of, for the last
title they asked about; re-ranked by the member's taste at the shipped weight among the top 20 where
co-likes exist), paired over members.

    python scripts/correction_curve.py --model-dir MODELS --snapshots OUT --modes default,ratings-only \
        --checkpoints 0,2000,5000,10000,20000 [--half B] [--weight 0.3] [--fit '{"epochs": 10}'] [--json F]

`--weight` is the correction's `correction_weight`; `--shortlist` its `correction_shortlist`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lab.evaluation.coliked import coliked_pairs, read_ratings, split_users, write_pairs  # noqa: E402

TASTE = REPO / "recommender" / "data" / "taste"
RATINGS = REPO / "lab" / "data" / "movietweetings_ratings.csv"
POOL = 20  # titles the member re-rank orders (top 10 measured), like a list of 10 and the 10 below it


def _flip(stat: dict[str, Any]) -> dict[str, Any]:
    return {"mean": -stat["mean"], "ci_low": -stat["ci_high"], "ci_high": -stat["ci_low"]}


def _ci(stat: dict[str, Any] | None) -> str:
    if not stat:
        return "-"
    return f"{stat['mean']:+.4f} [{stat['ci_low']:+.4f}, {stat['ci_high']:+.4f}]"


def member_recalls(rec: Any, channels: dict[str, Any], votes: Any, own: dict[int, set[str]],
                   taste_weight: float) -> np.ndarray:
    """(members, rankings) recall@10 of each voting member's held-out own likes."""
    from lab.evaluation.votes import held_out_members

    rows_out = []
    first = next(c for c in channels.values() if c is not None)
    for member in held_out_members(votes, own, first.row_of):
        user_id, query, held, known_rows = member.user_id, member.query, member.held, member.known_rows
        content = rec.ranker.scores(query).astype(np.float64)
        row = []
        for channel in channels.values():
            score = content + (channel.scores(query, content) if channel is not None else 0.0)
            score[query] = -np.inf
            score[known_rows] = -np.inf
            top = np.argpartition(-score, POOL)[:POOL]
            top = top[np.argsort(-score[top], kind="stable")]
            if channel is not None and taste_weight > 0:
                top = top[np.argsort(-(score[top] + taste_weight * channel.member_taste(user_id, top)), kind="stable")]
            row.append(sum(1 for t in top[:10] if t in held) / min(10, len(held)))
        rows_out.append(row)
    return np.array(rows_out)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model-dir", type=Path, required=True)
    p.add_argument("--snapshots", type=Path, required=True, help="folder with MODE-N.db votes databases")
    p.add_argument("--modes", default="default")
    p.add_argument("--checkpoints", default="0,2000,5000,10000,20000")
    p.add_argument("--half", choices=("A", "B"), default="B")
    p.add_argument("--weight", type=float, default=0.3)
    p.add_argument("--shortlist", type=int, default=1000)
    p.add_argument("--fit", default="{}", help="CorrectionFit overrides as JSON")
    p.add_argument("--no-members", action="store_true", help="skip the members' held-out likes")
    p.add_argument("--resamples", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()

    from lab.evaluation.votes import VotedRanking, read_vote_data, unvoted_subtask
    from recommender.evaluation.harness import evaluate
    from recommender.evaluation.pairs import load_pairs_task
    from recommender.evaluation.systems import ServedRanking
    from recommender.ranking.votes import VoteChannel
    from recommender.serving import Recommender
    from recommender.vote_correction import CorrectionFit, fit_correction

    ratings = read_ratings(RATINGS)
    half_a, half_b = split_users(ratings["user_id"].unique())
    pairs_path = write_pairs(coliked_pairs(ratings, half_a if args.half == "A" else half_b),
                             Path("/tmp") / f"correction_pairs_half_{args.half}.csv")
    liked = ratings[ratings["rating"] >= 8]
    own = {int(str(u)): set(t) for u, t in liked.groupby("user_id")["title"]}
    rec = Recommender.load(args.model_dir)
    embeddings = rec.ranker.channels.embeddings
    row_of = {str(t): i for i, t in enumerate(rec.index.titles)}
    task, _ = load_pairs_task(pairs_path, rec.items, rec.resolve, candidates_path=TASTE / "dev_candidates.csv")
    fit = replace(CorrectionFit(), **json.loads(args.fit))
    shipped_settings = rec.vote_settings
    corrected = replace(shipped_settings, correction_weight=args.weight, correction_shortlist=args.shortlist)
    alone = replace(corrected, weight=0.0, co_like_weight=0.0, taste_weight=0.0)
    figures: dict[str, Any] = {"half": args.half, "fit": vars(fit), "weight": args.weight,
                               "shortlist": args.shortlist, "rows": []}
    names = ("shipped channel", "correction alone", "correction + channel")
    print(f"half {args.half}, {len(task.queries)} queries; correction weight {args.weight}, shortlist "
          f"{args.shortlist}, fit {json.dumps(json.loads(args.fit))}")
    header = ("| mode | requests | votes | content only | " + " | ".join(f"{n}, minus content" for n in names)
              + " | correction + channel minus channel | unvoted q.: " + " / ".join(names)
              + " | members: recall@10 content / " + " / ".join(names) + " |")
    lines = [header, "|" + " --- |" * (header.count("|") - 1)]
    for mode in args.modes.split(","):
        for n in (int(c) for c in args.checkpoints.split(",")):
            db = (args.snapshots / f"{mode}-{n}.db").resolve()
            url = f"sqlite+aiosqlite:///{db}"
            votes, members = read_vote_data(url), read_vote_data(url, members=True)
            started = time.perf_counter()
            correction = fit_correction(members, row_of, embeddings, fit) if len(members) else None
            fit_seconds = time.perf_counter() - started
            channels = {
                names[0]: VoteChannel(votes, rec.index.titles, shipped_settings, members),
                names[1]: VoteChannel(votes, rec.index.titles, alone, members, correction, embeddings),
                names[2]: VoteChannel(votes, rec.index.titles, corrected, members, correction, embeddings),
            }
            content = ServedRanking("content only", rec.ranker)
            systems = [content] + [VotedRanking(k, rec.ranker, c) for k, c in channels.items()]
            result = evaluate(task, systems, resamples=args.resamples, seed=args.seed).to_dict()
            diffs = {k: _flip(result["paired_differences"][k]["ndcg"]) for k in names}
            versus = evaluate(task, [systems[1], systems[3]], resamples=args.resamples, seed=args.seed).to_dict()
            over_channel = _flip(versus["paired_differences"][names[2]]["ndcg"])
            cold = unvoted_subtask(task, votes)
            cold_diffs: dict[str, Any] = {}
            if cold is not None:
                cold_result = evaluate(cold, systems, resamples=args.resamples, seed=args.seed).to_dict()
                cold_diffs = {k: _flip(cold_result["paired_differences"][k]["ndcg"]) for k in names}
            member_text = "-"
            member_figures: dict[str, Any] = {}
            if not args.no_members and len(members):
                table = member_recalls(rec, {"content": None, **channels}, members, own,
                                       shipped_settings.taste_weight)
                picks = np.random.default_rng(args.seed).integers(0, len(table), (args.resamples, len(table)))
                member_figures = {"members": len(table), "content": float(table[:, 0].mean())}
                parts = [f"{table[:, 0].mean():.4f}"]
                for j, k in enumerate(names, start=1):
                    boot = (table[:, j] - table[:, 0])[picks].mean(axis=1)
                    stat = {"mean": float((table[:, j] - table[:, 0]).mean()),
                            "ci_low": float(np.percentile(boot, 2.5)), "ci_high": float(np.percentile(boot, 97.5))}
                    member_figures[k] = stat
                    parts.append(_ci(stat))
                member_text = f"{' / '.join(parts)} ({len(table)} m.)"
            row = {"mode": mode, "requests": n, "votes": int(channels[names[0]].votes), "fit_seconds": fit_seconds,
                   "content_only": result["systems"]["content only"]["ndcg"],
                   "ndcg": {k: result["systems"][k]["ndcg"] for k in names}, "minus_content": diffs,
                   "correction_plus_channel_minus_channel": over_channel,
                   "unvoted_queries": 0 if cold is None else len(cold.queries), "unvoted_minus_content": cold_diffs,
                   "members": member_figures}
            figures["rows"].append(row)
            cold_text = (" / ".join(_ci(cold_diffs[k]) for k in names) + f" ({len(cold.queries)} q.)"
                         if cold is not None else "-")
            lines.append(f"| {mode} | {n} | {row['votes']} | {row['content_only']['mean']:.4f} | "
                         + " | ".join(f"{result['systems'][k]['ndcg']['mean']:.4f}, {_ci(diffs[k])}" for k in names)
                         + f" | {_ci(over_channel)} | {cold_text} | {member_text} |")
            print(lines[-1], flush=True)
            print(f"  (correction fitted in {fit_seconds:.1f} s)", file=sys.stderr, flush=True)
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
