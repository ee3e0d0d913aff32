"""The fake Discord against the real discord.py client.

A minimal ``commands.Bot`` defined here (not the product bot) logs in, syncs its app commands
and answers interactions, so that a failure points at the stand-in rather than at Reelmate.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections.abc import AsyncIterator

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import CommandRejected, FakeDiscord

TOKEN = "test-token"
TITLES = ["Dark", "Dark Matter", "Darkest Hour", "Narcos", "The Crown"]


class VoteView(discord.ui.View):
    """A persistent-style button whose press edits the message (callback type 7)."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Good pick", custom_id="vote:up", style=discord.ButtonStyle.success)
    async def up(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content=f"thanks {interaction.user.name}", view=None)


def make_bot(fake: FakeDiscord, *, guild_sync: bool = True, shard_count: int | bool | None = False) -> commands.Bot:
    """A bot exercising each interaction shape the product bot uses; with `shard_count` (a number,
    or None to ask GET /gateway/bot) an AutoShardedBot."""
    options = {"command_prefix": commands.when_mentioned, "intents": discord.Intents.default(), "help_command": None,
               "guild_ready_timeout": 0.05}  # on_ready waits this long after the last GUILD_CREATE (default 2 s)
    if shard_count is False:
        bot = commands.Bot(**options)
    else:
        bot = commands.AutoShardedBot(shard_count=shard_count, **options)

        async def no_identify_wait(shard_id: int | None, *, initial: bool = False) -> None:
            """discord.py waits 5 s between shards for Discord's IDENTIFY rate limit; the fake has none."""

        bot.before_identify_hook = no_identify_wait  # type: ignore[method-assign]
    bot.raw_reactions = []  # type: ignore[attr-defined]
    bot.command_errors = []  # type: ignore[attr-defined]

    @bot.tree.command(description="Greets with an embed and reacts to its own reply")
    async def hello(interaction: discord.Interaction, name: str) -> None:
        embed = discord.Embed(title=f"Hello {name}", description="from the test bot", colour=0x00FF00)
        embed.add_field(name="asked by", value=interaction.user.name)
        await interaction.response.send_message(embed=embed)
        message = await interaction.original_response()
        await message.add_reaction("👍")

    async def title_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=t, value=t) for t in TITLES if current.lower() in t.lower()][:25]

    @bot.tree.command(description="Picks a title")
    @app_commands.autocomplete(title=title_autocomplete)
    async def pick(interaction: discord.Interaction, title: str, k: app_commands.Range[int, 1, 20] = 5) -> None:
        await interaction.response.send_message(f"{title}:{k}:{type(k).__name__}", ephemeral=True)

    @bot.tree.command(description="Defers, works, then follows up with a button")
    async def slow(interaction: discord.Interaction, delay: float = 0.2) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(delay)
        await interaction.followup.send("done thinking", view=VoteView())

    @bot.tree.command(description="Defers, then edits the original response")
    async def edit(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="edited original")

    @bot.tree.command(description="Moderators only")
    @app_commands.default_permissions(manage_guild=True)
    async def admin(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"manage_guild={interaction.permissions.manage_guild}")

    @bot.tree.command(description="Answers after the deadline")
    async def late(interaction: discord.Interaction, delay: float) -> None:
        await asyncio.sleep(delay)
        await interaction.response.send_message("too late")

    @bot.tree.error
    async def on_app_command_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        bot.command_errors.append(error)  # type: ignore[attr-defined]

    @bot.event
    async def on_raw_reaction_add(payload: discord.RawReactionActionEvent) -> None:
        bot.raw_reactions.append(payload)  # type: ignore[attr-defined]

    @bot.event
    async def on_raw_reaction_remove(payload: discord.RawReactionActionEvent) -> None:
        bot.raw_reactions.append(payload)  # type: ignore[attr-defined]

    async def setup_hook() -> None:
        if guild_sync:
            guild = discord.Object(fake.guild_id)
            bot.tree.copy_global_to(guild=guild)
            bot.tree.clear_commands(guild=None)
            await bot.tree.sync(guild=guild)
        else:
            await bot.tree.sync()

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot


@contextlib.asynccontextmanager
async def running(bot: commands.Bot, token: str = TOKEN, timeout: float = 5.0) -> AsyncIterator[commands.Bot]:  # noqa: ASYNC109 -- the helper's API
    """Run ``bot.start`` in a task until on_ready; close it and await the task on exit."""
    task = asyncio.create_task(bot.start(token))
    try:
        deadline = time.monotonic() + timeout
        while not bot.is_ready():
            if task.done():
                task.result()  # re-raises the start-up failure
                raise AssertionError("bot.start() returned before the bot was ready")
            if time.monotonic() > deadline:
                raise TimeoutError("bot did not become ready")
            await asyncio.sleep(0.01)
        yield bot
    finally:
        await bot.close()
        await asyncio.wait_for(task, 5)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(token=TOKEN) as server:
        yield server


