"""Each cog's handlers with discord.py's Interaction replaced by a recording stand-in.

The services, model and SQLite store behind them are real; only the Discord transport is faked.
"""

from __future__ import annotations

import asyncio
import re

import discord
import pytest
from discord import app_commands

from bot.admin.cog import AdminCog, is_admin
from bot.admin.retrain import RetrainRun
from bot.admin.service import RetrainBusy
from bot.privacy.cog import PrivacyCog
from bot.recommend.cog import DidYouMeanView, RecommendCog, user_cooldown
from bot.seen.buttons import SEEN_TEMPLATE
from bot.services import Services
from bot.tree import AdminOnly, ReelmateTree
from bot.votes.buttons import VOTE_TEMPLATE, ItemVoteButton
from bot.votes.cog import VotesCog, reaction_vote
from recommender.events import DoneEvent, EpochEvent
from tests.bot.bot_helpers import ADMIN_ID, USER_ID, FakeBot, StubInteraction, reaction_payload


@pytest.fixture
def fbot(settings, services: Services) -> FakeBot:
    return FakeBot(settings, services, user_id=1)


async def _recommend(fbot: FakeBot, title: str, **kw) -> StubInteraction:
    inter = StubInteraction(fbot)
    cog = RecommendCog(fbot)  # type: ignore[arg-type]
    await cog.recommend.callback(cog, inter, title, **kw)
    return inter


# -- recommend -------------------------------------------------------------------------------------
async def test_recommend_defers_then_sends_embed_buttons_and_reactions(fbot: FakeBot) -> None:
    inter = await _recommend(fbot, "Wednesday", k=12)
    assert inter.response.deferred == {"ephemeral": False, "thinking": True}
    sent = inter.sent[-1]
    assert sent.kind == "followup" and not sent.ephemeral
    assert "Wednesday: Season 1" in sent.embed.title
    assert fbot.services.model.recommender.version in sent.embed.footer.text
    ids = [item.custom_id for item in sent.view.children]
    assert len(ids) == 21  # 10 items x up/down, and "Seen it" in the last row: five rows of at most 5
    assert all(re.fullmatch(VOTE_TEMPLATE, i) for i in ids[:20])
    assert re.fullmatch(SEEN_TEMPLATE, ids[20])
    message = inter.messages[-1]
    assert message.reactions == ["👍", "👎"]
    # the message was attached to the request, so reactions on it count
    assert (await fbot.services.votes.vote_message(message_id=message.id, user_id=USER_ID, value=1)).status == "stored"


async def test_weak_match_is_ephemeral_did_you_mean_and_click_recommends(fbot: FakeBot) -> None:
    inter = await _recommend(fbot, "Stranger")
    sent = inter.sent[-1]
    assert sent.ephemeral and "Did you mean" in sent.content
    view = sent.view
    assert isinstance(view, DidYouMeanView)
    other = StubInteraction(fbot, user_id=999)
    assert not await view.interaction_check(other)  # only the asker can pick
    click = StubInteraction(fbot)
    assert await view.interaction_check(click)
    await view.children[0].callback(click)
    assert "Stranger Things" in click.sent[-1].embed.title


async def test_bad_options_are_refused_before_deferring(fbot: FakeBot) -> None:
    from bot.errors import UserError

    inter = StubInteraction(fbot)
    cog = RecommendCog(fbot)  # type: ignore[arg-type]
    with pytest.raises(UserError, match="language"):
        await cog.recommend.callback(cog, inter, "Wednesday", language="Klingon")
    assert not inter.response.is_done()  # the tree's error handler can still answer ephemerally


async def test_autocomplete_choices(fbot: FakeBot) -> None:
    cog = RecommendCog(fbot)  # type: ignore[arg-type]
    inter = StubInteraction(fbot, type=discord.InteractionType.autocomplete)
    choices = await cog.title_autocomplete(inter, "wedn")
    assert choices[0].name == "Wednesday: Season 1" and len(choices) <= 25
    langs = await cog.language_autocomplete(inter, "kor")
    assert [c.value for c in langs] == ["Korean"]


async def test_cooldown_factory_reads_settings(fbot: FakeBot) -> None:
    cd = user_cooldown(StubInteraction(fbot))  # type: ignore[arg-type]
    assert (cd.rate, cd.per) == (fbot.settings.cooldown_rate, fbot.settings.cooldown_per)


