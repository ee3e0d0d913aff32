"""Seen marks, no repeats and A/B arms through the services (real store, real model, no Discord)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.errors import UserError
from bot.recommend.service import Recommended
from bot.services import Services
from feedback import FeedbackStore, VoteStatus
from feedback.experiments import CHALLENGER, CONTROL
from recommender import artifacts
from recommender.serving import Recommender
from tests.bot.conftest import make_settings
from tests.bot.experiment_helpers import CHALLENGER_VERSION, add_challenger


async def _ids(services: Services, user_id: int, title: str = "Wednesday", k: int = 5) -> list[int]:
    outcome = await services.recommend.recommend(user_id=user_id, guild_id=None, channel_id=None, query=title, k=k)
    assert isinstance(outcome, Recommended)
    return [r.item.item_id for r in outcome.result.items]


async def test_seen_titles_leave_that_members_lists_only(services: Services) -> None:
    first = await _ids(services, user_id=1, title="Squid Game")
    text = await services.seen.mark_seen(user_id=1, query=f"#{first[0]}")
    assert isinstance(text, str) and "Marked" in text
    assert "already" in str(await services.seen.mark_seen(user_id=1, query=f"#{first[0]}"))
    later = await _ids(services, user_id=1, title="Stranger Things")
    assert first[0] not in later
    assert first[0] in await _ids(services, user_id=2, title="Squid Game")  # another member still gets it


async def test_a_repeated_query_keeps_the_upvoted_titles_first_then_fresh_ones(services: Services) -> None:
    outcome = await services.recommend.recommend(user_id=5, guild_id=None, channel_id=None, query="Wednesday", k=5)
    assert isinstance(outcome, Recommended)
    first = [r.item.item_id for r in outcome.result.items]
    await services.votes.vote_item(request_id=outcome.request_id, rank=3, user_id=5, value=1)
    await services.votes.vote_item(request_id=outcome.request_id, rank=1, user_id=5, value=-1)
    again = await _ids(services, user_id=5)
    assert again[0] == first[2]  # the 👍 title stays, on top
    assert not set(again[1:]) & set(first)  # everything else is new
    assert await _ids(services, user_id=6) == first  # other members are unaffected


async def test_a_repeated_query_brings_back_no_franchise_of_its_recent_lists_then_comes_round(
        services: Services) -> None:
    """Fresh titles are fresh works (not `Lucifer: Season 1` after `Lucifer: Season 5`) for the next two
    asks; the fourth list comes back round to the first one's titles instead of running dry."""
    lists: list[set[str]] = []
    for _ in range(4):
        outcome = await services.recommend.recommend(user_id=8, guild_id=None, channel_id=None,
                                                     query="Ginny & Georgia: Season 2", k=5)
        assert isinstance(outcome, Recommended)
        keys = {r.item.franchise_key for r in outcome.result.items}
        assert keys and not keys & set().union(*lists[-2:]), [r.item.title for r in outcome.result.items]
        lists.append(keys)
    assert lists[3] & lists[0]


async def test_seen_item_button_is_journaled_and_refused_for_a_missing_rank(services: Services) -> None:
    outcome = await services.recommend.recommend(user_id=7, guild_id=None, channel_id=None, query="Wednesday", k=3)
    assert isinstance(outcome, Recommended)
    done = await (await services.seen.accept_seen_item(request_id=outcome.request_id, rank=2, user_id=7))
    assert done.status is VoteStatus.STORED
    assert await services.store.seen_item_ids(7) == {outcome.result.items[1].item.item_id}
    missing = await (await services.seen.accept_seen_item(request_id=outcome.request_id, rank=9, user_id=7))
    assert missing.status is VoteStatus.REJECTED and "rank 9" in missing.detail


@pytest.fixture
async def ab_service(tmp_path: Path, model_root_copy: Path, session_recommender: Recommender
                     ) -> AsyncIterator[Services]:
    add_challenger(model_root_copy)
    settings = make_settings(tmp_path, model_root_copy)
    store = await FeedbackStore.open(settings.resolved_database_url)
    services = Services(settings, store, session_recommender)
    try:
        yield services
    finally:
        await services.close()
        await store.close()


async def test_experiment_splits_members_records_arms_and_reports_both(ab_service: Services) -> None:
    services = ab_service
    with pytest.raises(UserError, match="no model version"):
        await services.experiments.start(version="nope", share=50, started_by=1)
    with pytest.raises(UserError, match="already the serving model"):
        await services.experiments.start(version=services.model.recommender.version, share=50, started_by=1)
    assert "started" in await services.experiments.start(version=CHALLENGER_VERSION, share=50, started_by=1)
    challenger = services.experiments.arms.challenger
    assert challenger is not None  # both arms rank with the votes, so the arms differ by model only
    assert services.votes.cache.channel_for(challenger) is not None
    assert services.votes.cache.channel_for(services.model.recommender) is not None
    with pytest.raises(UserError, match="still running"):
        await services.experiments.start(version=CHALLENGER_VERSION, share=10, started_by=1)
    seen_arms = {}
    for user in range(1, 13):
        outcome = await services.recommend.recommend(user_id=user, guild_id=None, channel_id=None, query="Wednesday",
                                                     k=3)
        assert isinstance(outcome, Recommended)
        seen_arms[user] = outcome.result.model_version
        await services.votes.vote_item(request_id=outcome.request_id, rank=1, user_id=user, value=1 if user % 3 else -1)
    assert set(seen_arms.values()) == {services.model.recommender.version, CHALLENGER_VERSION}
    exported = await services.store.export_user(1)
    arm = exported["requests"][0]["arm"]
    assert arm in (CONTROL, CHALLENGER)
    assert (arm == CHALLENGER) == (seen_arms[1] == CHALLENGER_VERSION)
    card = await services.experiments.card()
    assert card is not None and "running" in card.description
    assert [name.split()[0] for name, _ in card.fields] == [CONTROL, CHALLENGER]
    assert sum(int(value.split(" of ")[1].split()[0]) for _, value in card.fields if " of " in value) == 12
    stopped = await services.experiments.stop()
    # the command it names runs as written (without the database, `evaluate --experiment` refuses)
    assert "stopped" in stopped and "evaluate --feedback-database <DATABASE_URL> --experiment 1`" in stopped
    outcome = await services.recommend.recommend(user_id=1, guild_id=None, channel_id=None, query="Squid Game", k=3)
    assert isinstance(outcome, Recommended) and outcome.result.model_version == services.model.recommender.version


async def test_a_running_experiments_challenger_survives_tidying_until_the_experiment_stops(
        ab_service: Services) -> None:
    services = ab_service
    root = services.settings.resolved_model_dir
    older = add_challenger(root, "20000101-000000-challenger")  # older than CURRENT: first in line for tidy
    await services.experiments.start(version=older, share=50, started_by=1)
    assert artifacts.pinned(root) == [older]
    artifacts.tidy(root, keep=1)  # what a retrain (the child process) or a restart does
    assert older in artifacts.list_versions(root) and services.experiments.arms.challenger is not None
    (root / artifacts.PINS).unlink()  # a restarted process re-pins from the store
    await services.experiments.arms.refresh(services.store, root)
    assert artifacts.pinned(root) == [older] and services.experiments.arms.challenger is not None
    assert artifacts.tidy(root, keep=1) == []  # CURRENT and the pinned challenger are all tidy could take
    await services.experiments.stop()
    assert artifacts.pinned(root) == []
    assert older in artifacts.tidy(root, keep=1)
    assert artifacts.current_version(root) in artifacts.list_versions(root)
