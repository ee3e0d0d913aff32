"""Does the bot get better the more the community votes? Dev NDCG@10 after N simulated requests.

Votes come from half A of the MovieTweetings users (`python -m bot.simulate --half A`), through the
bot's service layer into a real store; the judgments are rebuilt from half B's co-likes alone
(`recommender.evaluation.coliked`, the published recipe), so the curve measures people the bot never
heard from. After each checkpoint the feedback-aware serving path is measured with
`python -m recommender evaluate --pairs <half B> --feedback-database <store> --json` (bootstrap
intervals over queries), in the default mode and with `--ratings-only` (members vote only on titles
they rated: the sparse, real case). Nothing is fitted on half B.

    python scripts/learning_curve.py --model-dir /path/to/models --out var/learning-curve \
        [--checkpoints 0,2000,10000,50000] [--modes default,ratings-only] [--seed 0] \
        [--also-evaluate LABEL=MODEL_DIR ...] [--processes P] [--seen-rate R]

Prints a markdown table and writes OUT/learning_curve.json. Modes run side by side (one process each).
The settings under test (seen marks' weight, the exploration slot) live in the model root's
`vote_channel.json` (a version's own file wins over the package's), so a variant is a copy of the
model root with that file changed: the simulator serves with it and `evaluate` measures with it.
`--also-evaluate` measures the same votes at every checkpoint with another model root too (e.g. the
same settings but seen marks not counted): an ablation on identical data.

    python scripts/learning_curve.py --compare explore=OUT_B/default.db@MODELS_B \
        --compare plain=OUT_A/default.db@MODELS_A [--out DIR]

ranks half B's queries with each (votes database, model root) and prints NDCG@10 with the paired
difference of each against the first, bootstrapped over the same queries (two runs of the curve with
the same seed differ only by their settings, so this is the comparison that has an interval).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from recommender.evaluation.coliked import coliked_pairs, read_ratings, split_users, write_pairs  # noqa: E402

TASTE = REPO / "recommender" / "data" / "taste"
RATINGS = TASTE / "movietweetings_ratings.csv"
CANDIDATES = TASTE / "dev_candidates.csv"


def _run(cmd: list[str], log: Path) -> str:
    """Run a child with this repo first on PYTHONPATH; its stderr goes to `log`, stdout is returned."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    with log.open("a", encoding="utf-8") as err:
        done = subprocess.run(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=err, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}); see {log}")
    return done.stdout


def _measure(pairs: Path, database: str, model_dir: Path, resamples: int, log: Path) -> dict[str, Any]:
    out = _run([sys.executable, "-m", "recommender", "evaluate", "--pairs", str(pairs), "--candidates",
                str(CANDIDATES), "--model-dir", str(model_dir), "--feedback-database", database,
                "--no-seed-model", "--resamples", str(resamples), "--json"], log)
    result = json.loads(out)
    systems = result["evaluation"]["systems"]
    served = next(name for name in systems if name.startswith("model"))
    content = next(name for name in systems if name.startswith("content only"))
    paired = result["evaluation"]["paired_differences"].get(content, {}).get("ndcg")
    channel = result.get("vote_channel") or {}
    return {"served": served, "ndcg": systems[served]["ndcg"], "content_only_ndcg": systems[content]["ndcg"],
            "served_minus_content": paired, "stored_votes": channel.get("votes"), "voted_pairs": channel.get("pairs"),
            "seen_marks": channel.get("seen_marks"),
            "unvoted_queries": channel.get("unvoted_queries")}


def _also(args: argparse.Namespace) -> list[tuple[str, Path]]:
    out = []
    for spec in args.also_evaluate:
        label, _, directory = spec.partition("=")
        if not label or not directory:
            raise SystemExit(f"--also-evaluate wants LABEL=MODEL_DIR, got {spec!r}")
        out.append((label, Path(directory)))
    return out


