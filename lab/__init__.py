"""Reelmate's lab: the research tools, kept out of the product packages and never imported by them.

Benchmarks and baselines (`evaluation/`), the judged-set scorer, reports and charts, fitting the
blend's weights (`ranking_commands`), synthetic catalogs (`synth`, `scale_bench`) and the simulated
community (`simulate/`). It needs the product (`recommender`, `feedback`, `bot`) and the `lab` extra
(`pip install -e '.[lab]'`: matplotlib, tqdm); the wheel ships neither the lab nor its data.

    python -m lab evaluate|evaluate-judged|fit-blend|showcase|synth|bench-scale ...
    python -m lab.simulate ...

`python -m recommender <one of those commands>` hands the command line to `python -m lab` unchanged.
"""
