"""Honest quality figures for Reelmate's recommender.

Modules, one job each:
    metrics     pure ranking/list metrics over id lists and judgments (conventions documented there)
    ranking     scores -> top-k ids with shared exclusions and tie-breaking (ascending item id)
    baselines   random, most popular, same language+type, title TF-IDF, and embedding scorers
    bootstrap   95% percentile bootstrap over queries (1000 resamples, fixed seed), paired differences
    harness     a Task (queries, candidates, judgments, k, exclusions) run identically for every system
    pairs       human judgments CSV -> Task, resolving titles with the bot's matcher
    benchmarks  label-free benchmarks: genre, cold-start, franchise
    report      terminal tables, Markdown report and PNG charts (matplotlib optional)
    feedback    read-only figures from the bot's feedback database
    cli         `python -m recommender evaluate` options and body
"""
