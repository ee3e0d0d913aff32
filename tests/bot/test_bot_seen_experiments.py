"""Seen marks, no repeats and A/B arms through the service (real store, real model, no Discord)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.service import Recommended, RecommendService, UserError
from feedback import FeedbackStore, VoteStatus
from feedback.experiments import CHALLENGER, CONTROL
from recommender import artifacts
from recommender.serving import Recommender
from tests.bot.conftest import make_settings
from tests.bot.experiment_helpers import CHALLENGER_VERSION, add_challenger


async def _ids(service: RecommendService, user_id: int, title: str = "Wednesday", k: int = 5) -> list[int]:
    outcome = await service.recommend(user_id=user_id, guild_id=None, channel_id=None, query=title, k=k)
    assert isinstance(outcome, Recommended)
    return [r.item.item_id for r in outcome.result.items]


async def test_seen_titles_leave_that_members_lists_only(service: RecommendService) -> None:
    first = await _ids(service, user_id=1, title="Squid Game")
    text = await service.mark_seen(user_id=1, query=f"#{first[0]}")
    assert isinstance(text, str) and "Marked" in text
    assert "already" in str(await service.mark_seen(user_id=1, query=f"#{first[0]}"))
    later = await _ids(service, user_id=1, title="Stranger Things")
    assert first[0] not in later
    assert first[0] in await _ids(service, user_id=2, title="Squid Game")  # another member still gets it


async def test_a_repeated_query_keeps_the_upvoted_titles_first_then_fresh_ones(service: RecommendService) -> None:
    outcome = await service.recommend(user_id=5, guild_id=None, channel_id=None, query="Wednesday", k=5)
    assert isinstance(outcome, Recommended)
    first = [r.item.item_id for r in outcome.result.items]
    await service.vote_item(request_id=outcome.request_id, rank=3, user_id=5, value=1)
    await service.vote_item(request_id=outcome.request_id, rank=1, user_id=5, value=-1)
    again = await _ids(service, user_id=5)
    assert again[0] == first[2]  # the 👍 title stays, on top
    assert not set(again[1:]) & set(first)  # everything else is new
    assert await _ids(service, user_id=6) == first  # other members are unaffected


async def test_seen_item_button_is_journaled_and_refused_for_a_missing_rank(service: RecommendService) -> None:
    outcome = await service.recommend(user_id=7, guild_id=None, channel_id=None, query="Wednesday", k=3)
    assert isinstance(outcome, Recommended)
    done = await (await service.accept_seen_item(request_id=outcome.request_id, rank=2, user_id=7))
    assert done.status is VoteStatus.STORED
    assert await service.store.seen_item_ids(7) == {outcome.result.items[1].item.item_id}
    missing = await (await service.accept_seen_item(request_id=outcome.request_id, rank=9, user_id=7))
    assert missing.status is VoteStatus.REJECTED and "rank 9" in missing.detail


@pytest.fixture
async def ab_service(tmp_path: Path, model_root_copy: Path, session_recommender: Recommender
                     ) -> AsyncIterator[RecommendService]:
    add_challenger(model_root_copy)
    settings = make_settings(tmp_path, model_root_copy)
    store = await FeedbackStore.open(settings.resolved_database_url)
    service = RecommendService(settings, store, session_recommender)
    try:
        yield service
    finally:
        await service.close()
        await store.close()


async def test_experiment_splits_members_records_arms_and_reports_both(ab_service: RecommendService) -> None:
    service = ab_service
    with pytest.raises(UserError, match="no model version"):
        await service.start_experiment(version="nope", share=50, started_by=1)
    with pytest.raises(UserError, match="already the serving model"):
        await service.start_experiment(version=service.recommender.version, share=50, started_by=1)
    assert "started" in await service.start_experiment(version=CHALLENGER_VERSION, share=50, started_by=1)
    challenger = service.experiments.challenger
    assert challenger is not None  # both arms rank with the votes, so the arms differ by model only
    assert service.votes.channel_for(challenger) is not None
    assert service.votes.channel_for(service.recommender) is not None
    with pytest.raises(UserError, match="still running"):
        await service.start_experiment(version=CHALLENGER_VERSION, share=10, started_by=1)
    seen_arms = {}
    for user in range(1, 13):
        outcome = await service.recommend(user_id=user, guild_id=None, channel_id=None, query="Wednesday", k=3)
        assert isinstance(outcome, Recommended)
        seen_arms[user] = outcome.result.model_version
        await service.vote_item(request_id=outcome.request_id, rank=1, user_id=user, value=1 if user % 3 else -1)
    assert set(seen_arms.values()) == {service.recommender.version, CHALLENGER_VERSION}
    exported = await service.store.export_user(1)
    arm = exported["requests"][0]["arm"]
    assert arm in (CONTROL, CHALLENGER)
    assert (arm == CHALLENGER) == (seen_arms[1] == CHALLENGER_VERSION)
    card = await service.experiment_card()
    assert card is not None and "running" in card.description
    assert [name.split()[0] for name, _ in card.fields] == [CONTROL, CHALLENGER]
    assert sum(int(value.split(" of ")[1].split()[0]) for _, value in card.fields if " of " in value) == 12
    assert "stopped" in await service.stop_experiment()
    outcome = await service.recommend(user_id=1, guild_id=None, channel_id=None, query="Squid Game", k=3)
    assert isinstance(outcome, Recommended) and outcome.result.model_version == service.recommender.version


async def test_a_running_experiments_challenger_survives_tidying_until_the_experiment_stops(
        ab_service: RecommendService) -> None:
    service = ab_service
    root = service.settings.resolved_model_dir
    older = add_challenger(root, "20000101-000000-challenger")  # older than CURRENT: first in line for tidy
    await service.start_experiment(version=older, share=50, started_by=1)
    assert artifacts.pinned(root) == [older]
    artifacts.tidy(root, keep=1)  # what a retrain (the child process) or a restart does
    assert older in artifacts.list_versions(root) and service.experiments.challenger is not None
    (root / artifacts.PINS).unlink()  # a restarted process re-pins from the store
    await service.experiments.refresh(service.store, root)
    assert artifacts.pinned(root) == [older] and service.experiments.challenger is not None
    assert artifacts.tidy(root, keep=1) == []  # CURRENT and the pinned challenger are all tidy could take
    await service.stop_experiment()
    assert artifacts.pinned(root) == []
    assert older in artifacts.tidy(root, keep=1)
    assert artifacts.current_version(root) in artifacts.list_versions(root)
