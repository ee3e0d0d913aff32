"""Running `python -m bot.retrain_child retrain --progress json` (the recommender's `retrain`, with the
members' votes) as a child process.

Training imports TensorFlow and saturates CPUs for minutes; in a child process it can neither block
the bot's event loop nor crash the bot, and the bot reads its JSON progress lines as they come.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import re
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from recommender.events import DoneEvent, ErrorEvent, ProgressCallback, parse_event

log = logging.getLogger(__name__)

# Environment variables the child never needs: the token stays in the bot process only.
_SECRET_ENV = ("DISCORD_TOKEN",)


@dataclass
class RetrainRun:
    """What the child reported: the final event, the exit code, and the tail of its stderr."""

    returncode: int | None = None
    done: DoneEvent | None = None
    error: str | None = None
    stderr_tail: list[str] = field(default_factory=list)

    @property
    def activated(self) -> bool:
        return bool(self.done and self.done.activated)


# A Python exception line ("ValueError: ...", "tensorflow.errors.NotFoundError: ...").
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b")
# Library log lines that are not errors: TensorFlow/absl's "I0000 00:00:..." and dated "... I tensorflow/..."
# lines, and Python logging's INFO/WARNING lines.
_LOG_NOISE = re.compile(r"^([IWD]\d{4} |\S+ \S+: [IWD] |(INFO|WARNING|DEBUG)\b|WARNING:|oneDNN|To enable)")


def last_error_line(stderr_tail: list[str]) -> str:
    """The line of a crashed child worth showing: its exception line, else the last line not log noise."""
    for line in reversed(stderr_tail):
        if _EXCEPTION_LINE.match(line.strip()):
            return line.strip()
    for line in reversed(stderr_tail):
        if line.strip() and not _LOG_NOISE.match(line.strip()):
            return line.strip()
    return ""


def retrain_command(
    *,
    data: Path,
    model_dir: Path,
    enrich: Path | None = None,
    bundled: bool = True,
    epochs: int | None = None,
    gate: bool = True,
) -> list[str]:
    """`retrain` compares with the current model before activating; `train` (gate=False) just activates.

    The listings are named explicitly so that the child trains on exactly the data the bot's
    settings describe (and hashes, for the catalog check), whatever its own environment says.
    """
    command = "retrain" if gate else "train"
    cmd = [sys.executable, "-m", "bot.retrain_child", command, "--data", str(data), "--model-dir", str(model_dir)]
    if enrich is not None:
        cmd += ["--enrich", str(enrich)]
    cmd += ["--bundled-enrich" if bundled else "--no-enrich"]
    if epochs is not None:
        cmd += ["--epochs", str(epochs)]
    cmd += ["--progress", "json"]
    return cmd


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The bot's environment without its secrets, plus `extra` (what the child must be told, kept
    out of its argument list, which any local user can read)."""
    env = {k: v for k, v in os.environ.items() if k not in _SECRET_ENV} | (extra or {})
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONUNBUFFERED"] = "1"
    return env


async def run_retrain(
    cmd: list[str], progress: ProgressCallback | None = None, *, env: dict[str, str] | None = None
) -> RetrainRun:
    """Run the retrain CLI, forwarding each JSON line to `progress`; never raises on child failure."""
    run = RetrainRun()
    log.info("starting retrain: %s", " ".join(cmd[1:]))
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=child_env(env),
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
                event = parse_event(line)
            except ValidationError:
                log.debug("retrain stdout (not an event): %s", line)
                continue
            if isinstance(event, DoneEvent):
                run.done = event
            elif isinstance(event, ErrorEvent):
                run.error = event.message
            if progress is not None:
                try:
                    result = progress(event)
                    if inspect.isawaitable(result):
                        await result
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
        last = last_error_line(run.stderr_tail)
        run.error = f"retrain exited with code {run.returncode}" + (f": {last[:300]}" if last else "")
    log.info("retrain finished: code=%s version=%s activated=%s", run.returncode,
             run.done.version if run.done else None, run.activated)
    return run