def run_mode(mode: str, checkpoints: list[int], args: argparse.Namespace, pairs: Path) -> list[dict[str, Any]]:
    out: Path = args.out
    db = out / f"{mode}.db"
    saved = out / f"learning_curve_{mode}.json"
    rows: list[dict[str, Any]] = json.loads(saved.read_text()) if args.resume and saved.is_file() else []
    done = max((r["requests"] for r in rows), default=0)
    if not rows:
        for stale in out.glob(f"{mode}.db*"):
            stale.unlink()
    database = f"sqlite+aiosqlite:///{db}"
    log = out / f"{mode}.log"
    for checkpoint in [c for c in checkpoints if c > done or (c == 0 and not rows)]:
        cmd = [sys.executable, "-m", "bot.simulate", "--ratings", str(RATINGS), "--half", "A",
               "--requests", str(checkpoint - done), "--skip", str(done), "--database", database,
               "--model-dir", str(args.model_dir), "--seed", str(args.seed), "--no-progress",
               "--processes", str(args.processes), "--seen-rate", str(args.seen_rate)]
        if mode == "ratings-only":
            cmd.append("--ratings-only")
        printed = _run(cmd, log)
        done = checkpoint
        if args.snapshots:  # this checkpoint's votes, for `--compare` at any checkpoint later
            for part in out.glob(f"{mode}.db*"):
                shutil.copyfile(part, out / part.name.replace(f"{mode}.db", f"{mode}-{checkpoint}.db"))
        row = {"mode": mode, "requests": checkpoint, "simulator": printed.strip().splitlines(),
               **_measure(pairs, database, args.model_dir, args.resamples, log)}
        rows.append(row)
        print(f"[{mode}] {checkpoint} requests: NDCG@10 {row['ndcg']['mean']:.4f} "
              f"({row['stored_votes']} votes, {row['seen_marks']} seen marks)", file=sys.stderr, flush=True)
        for label, model_dir in _also(args):
            other = {"mode": f"{mode} [{label}]", "requests": checkpoint, "simulator": [],
                     **_measure(pairs, database, model_dir, args.resamples, log)}
            rows.append(other)
            print(f"[{mode} {label}] {checkpoint} requests: NDCG@10 {other['ndcg']['mean']:.4f}", file=sys.stderr,
                  flush=True)
        saved.write_text(json.dumps(rows, indent=2))
    return rows


def compare(specs: list[str], pairs: Path, resamples: int, seed: int) -> dict[str, Any]:
    """NDCG@10 of the vote-aware ranking for each LABEL=DATABASE@MODEL_DIR, paired against the first."""
    from recommender.evaluation.harness import evaluate
    from recommender.evaluation.pairs import load_pairs_task
    from recommender.evaluation.votes import VotedRanking, read_vote_data
    from recommender.serving import Recommender

    systems, first = [], None
    for spec in specs:
        label, _, rest = spec.partition("=")
        database, _, model_dir = rest.partition("@")
        if not (label and database and model_dir):
            raise SystemExit(f"--compare wants LABEL=DATABASE@MODEL_DIR, got {spec!r}")
        if "://" not in database:
            database = f"sqlite+aiosqlite:///{Path(database).resolve()}"
        rec = Recommender.load(model_dir)
        first = first or rec
        if rec.version != first.version:
            raise SystemExit("--compare: every model root must serve the same model version (only settings differ)")
        members = read_vote_data(database, members=True) if rec.vote_settings.co_like_weight > 0 else None
        systems.append(VotedRanking(label, rec.ranker, rec.vote_channel(read_vote_data(database), members)))
    assert first is not None
    task, _ = load_pairs_task(pairs, first.items, first.resolve, candidates_path=CANDIDATES)
    result = evaluate(task, systems, resamples=resamples, seed=seed).to_dict()
    lines = ["| system | NDCG@10 | first minus this |", "| --- | --- | --- |"]
    for system in systems:
        paired = result["paired_differences"].get(system.name, {}).get("ndcg")
        lines.append(f"| {system.name} | {_ci(result['systems'][system.name]['ndcg'])} | {_ci(paired)} |")
    print("\n".join(lines))
    return result


