"""Where every feature declares the member data it keeps, so /privacy and /forget-me cover it all.

Why a registry: member data is written by several features (requests by recommend, votes by votes,
seen marks by seen, retrain jobs by admin, experiments by experiments, export files by privacy).
Each feature registers a `MemberData` when it is built: the feedback tables and the columns in
which it stores member ids (the store's `export_user` and `delete_user` export and delete those in
one transaction), and a hook for anything it keeps outside the database. The privacy feature
iterates the registry; tests/bot/test_privacy_registry.py fails when a table with a member column
is registered by no feature, or when /forget-me leaves a registered column holding the member.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field

# A hook for member data kept outside the database: removes it, returns a sentence for the reply
# (or None when there was nothing to remove).
Erase = Callable[[int], Awaitable[str | None]]


@dataclass(frozen=True)
class MemberData:
    """What one feature stores about members."""

    feature: str
    tables: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # feedback table -> member-id columns
    erase: Erase | None = None  # run after the database delete succeeded


class PrivacyRegistry:
    """The member data of every feature, in registration order."""

    def __init__(self) -> None:
        self._parts: list[MemberData] = []

    def register(self, part: MemberData) -> None:
        if any(p.feature == part.feature for p in self._parts):
            raise ValueError(f"{part.feature} registered its member data twice")
        self._parts.append(part)

    def __iter__(self) -> Iterator[MemberData]:
        return iter(self._parts)

    def columns(self) -> set[tuple[str, str]]:
        """Every (table, column) some feature declared as holding member ids."""
        return {(table, column) for part in self._parts for table, columns in part.tables.items()
                for column in columns}

    async def erase_elsewhere(self, user_id: int) -> list[str]:
        """Run every feature's hook for data outside the database; the sentences for the reply."""
        said = []
        for part in self._parts:
            if part.erase is not None and (sentence := await part.erase(user_id)):
                said.append(sentence)
        return said
