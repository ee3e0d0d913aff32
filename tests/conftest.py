"""Session fixtures shared by every test directory: one tiny real model, and the fixture catalog.

Training is the expensive part of the suite, so exactly one model is trained per run and every
test that only reads a model (recommender, bot, console) shares it, across pytest-xdist workers too
(see `shared_across_workers`). Tests that modify a model root copy it first (see `model_root_copy`).

The suite runs on two pytest-xdist workers, one test file per worker at a time (`--dist loadfile`
in pyproject.toml), so module fixtures are built once; `pytest_collection_modifyitems` hands out the
longest files first so that neither worker is left with a long file at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

# Before anything imports TensorFlow: keep its C++ start-up chatter out of test output.
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

from recommender.catalog import Catalog, load_catalog

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
FIXTURE_CATALOG = FIXTURES / "catalog_iso.csv"
FIXTURE_ENRICHMENT = FIXTURES / "enrichment.csv"
# The session model's settings. The bot's retrain test retrains with the same epochs and seed and
# expects the result to be "not worse", so change these together with tests/bot.
SESSION_EPOCHS = 2
SESSION_SEED = 42


@pytest.fixture(scope="session")
def catalog_small() -> Catalog:
    """The 686-item fixture catalog joined with its enrichment slice (a few hundred items get genres)."""
    return load_catalog(FIXTURE_CATALOG, FIXTURE_ENRICHMENT)


# Test files in the order the xdist workers take them up: the longest first (seconds from a
# `--durations` run on 2 busy cores). The 60 s write-lock test mostly waits, so it starts at once and
# overlaps with the rest. Files not listed follow in their usual order.
LONGEST_FILES_FIRST = (
    "tests/bot/test_e2e_outbox.py",  # 61 s, idle while the lock is held
    "tests/recommender/test_recommender_cli.py",  # ~180 s of real `python -m recommender` runs
    "tests/recommender/test_recommender_training.py",  # ~125 s
    "tests/recommender/test_recommender_artifacts.py",  # ~100 s
    "tests/recommender/test_resolution_cli.py",  # ~50 s
    "tests/evaluation/test_served_ranking.py",  # ~32 s
    "tests/bot/test_bot_console.py",  # ~25 s
    "tests/recommender/test_resolution.py",  # ~25 s
    "tests/recommender/test_recommender_coldstart.py",  # ~21 s
)


# Slow tests of the bot's files, marked here (the bot's test files are organised by feature and
# change often); every other slow test carries `@pytest.mark.slow` itself. `make test-fast` skips them.
SLOW_BOT_TESTS = (
    "tests/bot/test_bot_console.py::test_console_trains_first_model_when_none",  # trains a model
    "tests/bot/test_bot_console.py::test_console_session",
    "tests/bot/test_bot_safety.py::test_fuzz_10000_queries_are_answered_clearly_and_ping_nobody",
    "tests/bot/test_busy_database.py",  # another process holds the write lock
    "tests/bot/test_simulate.py",
    "tests/bot/test_ab_simulation.py",
    "tests/bot/test_bot_library.py::test_console_library_import_show_recommend_and_remove",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest files first (see LONGEST_FILES_FIRST); the order inside a file is kept. Marks SLOW_BOT_TESTS."""
    for item in items:
        if any(item.nodeid == slow or item.nodeid.startswith(slow + "::") or item.nodeid.startswith(slow + "[")
               for slow in SLOW_BOT_TESTS):
            item.add_marker(pytest.mark.slow)
    rank = {path: i for i, path in enumerate(LONGEST_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


def shared_across_workers(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]) -> Path:
    """The directory `name`, built by `build(dir)` once per run, not once per xdist worker.

    The first worker to get here builds it under a file lock in the run's base temp directory (shared
    by its workers); the others wait and reuse it. `build` must leave a complete directory or raise.
    """
    if os.environ.get("PYTEST_XDIST_WORKER") is None:  # one process: an ordinary session tmp dir
        path = tmp_path_factory.mktemp(name)
        build(path)
        return path
    run_dir = tmp_path_factory.getbasetemp().parent
    path, done = run_dir / name, run_dir / f"{name}.built"
    with FileLock(run_dir / f"{name}.lock"):
        if not done.exists():
            shutil.rmtree(path, ignore_errors=True)  # what a worker that failed here left behind
            path.mkdir()
            build(path)
            done.touch()
    return path


def _train_session_model(root: Path) -> None:
    from recommender.pipeline import train_and_save
    from recommender.training import TrainConfig

    outcome = train_and_save(
        FIXTURE_CATALOG, root, TrainConfig(arch="default", epochs=SESSION_EPOCHS, seed=SESSION_SEED),
        enrichment=FIXTURE_ENRICHMENT,
    )
    assert outcome.activated, outcome.reason


@pytest.fixture(scope="session")
def model_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model root holding one real default-arch model (2 epochs, seed 42), with CURRENT set.

    Treat it as read-only: tests that train into it or damage it use `model_root_copy`.
    """
    return shared_across_workers(tmp_path_factory, "model-root", _train_session_model)


@pytest.fixture(autouse=True)
def _session_model_stays_read_only(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test that trains into or damages the shared session model, not the ones after it."""
    if "model_root" not in request.fixturenames:
        yield
        return
    root: Path = request.getfixturevalue("model_root")
    before = sorted(p.name for p in root.iterdir()), (root / "CURRENT").read_text()
    yield
    after = sorted(p.name for p in root.iterdir()), (root / "CURRENT").read_text()
    assert after == before, f"this test changed the read-only session model root {root}; use model_root_copy"


@pytest.fixture(scope="session")
def full_catalog_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full bundled catalog as an activated model (stand-in embeddings), written once per run; read-only."""
    from tests.resolution_catalog import write_full_catalog_model

    return shared_across_workers(tmp_path_factory, "full-catalog-model", write_full_catalog_model)


@pytest.fixture
def model_root_copy(model_root: Path, tmp_path: Path) -> Path:
    """A private copy of the session model root, for tests that write into or damage it."""
    dest = tmp_path / "models"
    shutil.copytree(model_root, dest)
    return dest


@pytest.fixture(scope="session")
def session_recommender(model_root: Path):
    """The session model loaded through the serving code (numpy only), shared read-only."""
    from recommender.serving import Recommender

    return Recommender.load(model_root)