def _ci(stat: dict[str, Any] | None) -> str:
    if not stat:
        return "-"
    return f"{stat['mean']:.4f} [{stat['ci_low']:.4f}, {stat['ci_high']:.4f}]"


def votes_cast(simulator_lines: list[str]) -> int:
    """The votes the simulator printed as cast in one run ("... N votes cast ...")."""
    found = re.search(r"(\d+) votes cast", " ".join(simulator_lines))
    return int(found.group(1)) if found else 0


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown: per checkpoint the votes cast so far, the votes the channel counts (one per member and
    pair), NDCG@10 of the feedback-aware ranking and of the content-only one, and their paired difference
    overall and on the queries nobody voted on (all with bootstrap 95% intervals)."""
    lines = ["| mode | requests | votes cast | votes counted | NDCG@10 with votes | content only | "
             "with - without votes | same, unvoted queries |",
             "| --- | ---: | ---: | ---: | --- | --- | --- | --- |"]
    cast: dict[str, int] = {}
    for r in rows:
        cast[r["mode"]] = cast.get(r["mode"], 0) + votes_cast(r.get("simulator", []))
        cold = r.get("unvoted_queries") or {}
        cold_text = f"{_ci(cold.get('paired_difference'))} ({cold.get('queries')} q.)" if cold else "-"
        lines.append(f"| {r['mode']} | {r['requests']} | {cast[r['mode']]} | {r['stored_votes'] or 0} | "
                     f"{_ci(r['ndcg'])} | {_ci(r['content_only_ndcg'])} | {_ci(r['served_minus_content'])} | "
                     f"{cold_text} |")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model-dir", type=Path, help="model root the simulator serves and evaluate measures")
    p.add_argument("--out", type=Path, default=REPO / "var" / "learning-curve")
    p.add_argument("--checkpoints", default="0,2000,10000,50000")
    p.add_argument("--modes", default="default,ratings-only")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resamples", type=int, default=1000)
    p.add_argument("--also-evaluate", action="append", default=[], metavar="LABEL=MODEL_DIR",
                   help="also measure every checkpoint's votes with this model root (an ablation on the same votes)")
    p.add_argument("--processes", type=int, default=1, help="simulator processes (python -m bot.simulate --processes)")
    p.add_argument("--seen-rate", type=float, default=0.3, help="simulator --seen-rate (0: no seen marks)")
    p.add_argument("--compare", action="append", default=[], metavar="LABEL=DATABASE@MODEL_DIR",
                   help="instead of simulating: compare finished runs' rankings on half B (paired, see above)")
    p.add_argument("--snapshots", action="store_true",
                   help="keep a copy of each mode's votes database at every checkpoint (OUT/MODE-N.db)")
    p.add_argument("--resume", action="store_true",
                   help="continue OUT's runs from their last measured checkpoint (same seed and settings)")
    args = p.parse_args()
    if args.model_dir is None and not args.compare:
        p.error("--model-dir is required (unless --compare)")
    args.out.mkdir(parents=True, exist_ok=True)
    checkpoints = sorted(int(c) for c in args.checkpoints.split(","))
    ratings = read_ratings(RATINGS)
    _, half_b = split_users(ratings["user_id"].unique())
    pairs = write_pairs(coliked_pairs(ratings, half_b), args.out / "pairs_half_B.csv")
    if args.compare:
        result = compare(args.compare, pairs, args.resamples, args.seed)
        (args.out / "comparison.json").write_text(json.dumps(result, indent=2))
        return 0
    modes = [m for m in args.modes.split(",") if m]
    with ThreadPoolExecutor(len(modes)) as pool:
        results = list(pool.map(lambda m: run_mode(m, checkpoints, args, pairs), modes))
    rows = [r for mode_rows in results for r in mode_rows]
    (args.out / "learning_curve.json").write_text(json.dumps(rows, indent=2))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