def assert_clean(fake: FakeDiscord) -> None:
    """Every call the client made was understood by the fake."""
    assert fake.unknown_requests == []
    assert fake.server_errors == []


async def test_login_identify_and_guild_command_sync(fake: FakeDiscord) -> None:
    async with running(make_bot(fake)) as bot:
        assert bot.user is not None and bot.user.id == fake.application_id
        guild = bot.get_guild(fake.guild_id)
        assert guild is not None and guild.get_channel(fake.channel_id) is not None
        assert {r.name for r in guild.roles} == {"@everyone", "Moderator", "Reelmate"}

    assert fake.identifies == 1
    assert fake.gateway.connect_queries[0] == {"v": "10", "encoding": "json", "compress": "zlib-stream"}
    assert fake.global_commands == []
    commands_by_name = {c["name"]: c for c in fake.guild_commands[fake.guild_id]}
    assert set(commands_by_name) == {"hello", "pick", "slow", "edit", "admin", "late"}
    assert commands_by_name["admin"]["default_member_permissions"] == str(discord.Permissions(manage_guild=True).value)
    assert all(c["guild_id"] == str(fake.guild_id) for c in commands_by_name.values())
    assert_clean(fake)


async def test_global_sync_keeps_ids_across_resync(fake: FakeDiscord) -> None:
    async with running(make_bot(fake, guild_sync=False)) as bot:
        first = {c["name"]: c["id"] for c in fake.global_commands}
        synced = await bot.tree.sync()
        assert {c.name: str(c.id) for c in synced} == first
        inter = await fake.send_slash_command("pick", {"title": "Dark", "k": 3})
        await inter.wait_response()
    assert "guild_id" not in inter.payload["data"]
    assert_clean(fake)


async def test_slash_command_reply_with_embed(fake: FakeDiscord) -> None:
    async with running(make_bot(fake)):
        inter = await fake.send_slash_command("hello", {"name": "Ada"}, user=fake.member)
        body = await inter.wait_response(3)
        message = await inter.wait_final_message(3)
        await fake.wait_for(lambda: fake.bot_reacted(int(message["id"]), "👍"), 3, "the bot's own reaction")

    assert body["type"] == 4
    assert body["data"]["embeds"][0]["title"] == "Hello Ada"
    assert inter.responded_after is not None and inter.responded_after < 3
    assert message["embeds"][0]["fields"] == [{"name": "asked by", "value": "member", "inline": True}]
    assert message["author"]["id"] == str(fake.bot_user.id)
    assert message["interaction_metadata"]["user"]["id"] == str(fake.member.id)
    assert fake.bot_messages() == [message]
    assert_clean(fake)


async def test_autocomplete_choices_and_typed_options(fake: FakeDiscord) -> None:
    async with running(make_bot(fake)):
        auto = await fake.send_autocomplete("pick", {"title": "dar", "k": 3}, focused="title")
        await auto.wait_response()
        inter = await fake.send_slash_command("pick", {"title": "Dark", "k": 7})
        await inter.wait_response()
        with pytest.raises(CommandRejected, match="max_value"):
            await fake.send_slash_command("pick", {"title": "Dark", "k": 50})
        with pytest.raises(CommandRejected, match="required option 'title'"):
            await fake.send_slash_command("pick", {"k": 2})

    assert auto.response["type"] == 8
    assert [c["name"] for c in auto.choices] == ["Dark", "Dark Matter", "Darkest Hour"]
    options = {o["name"]: o for o in auto.payload["data"]["options"]}
    assert options["title"] == {"name": "title", "type": 3, "value": "dar", "focused": True}
    assert options["k"]["value"] == 3
    assert inter.response["data"]["content"] == "Dark:7:int"
    assert inter.response["data"]["flags"] & 64  # ephemeral
    assert_clean(fake)


async def test_deferred_follow_up_replaces_thinking_message_and_button_press(fake: FakeDiscord) -> None:
    async with running(make_bot(fake)):
        inter = await fake.send_slash_command("slow", {"delay": 0.2})
        body = await inter.wait_response(3)
        final = await inter.wait_final_message(3)
        press = await fake.send_component("vote:up", int(final["id"]), user=fake.admin)
        pressed = await press.wait_response(3)

        edit = await fake.send_slash_command("edit")
        edited = await edit.wait_final_message(3)

    assert body["type"] == 5 and inter.responded_after < 0.2
    assert final["content"] == "done thinking"
    assert final["components"][0]["components"][0]["custom_id"] == "vote:up"
    assert [m["id"] for m in inter.messages()] == [final["id"]]  # no extra message: the placeholder became it
    assert pressed["type"] == 7
    assert fake.messages[int(final["id"])]["content"] == "thanks admin"
    assert fake.messages[int(final["id"])]["components"] == []
    assert edited["content"] == "edited original" and edit.response_type == 5
    assert_clean(fake)


