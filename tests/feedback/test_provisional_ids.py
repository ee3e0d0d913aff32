"""Provisional request ids (a /recommend answered while the database was busy, recorded later
through the outbox): a burst of them in one millisecond must neither repeat nor come within reach
of the ids SQLite hands out after each stored one (those continue from it)."""

from __future__ import annotations

import itertools

import pytest

from feedback import requests


def test_a_burst_of_provisional_ids_in_one_millisecond_stays_far_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(requests, "_last_provisional_ms", 0)  # restored after the test
    monkeypatch.setattr(requests.time, "time", lambda: 1_800_000_000.0)  # the whole burst in one millisecond
    extremes = itertools.cycle([(1 << 16) - 1, 0, (1 << 16) - 1])  # the worst random bits for each next id
    monkeypatch.setattr(requests.secrets, "randbits", lambda bits: next(extremes))
    ids = [requests.provisional_request_id() for _ in range(6)]
    # each next id lies beyond the 65,536 ids the database may hand out after the one before
    assert all(later - earlier > 1 << 16 for earlier, later in itertools.pairwise(ids))
