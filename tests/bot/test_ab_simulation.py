"""scripts/ab_simulation.py validates the bot's A/B report on many simulated experiments in memory;
that is only honest while the in-memory experiment records exactly the votes the bot's own path
(service, `/experiment start`, outbox, store) records. Checked here on the tiny session model."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from feedback.experiments import CHALLENGER, CONTROL
from lab.evaluation.coliked import read_ratings
from lab.simulate.members import Community
from recommender.serving import Recommender

REPO = Path(__file__).resolve().parents[2]
RATINGS_SLICE = REPO / "tests" / "fixtures" / "movietweetings_ratings_slice.csv"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ab_simulation", REPO / "scripts" / "ab_simulation.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


async def test_the_in_memory_experiment_records_the_votes_of_the_bot_path(tmp_path: Path, model_root_copy: Path
                                                                            ) -> None:
    sim = _script()
    args = sim.build_parser().parse_args(["--served", str(model_root_copy), "--work-dir", str(tmp_path),
                                          "--vote-rate", "1.0"])
    served, twin, worse = sim.prepare_versions(model_root_copy, tmp_path / "models", "inverted", 0)
    await sim.make_template(tmp_path / "template.db")
    models = {name: sim.MemoRecommender(Recommender.load(tmp_path / "models" / name)) for name in (served, worse)}
    # Many noisy members: the fixture catalog's titles are mostly unknown to the slice's taste model.
    community = Community.build(read_ratings(RATINGS_SLICE), noise_share=0.5, seed=0)
    setup = sim.Setup(models, served, community, args, 5)

    stored = await sim.store_experiment(setup, worse, seed=3, server=1, n=150)
    memory = sim.memory_experiment(setup, worse, seed=3, server=1, n=150)
    assert len(stored) > 20 and {v.arm for v in stored} == {CONTROL, CHALLENGER}
    assert {v.model_version for v in stored} == {served, worse}
    assert sim.same_votes(stored, memory) == []
    assert sim.same_votes(stored, sim.memory_experiment(setup, worse, seed=4, server=1, n=150))  # not vacuous
    assert twin.endswith("-twin") and (tmp_path / "models" / twin / "metadata.json").is_file()