async def test_reaction_events_reach_the_bot(fake: FakeDiscord) -> None:
    async with running(make_bot(fake)) as bot:
        inter = await fake.send_slash_command("hello", {"name": "Bo"})
        message_id = int((await inter.wait_final_message())["id"])
        await fake.dispatch_reaction_add(message_id, fake.member, "👎")
        await fake.dispatch_reaction_remove(message_id, fake.member, "👎")
        await fake.wait_for(lambda: len(bot.raw_reactions) == 2, 3, "two reaction events")

    added, removed = bot.raw_reactions
    assert (added.event_type, added.message_id, added.user_id) == ("REACTION_ADD", message_id, fake.member.id)
    assert added.emoji.name == "👎" and added.guild_id == fake.guild_id
    assert added.member is not None and added.member.id == fake.member.id
    assert (removed.event_type, removed.emoji.name) == ("REACTION_REMOVE", "👎")
    assert fake.reactions[(message_id, "👎")] == []
    assert_clean(fake)


async def test_heartbeats_are_answered_and_a_blocked_loop_shows_as_a_gap() -> None:
    async with FakeDiscord(token=TOKEN, heartbeat_interval_ms=100) as fake, running(make_bot(fake)) as bot:
        await fake.wait_for(lambda: fake.heartbeats_received >= 4, 3, "four heartbeats")
        latency = bot.latency
        healthy_gap = fake.max_heartbeat_gap(since=fake.heartbeat_times[1])

        blocked_at = time.monotonic()
        time.sleep(0.4)  # noqa: ASYNC251 -- deliberately blocks the loop, as a synchronous retrain would
        beats = fake.heartbeats_received
        await fake.wait_for(lambda: fake.heartbeats_received > beats + 1, 3, "heartbeats after the block")
        blocked_gap = fake.max_heartbeat_gap(since=blocked_at)

    assert latency < 1.0  # finite: the client received our HEARTBEAT_ACKs
    assert healthy_gap < 0.3
    assert blocked_gap >= 0.35


async def test_wrong_token_is_login_failure(fake: FakeDiscord) -> None:
    bot = make_bot(fake)
    try:
        with pytest.raises(discord.LoginFailure):
            await bot.start("wrong-token")
    finally:
        await bot.close()
    assert [(r.path, r.status) for r in fake.requests] == [("/api/v10/users/@me", 401)]
    assert fake.identifies == 0


async def test_gateway_closes_4004_on_wrong_identify_token(fake: FakeDiscord) -> None:
    fake.gateway_token = "rotated-token"
    bot = make_bot(fake)
    try:
        with pytest.raises(discord.ConnectionClosed) as excinfo:
            await asyncio.wait_for(bot.start(TOKEN), 5)
    finally:
        await bot.close()
    assert excinfo.value.code == 4004
    assert fake.identifies == 0


async def test_server_side_disconnect_resumes_session(fake: FakeDiscord) -> None:
    async with running(make_bot(fake)):
        await fake.disconnect_all()
        await fake.wait_for(lambda: fake.resumes == 1 and fake.gateway.live_sessions(), 5, "a RESUME")
        inter = await fake.send_slash_command("hello", {"name": "again"})
        await inter.wait_final_message(3)
    assert fake.identifies == 1
    assert fake.gateway.connections == 2


async def test_restarted_bot_receives_reactions_on_earlier_messages(fake: FakeDiscord) -> None:
    async with running(make_bot(fake)):
        inter = await fake.send_slash_command("hello", {"name": "before restart"})
        message_id = int((await inter.wait_final_message())["id"])
        await fake.wait_for(lambda: fake.bot_reacted(message_id, "👍"), 3, "the bot's own reaction")

    async with running(make_bot(fake)) as second:
        await fake.wait_until_identified(3, count=2)
        await fake.dispatch_reaction_add(message_id, fake.admin, "👍")
        await fake.wait_for(lambda: second.raw_reactions, 3, "reaction on the restarted bot")
        fetched = await second.get_channel(fake.channel_id).fetch_message(message_id)

    assert second.raw_reactions[0].message_id == message_id
    assert fetched.author.id == fake.bot_user.id and fetched.embeds[0].title == "Hello before restart"
    assert {(str(r.emoji), r.count, r.me) for r in fetched.reactions} == {("👍", 2, True)}
    assert fake.identifies == 2
    assert_clean(fake)


