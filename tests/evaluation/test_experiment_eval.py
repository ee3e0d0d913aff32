"""`evaluate --feedback-database URL --experiment ID` on a real SQLite file migrated by Alembic."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from feedback import FeedbackStore
from feedback.experiments import CHALLENGER, CONTROL
from lab.cli import main


async def _fill(url: str) -> int:
    """An experiment with 60 requests per arm; challenger lists get 👍 at rank 1 far more often."""
    store = await FeedbackStore.open(url)
    try:
        experiment = await store.start_experiment(version="v2", share=50, started_by=1)
        for n in range(120):
            arm = CHALLENGER if n % 2 else CONTROL
            request = await store.record_request(
                guild_id=1, channel_id=2, user_id=1000 + n, query="dark", resolved_item_id=1,
                resolved_title="Dark", model_version="v2" if arm == CHALLENGER else "v1", latency_ms=1.0,
                items=[(10, "A", 0.9), (11, "B", 0.8)], experiment_id=experiment.id, arm=arm,
            )
            good = (n // 2) % 10 < (9 if arm == CHALLENGER else 3)  # 90% vs 30% per arm
            await store.vote_item(request_id=request, rank=1, user_id=1000 + n, value=1 if good else -1)
        return experiment.id
    finally:
        await store.close()


def test_per_arm_figures_verdict_and_chart(tmp_path: Path, capsys) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ab.db'}"
    experiment_id = asyncio.run(_fill(url))
    argv = ["evaluate", "--feedback-database", url, "--experiment", str(experiment_id), "-k", "1"]
    assert main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    control, challenger = data["arms"][CONTROL], data["arms"][CHALLENGER]
    assert (control["votes"], challenger["votes"]) == (60, 60)
    assert (control["up"], challenger["up"]) == (18, 54) and control["versions"] == ["v1"]
    assert challenger["precision_at_k"] == 0.9 and challenger["judged_lists"] == 60
    assert control["ci_high"] < challenger["ci_low"]
    assert data["winner"] == CHALLENGER and 0 < data["decided_after_judgements"] <= 120

    assert main([*argv, "--report", str(tmp_path / "report")]) == 0
    text = capsys.readouterr().out
    assert "challenger wins" in text and f"decided after {data['decided_after_judgements']} judgements" in text
    assert (tmp_path / "report" / "experiment.png").stat().st_size > 0


def test_unknown_experiment_and_missing_database_are_one_clear_line(tmp_path: Path, capsys) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ab.db'}"
    asyncio.run(_fill(url))
    assert main(["evaluate", "--feedback-database", url, "--experiment", "7"]) == 2
    assert "there is no experiment 7" in capsys.readouterr().err
    missing = tmp_path / "none.db"
    assert main(["evaluate", "--feedback-database", f"sqlite+aiosqlite:///{missing}", "--experiment", "1"]) == 2
    assert "does not exist" in capsys.readouterr().err and not missing.exists()
    assert main(["evaluate", "--experiment", "1"]) == 2
    assert "needs --feedback-database" in capsys.readouterr().err
