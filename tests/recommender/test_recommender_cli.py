"""`python -m recommender` as a user runs it: a real subprocess, real files, exit codes and output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from recommender import artifacts

pytestmark = pytest.mark.slow  # real `python -m recommender` processes, some training

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def run_cli(*args: str | Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONIOENCODING": "utf-8"}
    for name in ("MODEL_DIR", "DATA_DIR", "CATALOG_PATH", "ENRICHMENT_PATH"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "recommender", *map(str, args)],
        cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8", timeout=timeout,
    )


def test_train_prints_epoch_progress_and_activates(tmp_path: Path) -> None:
    out = tmp_path / "models"
    proc = run_cli("train", "--data", FIXTURES / "catalog_iso.csv", "--enrich", FIXTURES / "enrichment.csv",
                   "--arch", "seed", "--epochs", "2", "--out", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    epochs = [line for line in lines if line.startswith("epoch ")]
    assert [line.split()[1] for line in epochs] == ["1/2", "2/2"], proc.stdout
    assert all(" loss " in line for line in epochs)
    assert "969 rows -> 686 items" in proc.stdout
    version = artifacts.current_version(out)
    assert version is not None and f"model {version} activated" in proc.stdout
    assert artifacts.load_artifact(out / version).metadata["arch"] == "seed"


def test_recommend_json(model_root: Path, tmp_path: Path) -> None:
    proc = run_cli("recommend", "the glory", "-k", "5", "--json", "--model-dir", model_root, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["query"]["title"] == "The Glory: Season 1 // 더 글로리: 시즌 1"
    assert data["model_version"] == artifacts.current_version(model_root)
    assert data["confidence"] == 100.0
    assert [i["rank"] for i in data["items"]] == [1, 2, 3, 4, 5]
    assert len({i["franchise_key"] for i in data["items"]}) == 5
    assert "the glory" not in {i["franchise_key"] for i in data["items"]}
    assert all({"title", "score", "reason", "item_id", "language"} <= i.keys() for i in data["items"])

    filtered = run_cli("recommend", "Wednesday", "-k", "3", "--json", "--language", "Korean", "--type", "Show",
                       "--by-popularity", "--model-dir", model_root, cwd=tmp_path)
    items = json.loads(filtered.stdout)["items"]
    assert {(i["language"], i["content_type"]) for i in items} == {("Korean", "Show")}
    assert [i["hours_viewed"] for i in items] == sorted((i["hours_viewed"] for i in items), reverse=True)

    unknown = run_cli("recommend", "wendesday adams", "--json", "--model-dir", model_root, cwd=tmp_path)
    assert unknown.returncode == 2
    assert json.loads(unknown.stdout)["did_you_mean"][0] == "Wednesday: Season 1"
    _assert_one_line_error(run_cli("recommend", "   ", "--model-dir", model_root, cwd=tmp_path), "Type a show")


def _assert_one_line_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_recommend_without_a_model_is_one_clear_line(tmp_path: Path) -> None:
    missing = tmp_path / "no-models-here"
    proc = run_cli("recommend", "Wednesday", "--model-dir", missing, cwd=tmp_path)
    _assert_one_line_error(proc, str(missing), "python -m recommender train")
    assert proc.stdout == ""


@pytest.mark.parametrize(("content", "fragment"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "not a CSV text file"),
    (b"", "file is empty"),
    ("Name,Hours Viewed\n" + "".join(f"Show {i},lots\n" for i in range(30)), "column 'hours_viewed'"),
    ("Foo,Bar\n1,2\n", "no Title column"),
    # UTF-16 without a byte-order mark is read; one cut mid-character is refused naming the encoding.
    ("Title,Hours Viewed\nA,1\nB,2\n".encode("utf-16-le")[:-1], "UTF-16"),
])
def test_train_on_a_corrupt_csv_is_one_clear_line(tmp_path: Path, content: bytes | str, fragment: str) -> None:
    bad = tmp_path / "catalog.csv"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    out = tmp_path / "models"
    proc = run_cli("train", "--data", bad, "--epochs", "1", "--out", out, cwd=tmp_path)
    _assert_one_line_error(proc, str(bad), fragment)
    assert artifacts.list_versions(out) == [] and artifacts.current_version(out) is None

    as_json = run_cli("train", "--data", bad, "--epochs", "1", "--out", out, "--progress", "json", cwd=tmp_path)
    assert as_json.returncode == 2
    events = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert events[-1]["event"] == "error" and fragment in events[-1]["message"]


def test_serving_never_imports_tensorflow(model_root: Path, tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from recommender.serving import Recommender\n"
        "import recommender.cli, recommender.pipeline\n"
        f"r = Recommender.load({str(model_root)!r})\n"
        "r.recommend('Wednesday', k=5); r.autocomplete('wed'); r.resolve('strnger thngs')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))\n"
        "print(bad)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


@pytest.mark.parametrize(("args", "fragment"), [
    (["--epochs", "0"], "epochs must be >= 1"),
    (["--data", "ONE_ITEM"], "training needs at least two"),
])
def test_train_settings_that_cannot_work_are_user_errors(tmp_path: Path, capsys, args: list[str], fragment: str):
    """Exit 2 with the project's message, not a traceback: bad settings are not bugs."""
    from recommender.cli import main

    one_item = tmp_path / "one.csv"
    one_item.write_text("Title,Hours Viewed\nOnly Show: Season 1,1000\n", encoding="utf-8")
    argv = ["train", "--out", str(tmp_path / "models"), "--no-enrich",
            *[str(one_item) if a == "ONE_ITEM" else a for a in args]]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err

