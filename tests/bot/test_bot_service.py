"""Services against a real tiny model and a real migrated SQLite store."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.admin.retrain import RetrainRun
from bot.admin.service import RetrainBusy
from bot.errors import UserError
from bot.recommend.service import DidYouMean, Recommended
from bot.services import Services
from feedback import VoteStatus
from recommender.events import DoneEvent
from tests.bot.bot_helpers import USER_ID


async def _recommend(services: Services, query: str, **kw) -> Recommended | DidYouMean:
    return await services.recommend.recommend(user_id=USER_ID, guild_id=1, channel_id=2, query=query, **kw)


async def test_confident_title_is_recommended_and_recorded(services: Services) -> None:
    out = await _recommend(services, "Wednesday", k=4)
    assert isinstance(out, Recommended)
    assert out.result.query.title == "Wednesday: Season 1"
    assert len(out.result.items) == 4
    card = out.card
    assert "Wednesday: Season 1" in card.title
    assert services.model.recommender.version in card.footer
    exported = await services.store.export_user(USER_ID)
    assert str(exported).count("Wednesday") >= 1


async def test_filters_are_applied_and_validated(services: Services) -> None:
    out = await _recommend(services, "Wednesday", k=5, content_type="movie", language="english")
    assert isinstance(out, Recommended)
    assert {r.item.content_type for r in out.result.items} == {"Movie"}
    assert {r.item.language for r in out.result.items} == {"English"}
    with pytest.raises(UserError, match="language"):
        await _recommend(services, "Wednesday", language="Klingon")
    with pytest.raises(UserError, match="between 1 and"):
        await _recommend(services, "Wednesday", k=0)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", "give a title"),
        ("   ", "give a title"),
        ("x" * 6000, "6,000 characters"),
        ("🎬🍿🎥", "no letters"),
    ],
)
async def test_garbage_titles_get_clear_messages(services: Services, query: str, expected: str) -> None:
    with pytest.raises(UserError, match=expected):
        await _recommend(services, query)


async def test_sql_looking_title_is_just_text(services: Services) -> None:
    out = await _recommend(services, "'; DROP TABLE votes; --")
    assert isinstance(out, DidYouMean)
    assert "DROP TABLE" in out.text
    ok = await _recommend(services, "Wednesday")  # the database is intact
    assert isinstance(ok, Recommended)


async def test_weak_match_offers_candidates(services: Services) -> None:
    out = await _recommend(services, "Stranger")
    assert isinstance(out, DidYouMean)
    assert 1 <= len(out.candidates) <= 5
    assert "Stranger Things" in out.text


async def test_autocomplete_limits(services: Services) -> None:
    pairs = await services.recommend.autocomplete("wedn")
    assert pairs[0][0] == "Wednesday: Season 1"
    assert len(pairs) <= 25
    assert all(len(n) <= 100 and len(v) <= 100 for n, v in pairs)
    assert len(await services.recommend.autocomplete("")) == 25
    # No letters: treated like an empty prefix (the most-watched titles), not an error.
    assert await services.recommend.autocomplete("🎬" * 300) == await services.recommend.autocomplete("")


async def test_votes(services: Services) -> None:
    out = await _recommend(services, "Wednesday")
    assert isinstance(out, Recommended)
    refused = await services.votes.vote_message(message_id=123, user_id=USER_ID, value=1)
    assert refused.status is VoteStatus.REJECTED and "not a recommendation" in refused.detail
    journal = services.settings.outbox_path
    assert not journal.exists() or not journal.read_text(encoding="utf-8")  # never journaled
    await services.votes.attach_message(out.request_id, 123)
    assert (await services.votes.vote_message(message_id=123, user_id=USER_ID, value=1)).status is VoteStatus.STORED
    text = await services.votes.vote_item(request_id=out.request_id, rank=2, user_id=USER_ID, value=-1)
    assert "#2" in text
    with pytest.raises(UserError):
        await services.votes.vote_item(request_id=out.request_id, rank=99, user_id=USER_ID, value=1)
    stats = await services.store.feedback_stats()
    assert [(s.version, s.up, s.down) for s in stats if s.total] == [(services.model.recommender.version, 1, 0)]
    assert "👍 1" in (await services.admin.stats_card()).description
    retracted = await services.votes.retract_message_vote(message_id=123, user_id=USER_ID, value=1)
    assert retracted.status is VoteStatus.STORED
    assert [s for s in await services.store.feedback_stats() if s.total] == []


async def test_privacy_report_and_export_show_only_the_callers_data(services: Services) -> None:
    out = await _recommend(services, "Wednesday")
    await services.votes.attach_message(out.request_id, 321)
    await services.votes.vote_message(message_id=321, user_id=USER_ID, value=1)
    await services.votes.vote_message(message_id=321, user_id=USER_ID + 1, value=-1)
    report = await services.privacy.privacy_report(USER_ID)
    assert "1 recommendation request(s), 1 👍/👎 reaction(s), 0 item button vote(s)" in report
    assert "“Wednesday”" in report and "What Reelmate stores" in report
    assert "0 recommendation request(s), 1 👍/👎 reaction(s)" in await services.privacy.privacy_report(USER_ID + 1)
    exported = json.loads(await services.privacy.privacy_export(USER_ID))
    assert exported["user_id"] == USER_ID and [r["id"] for r in exported["requests"]] == [out.request_id]
    assert [v["value"] for v in exported["message_votes"]] == [1]


async def test_forget_deletes_user_data(services: Services) -> None:
    await _recommend(services, "Wednesday")
    text = await services.privacy.forget(USER_ID)
    assert "Done: deleted 1 record(s) about you" in text
    exported = await services.store.export_user(USER_ID)
    assert "Wednesday" not in str(exported)


async def test_retrain_is_one_at_a_time_and_hot_swaps(services: Services, monkeypatch) -> None:
    release = asyncio.Event()
    async def fake_run(cmd, progress=None, **_):
        assert "--progress" in cmd and "retrain" in cmd
        await release.wait()
        return RetrainRun(returncode=0, done=DoneEvent(version=services.model.recommender.version, path="/m",
                                                       activated=True, reason="better"))

    monkeypatch.setattr("bot.admin.service.run_retrain", fake_run)
    old = services.model.recommender
    first = asyncio.create_task(services.admin.retrain(requested_by=1, guild_id=None))
    await asyncio.sleep(0.01)
    assert services.admin.retrain_running
    with pytest.raises(RetrainBusy):
        await services.admin.retrain(requested_by=2, guild_id=None)
    # /recommend keeps answering from the old model meanwhile
    assert isinstance(await _recommend(services, "Wednesday"), Recommended)
    release.set()
    outcome = await first
    assert outcome.status == "succeeded"
    assert services.model.recommender is not old  # a fresh load was swapped in
    jobs = await services.store.retrain_jobs()
    assert jobs[0]["status"] == "succeeded"


async def test_failed_retrain_is_recorded(services: Services, monkeypatch) -> None:
    async def fake_run(cmd, progress=None, **_):
        return RetrainRun(returncode=1, error="catalog is empty")

    monkeypatch.setattr("bot.admin.service.run_retrain", fake_run)
    old = services.model.recommender
    outcome = await services.admin.retrain(requested_by=1, guild_id=None)
    assert outcome.status == "failed" and "catalog is empty" in outcome.message
    assert services.model.recommender is old
    assert (await services.store.retrain_jobs())[0]["status"] == "failed"
