"""What the served lists' unrelated picks (judged 0) are: slot filling, popularity filler or missing information.

    PYTHONPATH=. python scripts/judged_zeros.py --model-dir /work/models/final4

For the judged set's served top 10s (every pick should be judged first): how the zeros' scores compare with
the list's first pick (would a weak list do better showing fewer?), which channel term is the largest in each
pick (popularity filler?), and how many zeros have a query or candidate that no listing describes (missing
information). Show and film queries apart. docs/ranking-rules.md, "What the judges named that these rules leave".
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd


def picks_table(model_dir: Path) -> pd.DataFrame:
    from lab.evaluation.judged import (
        default_judgements_path,
        default_queries_path,
        load_judgements,
        load_queries,
        pair_scores,
        serve_lists,
    )
    from recommender.ranking.channels import CHANNELS
    from recommender.serving import Recommender

    rec = Recommender.load(model_dir)
    ranker, channels = rec.ranker, rec.ranker.channels
    scores = pair_scores(load_judgements(default_judgements_path()))
    row_of = {title: row for row, title in enumerate(rec.index.titles)}
    described = np.diff(channels.text["description"].indptr) > 0
    lists, _ = serve_lists(rec, load_queries(default_queries_path()))
    rows = []
    for served in lists:
        query = row_of[served.query]
        picks = np.array([row_of[p.title] for p in served.picks])
        blend = ranker.scores(query)
        factors = channels.query_factors(np.array([query]))[:, 0]
        terms = (ranker._w * factors)[:, None] * channels.pair_scores(np.array([query]), picks)[:, 0, :]
        for i, (pick, row) in enumerate(zip(served.picks, picks, strict=True)):
            rows.append({"query": served.query, "show": bool(channels.show[query]),
                         "judged": scores.get((served.query, pick.title)),
                         "share_of_first": blend[row] / blend[picks[0]],
                         "largest_term": CHANNELS[int(np.argmax(terms[:, i]))],
                         "undescribed": not (described[row] and described[channels.describer[query]])})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    table = picks_table(parser.parse_args().model_dir)
    unjudged = int(table["judged"].isna().sum())
    if unjudged:
        print(f"{unjudged} picks unjudged: left out")
    table = table.dropna(subset=["judged"])
    table["zero"] = table["judged"] < 0.5
    for name, part in (("all", table), ("show queries", table[table["show"]]), ("film queries", table[~table["show"]])):
        zeros, others = part[part["zero"]], part[~part["zero"]]
        print(f"{name}: {len(part)} picks, {len(zeros)} judged 0")
        print(f"  score as a share of the list's first: zeros {zeros['share_of_first'].median():.3f}, "
              f"others {others['share_of_first'].median():.3f} (medians)")
        for cut in (0.85, 0.9, 0.95):
            below = part[part["share_of_first"] < cut]
            print(f"  showing only picks above {cut:.2f} of the first drops {int(below['zero'].sum())} zeros "
                  f"and {int((~below['zero']).sum())} picks judged 1-2")
        print(f"  largest term hours viewed: zeros {(zeros['largest_term'] == 'hours_viewed').mean():.0%}, "
              f"others {(others['largest_term'] == 'hours_viewed').mean():.0%}")
        thin, zero = part["undescribed"], part["zero"]
        print(f"  query or candidate without a description: {int((thin & zero).sum())} of the zeros; "
              f"{int(thin.sum())} picks, mean {part[thin]['judged'].mean():.2f} ({zero[thin].mean():.0%} zeros) "
              f"against {part[~thin]['judged'].mean():.2f} ({zero[~thin].mean():.0%}) where both are described")
        per_list = part.groupby("query")["zero"].sum()
        weak = per_list >= 5
        print(f"  zeros in lists with 5 or more: {int(per_list[weak].sum())} in {int(weak.sum())} lists")


if __name__ == "__main__":
    main()
