"""Members' co-likes reach the bot's ranking through the vote cache: votes in the store, one bulk read."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.recommend.service import Recommended
from bot.services import Services
from bot.settings import BotSettings
from feedback import FeedbackStore
from recommender.ranking.votes import VoteSettings
from recommender.serving import Recommender
from tests.bot.bot_helpers import USER_ID


async def test_a_like_on_another_list_lifts_a_title_for_what_the_member_asked_about(
    settings: BotSettings, store: FeedbackStore, model_root: Path
) -> None:
    rec = Recommender.load(model_root)  # this instance only: the session model stays as it is
    rec.vote_settings = VoteSettings(weight=0.5, co_like_weight=1.0, co_like_shortlist=200)
    services = Services(settings.model_copy(update={"vote_refresh_seconds": 0.0, "max_k": 20}), store, rec)
    try:
        members = range(USER_ID, USER_ID + 8)
        lists = {}
        for query in ("Wednesday", "Stranger Things"):  # every member asks about both and votes on both lists
            for member in members:
                out = await services.recommend.recommend(user_id=member, guild_id=1, channel_id=2, query=query, k=20)
                assert isinstance(out, Recommended)
                lists[query, member] = out
        first = lists["Wednesday", USER_ID]
        shown = [r.item.title for r in first.result.items]
        other = [r.item.title for r in lists["Stranger Things", USER_ID].result.items]
        # A title on Stranger Things' list that Wednesday's list ranks 20th or lower (or not at all).
        target = next(t for t in other if t not in shown[:19] and t != first.result.query.title)
        for member in members:
            theirs = lists["Stranger Things", member]
            rank = next(r.rank for r in theirs.result.items if r.item.title == target)
            await store.vote_item(request_id=theirs.request_id, rank=rank, user_id=member, value=1)
            await store.vote_item(request_id=lists["Wednesday", member].request_id, rank=1, user_id=member, value=1)
        channel = await services.votes.cache.refresh(rec)
        assert channel is not None
        row, target_row = channel.row_of.get(first.result.query.title), channel.row_of.get(target)
        assert row is not None and target_row is not None
        # Nobody voted on (Wednesday, target), yet the members who asked about Wednesday liked it.
        assert channel.rate_delta(row)[target_row] == 0.0
        assert channel.co_likes(row, np.array([target_row]))[0] > 0.5
    finally:
        await services.close()