async def test_item_vote_button_from_custom_id(fbot: FakeBot) -> None:
    inter = await _recommend(fbot, "Wednesday")
    custom_id = inter.sent[-1].view.children[3].custom_id  # rank 2, down
    match = re.fullmatch(VOTE_TEMPLATE, custom_id)
    press = StubInteraction(fbot)
    button = await ItemVoteButton.from_custom_id(press, None, match)  # type: ignore[arg-type]
    await button.callback(press)
    assert press.sent[-1].ephemeral and "Recorded 👎 for recommendation #2" in press.sent[-1].content
    bad = await ItemVoteButton.from_custom_id(press, None, re.fullmatch(VOTE_TEMPLATE, "reelmate:vote:999999:1:up"))
    press2 = StubInteraction(fbot)
    await bad.callback(press2)
    assert press2.sent[-1].ephemeral and "Sorry" not in press2.sent[-1].content


# -- feedback --------------------------------------------------------------------------------------
async def test_reaction_listener(fbot: FakeBot) -> None:
    inter = await _recommend(fbot, "Wednesday")
    mid = inter.messages[-1].id
    cog = VotesCog(fbot)  # type: ignore[arg-type]
    await cog.on_raw_reaction_add(reaction_payload(message_id=mid, user_id=1, emoji="👍"))  # the bot
    await cog.on_raw_reaction_add(reaction_payload(message_id=mid, user_id=USER_ID, emoji="👍"))
    await cog.on_raw_reaction_add(reaction_payload(message_id=mid, user_id=7, emoji="👎", custom_id=5))
    assert tuple(await fbot.services.store.message_counts(mid)) == (1, 0)
    await cog.on_raw_reaction_remove(reaction_payload(message_id=mid, user_id=USER_ID, emoji="👍",
                                                      event="REACTION_REMOVE"))
    assert tuple(await fbot.services.store.message_counts(mid)) == (0, 0)
    # reactions on unrelated messages are ignored quietly
    await cog.on_raw_reaction_add(reaction_payload(message_id=12345, user_id=USER_ID, emoji="👍"))


def test_reaction_vote_mapping() -> None:
    assert reaction_vote(1, reaction_payload(message_id=1, user_id=2, emoji="👎")) == -1
    assert reaction_vote(2, reaction_payload(message_id=1, user_id=2, emoji="👍")) is None
    assert reaction_vote(1, reaction_payload(message_id=1, user_id=2, emoji="❤️")) is None


async def test_feedback_stats_command(fbot: FakeBot) -> None:
    cog = AdminCog(fbot)  # type: ignore[arg-type]
    inter = StubInteraction(fbot)
    await cog.feedback_stats.callback(cog, inter)
    assert inter.sent[-1].embed.title == "Feedback per model"


# -- admin -----------------------------------------------------------------------------------------
def test_admin_check(fbot: FakeBot) -> None:
    assert is_admin(StubInteraction(fbot, user_id=ADMIN_ID, guild_id=None))  # type: ignore[arg-type]
    assert is_admin(StubInteraction(fbot, manage_guild=True))  # type: ignore[arg-type]
    with pytest.raises(AdminOnly, match="Manage Server"):
        is_admin(StubInteraction(fbot))  # type: ignore[arg-type]
    with pytest.raises(AdminOnly):  # Manage Server means nothing in DMs
        is_admin(StubInteraction(fbot, guild_id=None, manage_guild=True))  # type: ignore[arg-type]


