"""The product's measurement core: what the retrain gate and the A/B report need.

Modules, one job each:
    metrics     pure ranking/list metrics over id lists and judgments (conventions documented there)
    ranking     scores -> top-k ids with shared exclusions and tie-breaking (ascending item id)
    baselines   the Scorer protocol, embedding and baseline scorers
    harness     a Task (queries, candidates, judgments, k, exclusions) run identically for every system
    pairs       human judgments CSV -> Task, resolving titles with the bot's matcher
    systems     the served ranking (and each blend channel alone) as a system the harness runs
    labels      label-free relevance (genre overlap, one query per franchise) for a catalog without taste data
    ab_report   per-arm figures and the sequential verdict of an A/B experiment
    sequential  the always-valid mSPRT behind it

Intervals come from the shared `common.stats` module. The research tools built on these (benchmarks,
reports, the judged set, `evaluate`) are the lab's (`lab/evaluation/`).
"""
