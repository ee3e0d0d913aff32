"""Progress events of training, as one set of typed models shared by the pipeline, the CLI and the bot.

The pipeline emits them, `python -m recommender ... --progress json` writes one per line, and the bot
parses those lines back with the same models (a tagged union on `event`), so a field renamed on one
side fails loudly on the other instead of turning into "?" in a status message. Each event also
renders itself in one line (`describe`), the wording the CLI, the console and Discord all show.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    def to_json(self) -> str:
        return self.model_dump_json()


class StageEvent(_Event):
    """A step of the pipeline begins ("loading catalog", "training", "evaluating", "activating")."""

    event: Literal["stage"] = "stage"
    stage: str
    data: str | None = None
    arch: str | None = None
    items: int | None = None
    report: str | None = None  # the catalog cleaning summary, a few lines
    version: str | None = None

    def describe(self) -> str:
        return f"{self.stage}…"


class EpochEvent(_Event):
    """One training epoch finished."""

    event: Literal["epoch"] = "epoch"
    epoch: int
    epochs: int
    loss: float
    seconds: float
    # What the epoch cost, to read against the catalog size (None from older trainers or where unknown).
    peak_rss_mb: float | None = None
    items: int | None = None

    def describe(self) -> str:
        cost = f"{self.seconds:.1f}s"
        if self.peak_rss_mb is not None:
            cost += f", peak {self.peak_rss_mb:.0f} MB"
        if self.items is not None:
            cost += f", {self.items:,} items"
        return f"epoch {self.epoch}/{self.epochs}  loss {self.loss:.4f}  ({cost})"


class DoneEvent(_Event):
    """A version was trained and saved; `activated` says whether it now serves."""

    event: Literal["done"] = "done"
    version: str
    path: str
    activated: bool
    reason: str
    metrics: dict[str, Any] = Field(default_factory=dict)

    def describe(self) -> str:
        state = "activated" if self.activated else "NOT activated"
        return f"model {self.version} {state}: {self.reason}"


class ErrorEvent(_Event):
    """Training stopped on an error; `message` is the one line a person should read."""

    event: Literal["error"] = "error"
    message: str

    def describe(self) -> str:
        return f"error: {self.message}"


TrainingEvent = Annotated[StageEvent | EpochEvent | DoneEvent | ErrorEvent, Field(discriminator="event")]

# What receives events: the pipeline calls it synchronously; the bot's receivers may be coroutines
# (the runner awaits what they return).
ProgressCallback = Callable[[TrainingEvent], Awaitable[None] | None]

_ADAPTER: TypeAdapter[TrainingEvent] = TypeAdapter(TrainingEvent)


def parse_event(line: str | bytes) -> TrainingEvent:
    """One JSON line of `--progress json` as its event model; raises pydantic.ValidationError."""
    return _ADAPTER.validate_json(line)