async def test_retrain_command_edits_progress_and_refuses_a_second(fbot: FakeBot, monkeypatch) -> None:
    gate = asyncio.Event()

    async def fake_run(cmd, progress=None, **_):
        for e in range(1, 4):
            await progress(EpochEvent(epoch=e, epochs=3, loss=1.0 / e, seconds=0.1))
        await gate.wait()
        return RetrainRun(returncode=0, done=DoneEvent(version="v-x", path="/m/v-x", activated=False, reason="worse"))

    monkeypatch.setattr("bot.admin.service.run_retrain", fake_run)
    cog = AdminCog(fbot)  # type: ignore[arg-type]
    cog.status_interval = 0.0
    inter = StubInteraction(fbot, user_id=ADMIN_ID)
    task = asyncio.create_task(cog.retrain.callback(cog, inter))
    for _ in range(100):
        if fbot.services.admin.retrain_running and inter.edits:
            break
        await asyncio.sleep(0.01)
    with pytest.raises(RetrainBusy):
        await cog.retrain.callback(cog, StubInteraction(fbot, user_id=ADMIN_ID))
    gate.set()
    await task
    assert inter.sent[0].content.startswith("🛠️ Retraining started")
    assert "epoch 3/3" in inter.edits[-1] and "kept the current model" in inter.edits[-1]
    assert "epoch 1/3" not in inter.edits[-1]  # epoch lines replace each other
    assert (await fbot.services.store.retrain_jobs())[0]["status"] == "rejected"


async def test_model_command(fbot: FakeBot) -> None:
    cog = AdminCog(fbot)  # type: ignore[arg-type]
    inter = StubInteraction(fbot)
    await cog.model.callback(cog, inter)
    assert fbot.services.model.recommender.version in inter.sent[-1].embed.description


# -- privacy ---------------------------------------------------------------------------------------
async def test_privacy_and_forget_me(fbot: FakeBot) -> None:
    await _recommend(fbot, "Wednesday")
    cog = PrivacyCog(fbot)  # type: ignore[arg-type]
    inter = StubInteraction(fbot)
    await cog.privacy.callback(cog, inter)
    assert inter.sent[-1].ephemeral and "user id" in inter.sent[-1].content
    assert "1 recommendation request(s)" in inter.sent[-1].content  # what is stored about the caller
    ask = StubInteraction(fbot)
    await cog.forget_me.callback(cog, ask)
    view = ask.sent[-1].view
    assert ask.sent[-1].ephemeral
    cancel = StubInteraction(fbot)
    await view.cancel.callback(cancel)
    assert "nothing was deleted" in cancel.sent[-1].content
    assert "Wednesday" in str(await fbot.services.store.export_user(USER_ID))
    ask2 = StubInteraction(fbot)
    await cog.forget_me.callback(cog, ask2)
    confirm = StubInteraction(fbot)
    await ask2.sent[-1].view.confirm.callback(confirm)
    assert confirm.sent[-1].content == "Deleting your data…"  # answered before the (maybe slow) delete
    assert "Done: deleted" in confirm.edits[-1]
    assert "Wednesday" not in str(await fbot.services.store.export_user(USER_ID))


# -- the tree's error handler ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "error, expected",
    [
        (app_commands.CommandOnCooldown(app_commands.Cooldown(1, 10), 7.2), "again in 7 s"),
        (AdminOnly("Only Reelmate admins"), "Only Reelmate admins"),
        (app_commands.CheckFailure(), "not allowed"),
    ],
)
async def test_tree_on_error_answers_ephemerally(fbot: FakeBot, error, expected: str) -> None:
    tree = ReelmateTree(discord.Client(intents=discord.Intents.none()))
    inter = StubInteraction(fbot)
    await tree.on_error(inter, error)  # type: ignore[arg-type]
    assert inter.sent[-1].ephemeral and expected in inter.sent[-1].content


async def test_tree_on_error_hides_internal_errors(fbot: FakeBot, caplog) -> None:
    from bot.errors import UserError

    tree = ReelmateTree(discord.Client(intents=discord.Intents.none()))
    inter = StubInteraction(fbot)
    await inter.response.defer(thinking=True)
    boom = RuntimeError("secret-internal-detail token=abc")
    cmd = RecommendCog(fbot).recommend  # type: ignore[arg-type]
    await tree.on_error(inter, app_commands.CommandInvokeError(cmd, boom))  # type: ignore[arg-type]
    sent = inter.sent[-1]
    assert sent.kind == "followup" and sent.ephemeral
    assert "something went wrong" in sent.content and "secret-internal-detail" not in sent.content
    assert "secret-internal-detail" in caplog.text  # but the log has it
    inter2 = StubInteraction(fbot)
    await tree.on_error(inter2, app_commands.CommandInvokeError(cmd, UserError("k must be small")))  # type: ignore[arg-type]
    assert inter2.sent[-1].content == "k must be small"
