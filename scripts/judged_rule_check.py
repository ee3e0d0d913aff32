"""Offline check of ranking-rule constants on the judged set and the movie dev set, one process, one model.

Why: a rule's constant (a floor, a gate, a query factor) must be chosen on the judgements already made, with
the movie dev set beside it, before any new pick is judged. For each configuration this prints, with the
served code (`Recommender.recommend`, the per-request scorer):

- the judged set's figures over the served top 10s (mean of 2, lists with 3+ strong, unrelated) and how many
  picks are unjudged (a configuration whose lists are largely unjudged is not measured: judge them first);
- NDCG@10 of each judged query's judged candidates re-ranked by the rule (`Ranker.rank(candidates=...)`), the
  figure constants are chosen on;
- the movie dev set's served NDCG@10 (`evaluate`'s figure).

With `--cv`, the configurations are compared by 5-fold cross-validation over the judged queries: choose the
best on four fifths by the re-ranking NDCG, score the fifth, for five fold seeds; and the same over the movie dev
set's queries by their served NDCG@10 (a constant the judged set cannot tell apart may still matter there).
Never pick a constant by the in-sample judged mean you report.

A configuration is a JSON object of module constants of `recommender.ranking.channels` / `scorer` (e.g.
`{"KIND_FLOOR": 0.5, "GATE_THIN": 0.25}`) and optionally `"factors": {"1": {"same_type": 2.0}}`, query-kind
factors (`KIND_FACTORS` index: 0 film, 1 show, 2 and 3 the same without a listing) set for that run only.

    PYTHONPATH=. python scripts/judged_rule_check.py --model-dir /work/models/final2 '{}' '{"KIND_FLOOR": 1.0}'
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import recommender.ranking.channels as channels_module
import recommender.ranking.scorer as scorer_module

REPO = Path(__file__).resolve().parents[1]
TASTE = REPO / "recommender" / "data" / "taste"
GROUPS = ("all", "film", "english_show", "anime", "kids", "non_english")


def _ndcg(ranked: list[float], judged: list[float], k: int = 10) -> float:
    discount = 1 / np.log2(np.arange(2, k + 2))
    ideal = np.sort(np.array(judged))[::-1][:k]
    best = float((ideal * discount[: len(ideal)]).sum())
    return float((np.array(ranked[:k]) * discount[: len(ranked[:k])]).sum() / best) if best > 0 else float("nan")


class Check:
    def __init__(self, model_dir: Path, judgements: Path | None) -> None:
        from lab.evaluation.judged import (
            default_judgements_path,
            default_queries_path,
            load_judgements,
            load_queries,
            pair_scores,
        )
        from recommender.evaluation.pairs import load_pairs_task
        from recommender.serving import Recommender

        self.rec = Recommender.load(model_dir)
        self.queries = load_queries(default_queries_path())
        self.judgements = load_judgements(judgements or default_judgements_path())
        self.row_of = {title: row for row, title in enumerate(self.rec.index.titles)}
        self.per_query: dict[str, dict[int, float]] = {}
        for (query, candidate), score in pair_scores(self.judgements).items():
            if query in self.row_of and candidate in self.row_of:
                self.per_query.setdefault(query, {})[self.row_of[candidate]] = score
        self.task, _ = load_pairs_task(TASTE / "dev_pairs.csv", self.rec.items, self.rec.resolve, k=10,
                                       candidates_path=TASTE / "dev_candidates.csv", include_franchise=False,
                                       reference_space=self.rec.embeddings, reference_space_name="model")
        self.defaults = {name: getattr(channels_module, name) for name in dir(channels_module) if name.isupper()}

    def _apply(self, config: dict) -> list[tuple[dict, str, object]]:
        """Set the configuration's constants; returns what to restore."""
        restore: list[tuple[dict, str, object]] = []
        for name, value in config.items():
            if name == "factors":
                continue
            if name not in self.defaults:
                raise SystemExit(f"unknown constant {name}")
            for module in (channels_module, scorer_module):
                if hasattr(module, name):
                    setattr(module, name, value)
        for kind, factors in config.get("factors", {}).items():
            table = channels_module.KIND_FACTORS[int(kind)]
            for channel, value in factors.items():
                restore.append((table, channel, table.get(channel)))
                table[channel] = value
        self.rec.ranker.__dict__.pop("_one_query", None)  # the scorer reads the constants when built
        return restore

    def _reset(self, restore: list[tuple[dict, str, object]]) -> None:
        for name, value in self.defaults.items():
            for module in (channels_module, scorer_module):
                if hasattr(module, name):
                    setattr(module, name, value)
        for table, channel, value in reversed(restore):
            if value is None:
                table.pop(channel, None)
            else:
                table[channel] = value
        self.rec.ranker.__dict__.pop("_one_query", None)

    def run(self, config: dict, dev: bool = True) -> dict:
        from lab.evaluation.judged import score_lists, serve_lists
        from recommender.evaluation.harness import run_system
        from recommender.evaluation.systems import ServedRanking

        restore = self._apply(config)
        try:
            lists, _ = serve_lists(self.rec, self.queries)
            report = score_lists(lists, self.judgements, resamples=10)
            out: dict = {"config": config}
            for group in GROUPS:
                g = report.groups[group]
                out[group] = {"mean": round(g.mean.mean, 3), "strong": round(g.strong_lists.mean, 2),
                              "unrelated": round(g.unrelated.mean, 2), "unjudged": g.unjudged}
            out["teen_adult_picks"] = report.teen_adult_picks
            out["kids_family_adult_picks"] = report.safe_adult_picks
            rerank = {}
            for query in self.queries["query"]:
                judged = self.per_query.get(query)
                if not judged:
                    continue
                chosen, _ = self.rec.ranker.rank(self.row_of[query], 10, candidates=np.array(list(judged)))
                rerank[query] = _ndcg([judged[c] for c in chosen], list(judged.values()))
            out["rerank"] = rerank
            out["rerank_ndcg"] = round(float(np.nanmean(list(rerank.values()))), 4)
            if dev:
                ndcg = run_system(self.task, ServedRanking("served", self.rec.ranker)).per_query["ndcg"]
                out["dev_ndcg"] = round(float(np.nanmean(ndcg)), 4)
                out["dev"] = dict(enumerate(np.asarray(ndcg, dtype=float).tolist()))
            return out
        finally:
            self._reset(restore)


