"""A local stand-in for Discord's REST API and gateway, for end-to-end tests of the real bot.

Unit tests cannot show that the bot logs in, registers its commands, answers an interaction
within Discord's 3-second deadline, sends embeds and buttons Discord accepts, or stays
responsive (answers heartbeats) during long work. This package runs a small aiohttp server on
127.0.0.1 that speaks the part of Discord a bot uses, so the unmodified discord.py client can be
driven from a test.

Usage::

    from tests.fakediscord import FakeDiscord

    async def test_recommend(tmp_path):
        async with FakeDiscord(token="test-token") as fake:   # also patches discord.py's URLs
            bot = make_bot()          # settings: DISCORD_API_BASE=fake.api_base,
                                      #           DISCORD_GATEWAY_URL=fake.gateway_url
            task = asyncio.create_task(bot.start("test-token"))
            try:
                await fake.wait_until_identified(5)
                await fake.wait_for(lambda: fake.registered_commands, what="command sync")
                inter = await fake.send_slash_command("recommend", {"title": "Dark"}, user=fake.member)
                body = await inter.wait_response(3)             # the callback {type, data}
                assert inter.responded_after < 3
                message = await inter.wait_final_message(10)    # after defer + edit/follow-up
                assert message["embeds"][0]["title"]
                await fake.dispatch_reaction_add(int(message["id"]), fake.member, "👍")
            finally:
                await bot.close()
                await task

Driver API (all on :class:`FakeDiscord`; see the docstrings for details):

* people: ``owner``, ``admin`` (MANAGE_GUILD), ``member``, ``bot_user``, ``add_member(name)``;
  ids: ``application_id``, ``guild_id``, ``channel_id``;
* interactions: ``send_slash_command(name, options, user=)``, ``send_autocomplete(name,
  options, focused=)``, ``send_component(custom_id, message_id, user=)`` return a
  :class:`FakeInteraction` (``wait_response``, ``responded_after``, ``choices``,
  ``wait_final_message``, ``messages()``);
* other events: ``dispatch_reaction_add/remove(message_id, user, emoji)``, ``dispatch(event, data)``;
* shards: ``FakeDiscord(shard_count=N)`` answers GET /gateway/bot with N, requires IDENTIFY's
  ``shard: [id, N]`` and routes each guild's events to shard ``(guild_id >> 22) % N``; the test
  guild is on the last shard, ``other_guild_ids`` put one guild on every other shard;
  ``shard_sessions()`` maps shard id to its live session;
* connection: ``wait_until_identified(timeout, count=)``, ``disconnect_all()``,
  ``send_reconnect()``, ``invalidate_sessions()``, ``heartbeats_received``, ``heartbeat_times``,
  ``identifies``, ``resumes``;
* what the bot did: ``registered_commands``, ``messages`` (by id), ``bot_messages()``,
  ``reactions`` (a member's reaction the bot removed is gone from it, and the removal is sent to the
  bot as MESSAGE_REACTION_REMOVE, as Discord does), ``bot_reacted()``, ``attachments``, ``requests``,
  ``unknown_requests``, ``server_errors``; ``wait_for(predicate, timeout)`` waits on any of it.

Import path: ``tests`` has no ``__init__.py``, so ``tests.fakediscord`` is found as a namespace
package when the repository root is on ``sys.path`` (``python -m pytest`` from the root does that).
"""

from .gateway import GatewaySession
from .interactions import FakeInteraction
from .payloads import FakeUser
from .server import CommandRejected, FakeDiscord, RecordedRequest

__all__ = [
    "CommandRejected",
    "FakeDiscord",
    "FakeInteraction",
    "FakeUser",
    "GatewaySession",
    "RecordedRequest",
]
