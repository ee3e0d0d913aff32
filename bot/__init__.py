"""Reelmate's Discord bot and its offline console, one package per feature.

Each feature (`recommend`, `votes`, `seen`, `experiments`, `privacy`, `admin`) keeps its logic in
`bot/<feature>/service.py` (no Discord imports), its slash commands in `cog.py` and its offline
console commands in `console.py`, so the cogs and the console are thin adapters over the same code.
Shared plumbing sits at the top: `services` (builds the features), `model` (the serving model),
`store` (the store protocol), `app` (the discord.py client), `console`, `render`, `settings`.
"""
