"""`python -m bot`: the Discord bot with a DISCORD_TOKEN, the offline console without one.

On a fresh clone there is no model yet: both paths first train one from the configured catalog
through the same retrain path /retrain uses, printing epoch progress, so `make run` just works.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import TYPE_CHECKING

from bot.logging_setup import configure_logging
from bot.settings import BotSettings
from recommender.events import ErrorEvent, TrainingEvent

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger("bot")


async def ensure_model(settings: BotSettings, services: Services) -> None:
    """Load the current model; train one if there is none, or if it was trained on another catalog.

    Each outcome is said once: progress lines while training, then one line (or one error).
    """
    await services.startup()
    model = services.model
    if model.has_model and model.catalog_warning is None:
        return
    if model.has_model and not settings.catalog_path.is_file():
        print(f"! {model.catalog_warning}", flush=True)  # nothing to train on: keep serving what we have
        return
    if model.has_model:
        print(f"The catalog {settings.catalog_path} is not the one model {model.recommender.version} was "
              "trained on: training a model on it (the current one serves if this fails)…", flush=True)
    else:
        print(f"No model in {settings.resolved_model_dir} yet: training one from {settings.catalog_path} "
              "(only this once)…", flush=True)

    def progress(event: TrainingEvent) -> None:
        if not isinstance(event, ErrorEvent):  # the outcome below carries the error, once
            print(f"  {event.describe()}", flush=True)

    # Nobody's request: recorded without a user id, so it is not "your /retrain run" in /privacy.
    outcome = await services.admin.retrain(requested_by=None, guild_id=None, progress=progress, gate=False)
    if not model.has_model:
        raise SystemExit(f"Could not train a first model: {outcome.message}")
    print(outcome.message if outcome.status == "succeeded" else f"! {outcome.message}", flush=True)


async def run_console(settings: BotSettings) -> int:
    from bot.console import Console
    from bot.services import Services
    from feedback import FeedbackStore

    store = await FeedbackStore.open(settings.resolved_database_url)
    try:
        services = Services(settings, store)
        try:
            await ensure_model(settings, services)
            await Console(services, user_id=settings.console_user_id).run()
        finally:
            await services.close()
    finally:
        await store.close()
    return 0


async def run_bot(settings: BotSettings) -> int:
    from bot.app import create_bot
    from bot.services import Services
    from feedback import FeedbackStore

    store = await FeedbackStore.open(settings.resolved_database_url)
    services = Services(settings, store)
    try:
        await ensure_model(settings, services)
    finally:
        await services.close()  # releases the outbox journal for the bot's own services
        await store.close()
    bot = create_bot(settings)
    async with bot:
        await bot.start(settings.token_value() or "")
    return 0


def log_level(settings: BotSettings, console: bool) -> str:
    """LOG_LEVEL if it was set; else INFO for the bot, WARNING for the console, whose terminal is its
    screen: lines such as "vote channel refreshed" would interleave with the answers a member reads."""
    if console and "log_level" not in settings.model_fields_set:
        return "WARNING"
    return settings.log_level


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.splitlines()[0])
    parser.add_argument("--console", action="store_true", help="offline console even if DISCORD_TOKEN is set")
    args = parser.parse_args(argv)
    settings = BotSettings()
    token = settings.token_value()
    console = not token or args.console
    configure_logging(log_level(settings, console), secrets=[token] if token else [])
    try:
        if not console:
            return asyncio.run(run_bot(settings))
        return asyncio.run(run_console(settings))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a clear last line instead of a traceback for known failures
        from feedback import StoreError

        if isinstance(exc, StoreError):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
