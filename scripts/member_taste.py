"""Does a member's own recorded taste find their other likes? Recall@10 of held-out own likes.

For every simulated member who voted (a votes database from `python -m lab.simulate --half A`), the
titles the bot knows they like are the ones they asked about in a voted request and the ones they
👍; their *held-out* likes are their other MovieTweetings ratings >= 8, which the bot never heard
of. Their list for the last title they asked about (the vote-aware ranking, without the titles it
knows they like) is re-ranked among its top 50 by `taste_weight * VoteChannel.member_taste`, and
recall@10 of the held-out likes is compared with the list as ranked, paired over members (bootstrap
95%).

    python scripts/member_taste.py --model-dir MODELS --database OUT/default-20000.db [--weights 0.1,0.3,1]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lab.evaluation.coliked import read_ratings  # noqa: E402

RATINGS = REPO / "lab" / "data" / "movietweetings_ratings.csv"
POOL = 50


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model-dir", type=Path, required=True)
    p.add_argument("--database", required=True)
    p.add_argument("--weights", default="0.1,0.3,1.0")
    p.add_argument("--resamples", type=int, default=1000)
    args = p.parse_args()

    from lab.evaluation.votes import held_out_members, read_vote_data
    from recommender.ranking.votes import VoteChannel
    from recommender.serving import Recommender

    url = args.database if "://" in args.database else f"sqlite+aiosqlite:///{Path(args.database).resolve()}"
    ratings = read_ratings(RATINGS)
    liked = ratings[ratings["rating"] >= 8]
    own: dict[int, set[str]] = {int(str(u)): set(t) for u, t in liked.groupby("user_id")["title"]}
    rec = Recommender.load(args.model_dir)
    pairs, votes = read_vote_data(url), read_vote_data(url, members=True).sort_values("voted_at", kind="stable")
    settings = rec.vote_settings if rec.vote_settings.co_like_weight > 0 else replace(
        rec.vote_settings, co_like_weight=0.5, co_like_shortlist=200)
    channel = VoteChannel(pairs, rec.index.titles, settings, votes)
    weights = [float(w) for w in args.weights.split(",")]
    recalls: list[list[float]] = []
    for member in held_out_members(votes, own, channel.row_of):
        user_id, query, held, known_rows = member.user_id, member.query, member.held, member.known_rows
        content = rec.ranker.scores(query).astype(np.float64)
        score = content + channel.scores(query, content)
        score[query], score[known_rows] = -np.inf, -np.inf
        top = np.argpartition(-score, POOL)[:POOL]
        top = top[np.argsort(-score[top], kind="stable")]
        taste = channel.member_taste(user_id, top)
        row = [sum(1 for t in top[:10] if t in held) / min(10, len(held))]
        for w in weights:
            reranked = top[np.argsort(-(score[top] + w * taste), kind="stable")][:10]
            row.append(sum(1 for t in reranked if t in held) / min(10, len(held)))
        recalls.append(row)
    table = np.array(recalls)
    picks = np.random.default_rng(0).integers(0, len(table), (args.resamples, len(table)))
    print(f"{len(table)} members with held-out likes; recall@10 of their held-out likes")
    print("| taste_weight | recall@10 | minus no re-rank |\n| --- | --- | --- |")
    print(f"| 0 | {table[:, 0].mean():.4f} | - |")
    for i, w in enumerate(weights, start=1):
        diff = table[:, i] - table[:, 0]
        low, high = np.percentile(diff[picks].mean(axis=1), [2.5, 97.5])
        print(f"| {w:g} | {table[:, i].mean():.4f} | {diff.mean():+.4f} [{low:+.4f}, {high:+.4f}] |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
