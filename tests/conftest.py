"""Session fixtures shared by every test directory: one tiny real model, and the fixture catalog.

Training is the expensive part of the suite, so exactly one model is trained per session and every
test that only reads a model (recommender, bot, console) shares it. Tests that modify a model root
copy it first (see `model_root_copy`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

# Before anything imports TensorFlow: keep its C++ start-up chatter out of test output.
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import shutil
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def model_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model root holding one real default-arch model (2 epochs, seed 42), with CURRENT set.

    Treat it as read-only: tests that train into it or damage it use `model_root_copy`.
    """
    from recommender.pipeline import train_and_save
    from recommender.training import TrainConfig

    root = tmp_path_factory.mktemp("model-root")
    outcome = train_and_save(
        FIXTURE_CATALOG, root, TrainConfig(arch="default", epochs=SESSION_EPOCHS, seed=SESSION_SEED),
        enrichment=FIXTURE_ENRICHMENT,
    )
    assert outcome.activated, outcome.reason
    return root


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
