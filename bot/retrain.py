"""Running `python -m recommender retrain --progress json` as a child process.

Training imports TensorFlow and saturates CPUs for minutes; in a child process it can neither block
the bot's event loop nor crash the bot, and the bot reads its JSON progress lines as they come.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Environment variables the child never needs: the token stays in the bot process only.
_SECRET_ENV = ("DISCORD_TOKEN",)


@dataclass(frozen=True)
class RetrainEvent:
    """One progress line of the retrain CLI, e.g. {"event": "epoch", "epoch": 2, "epochs": 5}."""

    kind: str
    data: dict[str, Any]

    def describe(self) -> str:
        d = self.data
        if self.kind == "stage":
            return f"{d.get('stage', '?')}…"
        if self.kind == "epoch":
            loss = d.get("loss")
            loss_txt = f", loss {loss:.4f}" if isinstance(loss, (int, float)) else ""
            return f"epoch {d.get('epoch', '?')}/{d.get('epochs', '?')}{loss_txt}"
        if self.kind == "done":
            state = "activated" if d.get("activated") else "not activated"
            return f"done: {d.get('version', '?')} {state} ({d.get('reason', '')})"
        if self.kind == "error":
            return f"error: {d.get('message', '')}"
        return json.dumps(d)[:200]


@dataclass
class RetrainRun:
    """What the child reported: the final event, the exit code, and the tail of its stderr."""

    returncode: int | None = None
    done: dict[str, Any] | None = None
    error: str | None = None
    stderr_tail: list[str] = field(default_factory=list)

    @property
    def activated(self) -> bool:
        return bool(self.done and self.done.get("activated"))


ProgressCallback = Callable[[RetrainEvent], Awaitable[None]]


def retrain_command(
    *, data: Path, model_dir: Path, enrich: Path | None = None, epochs: int | None = None
) -> list[str]:
    cmd = [sys.executable, "-m", "recommender", "retrain", "--data", str(data), "--model-dir", str(model_dir)]
    if enrich is not None:
        cmd += ["--enrich", str(enrich)]
    if epochs is not None:
        cmd += ["--epochs", str(epochs)]
    cmd += ["--progress", "json"]
    return cmd


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SECRET_ENV}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONUNBUFFERED"] = "1"
    return env


async def run_retrain(cmd: list[str], progress: ProgressCallback | None = None) -> RetrainRun:
    """Run the retrain CLI, forwarding each JSON line to `progress`; never raises on child failure."""
    run = RetrainRun()
    log.info("starting retrain: %s", " ".join(cmd[1:]))
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=child_env(),
    )
    tail: deque[str] = deque(maxlen=20)

    async def drain_stderr() -> None:
        # Must be read concurrently: TensorFlow writes plenty to stderr and a full pipe would stall it.
        assert proc.stderr is not None
        async for raw in proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                tail.append(line)
                log.debug("retrain stderr: %s", line)

    stderr_task = asyncio.create_task(drain_stderr())
    assert proc.stdout is not None
    try:
        async for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                log.debug("retrain stdout (not JSON): %s", line)
                continue
            if not isinstance(data, dict):
                continue
            event = RetrainEvent(kind=str(data.get("event", "")), data=data)
            if event.kind == "done":
                run.done = data
            elif event.kind == "error":
                run.error = str(data.get("message", "retrain failed"))
            if progress is not None:
                try:
                    await progress(event)
                except Exception:  # a failed status edit must not abort the training
                    log.exception("retrain progress callback failed")
        run.returncode = await proc.wait()
    except asyncio.CancelledError:
        proc.kill()
        await proc.wait()
        raise
    finally:
        await stderr_task
        run.stderr_tail = list(tail)
    if run.returncode != 0 and run.error is None:
        last = run.stderr_tail[-1] if run.stderr_tail else ""
        run.error = f"retrain exited with code {run.returncode}" + (f": {last[:300]}" if last else "")
    log.info("retrain finished: code=%s done=%s error=%s", run.returncode, run.done, run.error)
    return run
