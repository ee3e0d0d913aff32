"""`bench-scale --json` prints one row per size with exactly the issue's keys, and `--report` a chart
per figure. Tiny sizes, stages run in this process (the command itself spawns one process per stage)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab import scale_bench
from lab.cli import main

pytestmark = pytest.mark.slow  # trains and serves in child processes


def test_json_rows_and_charts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(scale_bench, "_in_child", lambda function, *args: function(*args))
    monkeypatch.setenv("ANN_INDEX", "on")  # serve_stage sets it; restored after the test
    code = main(["bench-scale", "--items", "300", "--queries", "10", "--epochs", "1", "--json",
                 "--report", str(tmp_path / "report"), "--work-dir", str(tmp_path / "work")])
    assert code == 0
    rows = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [row["items"] for row in rows] == [300]  # one size keeps the test short; `--items` appends
    for row in rows:
        assert set(row) == {"items", "epoch_s", "peak_rss_mb", "index_build_s", "recommend_p50_ms",
                            "recommend_p99_ms", "resolution_p99_ms", "recall_at_10"}
        assert 0.9 <= row["recall_at_10"] <= 1.0  # a 300-item graph is searched all but exactly
        assert row["epoch_s"] > 0 and row["peak_rss_mb"] > 0 and row["index_build_s"] >= 0
        assert 0 < row["recommend_p50_ms"] <= row["recommend_p99_ms"]
    charts = sorted(p.name for p in (tmp_path / "report").glob("*.png"))
    assert charts == sorted(f"{key}.png" for key in scale_bench.KEYS[1:])