def cross_validate(results: list[dict], folds: int = 5, seeds: int = 5, key: str = "rerank") -> None:
    """`key`: the per-query figure compared ("rerank": the judged set's; "dev": the movie dev set's served NDCG@10)."""
    queries = sorted(set.intersection(*(set(r[key]) for r in results)))
    table = np.array([[r[key][q] for q in queries] for r in results])
    table = table[:, ~np.isnan(table).any(0)]
    held_means = []
    for seed in range(seeds):
        fold = np.random.default_rng(seed).permutation(table.shape[1]) % folds
        held = np.zeros(table.shape[1])
        chosen = set()
        for f in range(folds):
            best = int(np.argmax(table[:, fold != f].mean(1)))
            chosen.add(best)
            held[fold == f] = table[best, fold == f]
        held_means.append(held.mean())
        print(f"fold seed {seed}: held-out NDCG@10 {held.mean():.4f}; chosen {sorted(chosen)}")
    print(f"cross-validated {np.mean(held_means):.4f}; in-sample best #{int(np.argmax(table.mean(1)))} "
          f"{table.mean(1).max():.4f}; first configuration {table[0].mean():.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--judgements", type=Path, default=None)
    parser.add_argument("--cv", action="store_true", help="5-fold CV over the judged queries among the configurations")
    parser.add_argument("--no-dev", action="store_true", help="skip the movie dev set (faster grids)")
    parser.add_argument("configs", nargs="+", help="JSON objects of constants, one per configuration")
    args = parser.parse_args()
    check = Check(args.model_dir, args.judgements)
    results = []
    for index, text in enumerate(args.configs):
        result = check.run(json.loads(text), dev=not args.no_dev)
        results.append(result)
        print(f"#{index}", json.dumps({k: v for k, v in result.items() if k not in ("rerank", "dev")}), flush=True)
    if args.cv and len(results) > 1:
        print("judged set (NDCG@10 of the judged candidates re-ranked):")
        cross_validate(results)
        if not args.no_dev:
            print("movie dev set (served NDCG@10):")
            cross_validate(results, key="dev")


if __name__ == "__main__":
    main()
