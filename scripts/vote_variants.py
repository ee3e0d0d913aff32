"""Compare ways of using the same votes: dev NDCG@10 of each vote channel variant, paired.

Why: a variant of the vote channel (`recommender.ranking.votes.VoteSettings`: exact pairs only, or
with members' co-likes at some weight and shortlist) is a few numbers, so the fair comparison is every variant
on the same votes database and the same queries, bootstrapped together. For each variant this prints
NDCG@10, its paired difference against the same ranking without votes (content only) and against
the shipped settings (exact pairs), overall and on the queries nobody voted on.

    python scripts/vote_variants.py --model-dir MODELS --database var/lc/default-20000.db --half B \
        --variant 'co-likes={"co_like_weight": 0.5, "co_like_shortlist": 200}' [--variant ...]

`--ceiling JSON` adds a reference that no vote path can reach: the same channel settings with
members' co-likes taken from every like (rating >= 8) of half A, the members who vote, instead of
their votes: how much re-ordering the content shortlist by the voters' whole taste could add.

`--withhold F` deletes every vote cast on a list for a share F of the measured queries (chosen by a
hash of the title) before ranking: those queries then form the "nobody voted on" subset, big enough
to show whether votes on other lists reach them (or cost them something).

`--half A` measures on the co-likes of the voters' own half (for choosing a variant's numbers);
`--half B` on the other half's (the report: nobody there voted). The variant's JSON overrides the model
version's `vote_channel.json`. `--json OUT` also writes every figure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from recommender.evaluation.coliked import coliked_pairs, read_ratings, split_users, write_pairs  # noqa: E402

TASTE = REPO / "recommender" / "data" / "taste"


def _ci(stat: dict[str, Any] | None) -> str:
    if not stat:
        return "-"
    return f"{stat['mean']:+.4f} [{stat['ci_low']:+.4f}, {stat['ci_high']:+.4f}]"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model-dir", type=Path, required=True)
    p.add_argument("--database", required=True, help="votes database (path or URL)")
    p.add_argument("--half", choices=("A", "B"), default="B")
    p.add_argument("--variant", action="append", default=[], metavar="LABEL=JSON")
    p.add_argument("--ceiling", action="append", default=[], metavar="JSON",
                   help="also: co-likes from every half-A like with these settings (a bound, not a variant)")
    p.add_argument("--withhold", type=float, default=0.0, metavar="F",
                   help="delete the votes on the lists of this share of the measured queries first (see above)")
    p.add_argument("--resamples", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()

    from recommender.evaluation.harness import evaluate
    from recommender.evaluation.pairs import load_pairs_task
    from recommender.evaluation.systems import ServedRanking
    from recommender.evaluation.votes import VotedRanking, read_vote_data, unvoted_subtask
    from recommender.ranking.votes import VoteChannel
    from recommender.serving import Recommender

    database = args.database if "://" in args.database else f"sqlite+aiosqlite:///{Path(args.database).resolve()}"
    ratings = read_ratings(TASTE / "movietweetings_ratings.csv")
    half_a, half_b = split_users(ratings["user_id"].unique())
    out_dir = Path(args.json).parent if args.json else Path("/tmp")
    pairs_path = write_pairs(coliked_pairs(ratings, half_a if args.half == "A" else half_b),
                             out_dir / f"pairs_half_{args.half}.csv")
    rec = Recommender.load(args.model_dir)
    votes = read_vote_data(database)
    members = read_vote_data(database, members=True)
    task, _ = load_pairs_task(pairs_path, rec.items, rec.resolve, candidates_path=TASTE / "dev_candidates.csv")
    if args.withhold > 0:
        titles = rec.items["title"].astype(str).to_numpy()
        withheld = {t for t in (titles[row] for row in task.queries)
                    if int(hashlib.sha256(f"withhold:{t}".encode()).hexdigest()[:8], 16) / 16**8 < args.withhold}
        votes = votes[~votes["query_title"].isin(withheld)].reset_index(drop=True)
        members = members[~members["query_title"].isin(withheld)].reset_index(drop=True)
    cold = unvoted_subtask(task, votes)
    content = ServedRanking("content only", rec.ranker)
    shipped = VotedRanking("exact pairs", rec.ranker,
                           VoteChannel(votes, rec.index.titles, replace(rec.vote_settings, co_like_weight=0.0)))
    variants = [shipped]
    for spec in args.variant:
        label, _, overrides = spec.partition("=")
        settings = replace(rec.vote_settings, **json.loads(overrides))
        variants.append(VotedRanking(label, rec.ranker, VoteChannel(votes, rec.index.titles, settings, members)))
    likes = ratings[ratings["user_id"].isin(half_a) & (ratings["rating"] >= 8)]
    every_like = likes.assign(query_title=likes["title"], item_title=likes["title"], value=1)
    for overrides in args.ceiling:
        settings = replace(rec.vote_settings, weight=0.0, **json.loads(overrides))
        variants.append(VotedRanking(f"ceiling {overrides}", rec.ranker,
                                     VoteChannel(votes, rec.index.titles, settings, every_like)))
    figures: dict[str, Any] = {"half": args.half, "database": args.database, "votes": int(shipped.channel.votes),
                               "queries": len(task.queries), "variants": {},
                               "unvoted_queries": 0 if cold is None else len(cold.queries)}
    lines = [f"{len(task.queries)} half-{args.half} queries, {int(shipped.channel.votes)} votes, "
             f"{figures['unvoted_queries']} queries nobody voted on",
             "| variant | NDCG@10 | minus content only | minus exact pairs | unvoted queries: minus content only |",
             "| --- | --- | --- | --- | --- |"]
    for variant in variants:
        systems: list[Any] = [variant, content] + ([shipped] if variant is not shipped else [])
        result = evaluate(task, systems, resamples=args.resamples, seed=args.seed).to_dict()
        diffs = result["paired_differences"]
        row: dict[str, Any] = {"ndcg": result["systems"][variant.name]["ndcg"],
                               "content_only_ndcg": result["systems"]["content only"]["ndcg"],
                               "minus_content": diffs["content only"]["ndcg"],
                               "minus_exact_pairs": diffs.get("exact pairs", {}).get("ndcg"),
                               "settings": {k: v for k, v in vars(variant.channel.settings).items() if k != "fitted"}}
        if cold is not None:
            cold_result = evaluate(cold, [variant, content], resamples=args.resamples, seed=args.seed).to_dict()
            row["unvoted_minus_content"] = cold_result["paired_differences"]["content only"]["ndcg"]
        figures["variants"][variant.name] = row
        n = row["ndcg"]
        lines.append(f"| {variant.name} | {n['mean']:.4f} [{n['ci_low']:.4f}, {n['ci_high']:.4f}] | "
                     f"{_ci(row['minus_content'])} | {_ci(row['minus_exact_pairs'])} | "
                     f"{_ci(row.get('unvoted_minus_content'))} |")
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