async def test_two_shards_get_their_own_guilds_and_guild_events_go_to_their_shard() -> None:
    async with FakeDiscord(token=TOKEN, shard_count=2) as fake:
        async with running(make_bot(fake, shard_count=None)) as bot:  # asks GET /gateway/bot: 2
            sessions = fake.shard_sessions()
            assert sorted(sessions) == [0, 1] and {s.shard_count for s in sessions.values()} == {2}
            assert bot.shard_count == 2
            assert bot.get_guild(fake.guild_id).shard_id == 1 == (fake.guild_id >> 22) % 2
            [other] = fake.other_guild_ids
            assert bot.get_guild(other).shard_id == 0 == (other >> 22) % 2
            before = {n: s.seq for n, s in sessions.items()}
            inter = await fake.send_slash_command("hello", {"name": "shard"})
            message_id = int((await inter.wait_final_message(3))["id"])
            await fake.dispatch_reaction_add(message_id, fake.member, "👍")
            await fake.wait_for(lambda: bot.raw_reactions, 3, "the reaction on shard 1")
            assert sessions[1].seq == before[1] + 2 and sessions[0].seq == before[0]  # both went to shard 1
        assert fake.identifies == 2
        assert any(r.path == "/api/v10/gateway/bot" for r in fake.requests)
        assert_clean(fake)


async def test_sharding_required_and_invalid_shard_are_refused_like_discord() -> None:
    async with FakeDiscord(token=TOKEN, shard_count=2) as fake:
        for bot, code in ((make_bot(fake), 4011), (make_bot(fake, shard_count=3), 4010)):
            try:
                with pytest.raises(discord.ConnectionClosed) as excinfo:
                    await asyncio.wait_for(bot.start(TOKEN), 5)
            finally:
                await bot.close()
            assert excinfo.value.code == code
        assert fake.identifies == 0


async def test_zlib_stream_compressed_gateway() -> None:
    async with FakeDiscord(token=TOKEN, compress_gateway=True) as fake:
        async with running(make_bot(fake)):
            inter = await fake.send_slash_command("hello", {"name": "zlib"})
            await inter.wait_final_message(3)
        assert fake.gateway.compressed_connections == 1
        assert_clean(fake)


async def test_channel_messages_uploads_reactions_and_unknown_routes(fake: FakeDiscord) -> None:
    async with running(make_bot(fake)) as bot:
        channel = bot.get_channel(fake.channel_id)
        chart = discord.File(io.BytesIO(b"\x89PNG not really"), filename="chart.png")
        sent = await channel.send("plain", embed=discord.Embed(title="chart"), file=chart)
        await sent.edit(content="edited")
        await sent.add_reaction("🎬")
        await sent.remove_reaction("🎬", bot.user)
        doomed = await channel.send("bye")
        await doomed.delete()
        with pytest.raises(discord.NotFound):
            await bot.http.request(discord.http.Route("GET", "/guilds/{guild_id}/bans", guild_id=fake.guild_id))

    stored = fake.messages[sent.id]
    assert (stored["content"], stored["embeds"][0]["title"]) == ("edited", "chart")
    assert stored["author"]["id"] == str(fake.bot_user.id) and stored["edited_timestamp"]
    assert [a["filename"] for a in stored["attachments"]] == ["chart.png"]
    assert fake.attachments[int(stored["attachments"][0]["id"])] == b"\x89PNG not really"
    assert sent.attachments[0].filename == "chart.png"
    assert fake.reactions[(sent.id, "🎬")] == [] and not fake.bot_reacted(sent.id, "🎬")
    assert doomed.id not in fake.messages
    assert [r.path for r in fake.unknown_requests] == [f"/api/v10/guilds/{fake.guild_id}/bans"]
    assert fake.server_errors == []


async def test_default_member_permissions_and_deadline() -> None:
    async with FakeDiscord(token=TOKEN, interaction_deadline=0.3) as fake, running(make_bot(fake)) as bot:
        with pytest.raises(CommandRejected, match="default_member_permissions"):
            await fake.send_slash_command("admin", user=fake.member)
        allowed = await fake.send_slash_command("admin", user=fake.admin)
        await allowed.wait_response()

        late = await fake.send_slash_command("late", {"delay": 0.5})
        await fake.wait_for(lambda: late.rejected_callbacks, 3, "the late callback")
        await fake.wait_for(lambda: bot.command_errors, 3, "the bot's error handler")

    assert allowed.response["data"]["content"] == "manage_guild=True"
    assert late.response is None and late.rejected_callbacks[0][0] == 404
    error = bot.command_errors[0]
    assert isinstance(error.original, discord.NotFound) and error.original.code == 10062
