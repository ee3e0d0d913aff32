"""The product's command line hands the lab's commands to `python -m lab`, and says so when there is no lab."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_lab_commands_are_handed_to_the_lab_from_a_checkout() -> None:
    """`python -m recommender evaluate ...` (the documented commands) runs `python -m lab evaluate ...`."""
    proc = subprocess.run([sys.executable, "-m", "recommender", "evaluate-judged", "--help"], cwd=REPO,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: python -m lab evaluate-judged")


def test_a_lab_command_without_the_lab_is_a_clear_error(monkeypatch, capsys) -> None:
    import importlib.util

    from recommender import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "lab" else real(name, *a))
    assert cli.main(["evaluate", "--pairs", "x.csv"]) == 2
    assert "`evaluate` is a lab command and the lab is not installed here" in capsys.readouterr().err
