"""Reelmate's Discord bot and its offline console.

The command logic lives in :mod:`bot.service` (no Discord imports) so that the cogs and the console
are thin adapters over the same code; :func:`bot.app.create_bot` builds the discord.py client.
"""
