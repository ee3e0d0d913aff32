"""Argument types of the store's operations, checked by pydantic before any transaction starts.

Why pydantic: the constraints (strict 64-bit ids, +1/-1 votes, bounded text, finite numbers) are
declared once on the parameter types and enforced by `validate_call`; this module only turns a
`ValidationError` into a `StoreError` whose message names the argument in plain words, using the
template attached to the parameter's type.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from annotated_types import Predicate
from pydantic import ConfigDict, Field, ValidationError, validate_call

from feedback.errors import StoreError

# What a member may type; the recommender refuses longer titles with the same limit (a test checks they agree).
MAX_QUERY_LENGTH = 200
MAX_TITLE_LENGTH = 500
MAX_VERSION_LENGTH = 64
MAX_SNOWFLAKE = 2**63 - 1


@dataclass(frozen=True)
class Explained:
    """How a refused value of this type is described to a person (str.format fields: name,
    input, index, length, limit)."""

    template: str


_TOO_LONG = Explained("{name} is too long ({length} characters; the limit is {limit}); nothing was stored")

Snowflake = Annotated[
    int, Field(ge=0, le=MAX_SNOWFLAKE), Explained("{name} must be a non-negative 64-bit integer id, got {input!r}")
]
VoteValue = Annotated[  # a strict int in -1..1 that is not 0 (pydantic's Literal would take True for 1)
    int, Field(ge=-1, le=1), Predicate(bool),
    Explained("a vote must be +1 (thumbs up) or -1 (thumbs down), got {input!r}"),
]
Finite = Annotated[float, Field(allow_inf_nan=False), Explained("{name} must be a finite number, got {input!r}")]
Query = Annotated[str, Field(max_length=MAX_QUERY_LENGTH), _TOO_LONG]
Title = Annotated[str, Field(max_length=MAX_TITLE_LENGTH), _TOO_LONG]
Version = Annotated[str, Field(max_length=MAX_VERSION_LENGTH), _TOO_LONG]
ModelName = Annotated[
    str, Field(min_length=1, max_length=MAX_VERSION_LENGTH),
    Explained("a model version needs a name of 1 to 64 characters, got {input!r}"),
]
ShownItems = Annotated[
    list[tuple[Snowflake, Title, Finite]],
    Explained("item {index} must be (item_id, title, score) with an id, a title and a finite score, got {input!r}"),
]
Arm = Annotated[
    str, Field(pattern="^(control|challenger)$"), Explained("an arm is 'control' or 'challenger', got {input!r}")
]
Days = Annotated[int, Field(ge=1), Explained("retention must be a whole number of days >= 1, got {input!r}")]
PositiveK = Annotated[int, Field(ge=1), Explained("k must be a positive integer, got {input!r}")]

_STRICT = ConfigDict(strict=True, arbitrary_types_allowed=True)


def _explanation(annotation: Any) -> Explained | None:
    """The Explained marker on a parameter's type, also inside `X | None`."""
    args = typing.get_args(annotation)
    for arg in args:  # this type's own marker first, then those of the types inside it
        if isinstance(arg, Explained):
            return arg
    for arg in args:
        found = _explanation(arg) if typing.get_args(arg) else None
        if found is not None:
            return found
    return None


def _message(error: Any, hints: dict[str, Any]) -> str:
    loc = error["loc"]
    name = str(loc[0]) if loc else "value"
    if loc and isinstance(loc[0], int):  # passed positionally: pydantic gives its index
        name = list(hints)[loc[0]] if loc[0] < len(hints) else name
    explained = _explanation(hints.get(name))
    if explained is None:
        return f"{name}: {error['msg']}, got {error['input']!r}"
    value = error["input"]
    index = loc[1] + 1 if len(loc) > 1 and isinstance(loc[1], int) else 0
    ctx = error.get("ctx") or {}
    return explained.template.format(
        name=name, input=value, index=index, limit=ctx.get("max_length", ""),
        length=len(value) if isinstance(value, str) else "",
    )


def argument_checker(operation: Callable[..., Any]) -> Callable[..., tuple[tuple[Any, ...], dict[str, Any]]]:
    """A function that validates the arguments `operation` takes after its session, and returns
    them (strictly typed) or raises StoreError naming the first bad one."""
    signature = inspect.signature(operation)
    params = list(signature.parameters.values())[1:]
    hints = typing.get_type_hints(operation, include_extras=True)
    hints = {p.name: hints[p.name] for p in params if p.name in hints}  # in parameter order

    def arguments(*args: Any, **kwargs: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return args, kwargs

    arguments.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    arguments.__annotations__ = dict(hints)
    arguments.__name__ = operation.__name__
    checked = validate_call(config=_STRICT)(arguments)

    def check(*args: Any, **kwargs: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
        try:
            return checked(*args, **kwargs)
        except ValidationError as exc:
            raise StoreError(_message(exc.errors()[0], hints)) from None

    return check
