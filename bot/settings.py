"""Bot settings: everything the recommender and the feedback store need plus what only the bot and console use.

Values come from the environment and `.env` (see `.env.example`); the token is a SecretStr so that
printing the settings, or an exception carrying them, never shows it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from feedback.settings import FeedbackSettings
from recommender.settings import RecommenderSettings

# The most recommendations one request may ask for: bounds MAX_K and /recommend's `k` option range.
K_CEILING = 50


class BotSettings(RecommenderSettings, FeedbackSettings):
    """Configuration of the Discord bot and the offline console."""

    discord_token: SecretStr | None = Field(
        default=None, description="Bot token; without one `python -m bot` opens the offline console."
    )
    admin_user_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Comma-separated Discord user ids allowed to /retrain anywhere."
    )
    dev_guild_id: int | None = Field(
        default=None, description="Sync commands to this guild only (instant) instead of globally (slow)."
    )
    default_k: int = Field(default=5, ge=1, le=K_CEILING)
    max_k: int = Field(default=20, ge=1, le=K_CEILING)
    log_level: str = Field(default="INFO")
    discord_api_base: str | None = Field(
        default=None, description="REST base, e.g. http://127.0.0.1:8080/api/v10 (proxy or test stand-in)."
    )
    discord_gateway_url: str | None = Field(default=None, description="Gateway URL, e.g. ws://127.0.0.1:8080/.")
    guild_ready_timeout: float = Field(default=2.0, ge=0, description="Seconds on_ready waits for guilds.")
    shard_count: Annotated[int, Field(ge=1)] | Literal["auto"] | None = Field(
        default=None,
        description="Gateway shards: a number, or `auto` for Discord's recommendation; unset = one connection.",
    )
    cooldown_rate: int = Field(default=3, ge=1, description="/recommend calls allowed per user ...")
    cooldown_per: float = Field(default=10.0, gt=0, description="... per this many seconds.")
    retrain_epochs: int | None = Field(default=None, ge=1, description="Epochs for /retrain; default: CLI's.")
    console_user_id: int = Field(default=1, description="The fixed local user id of the offline console.")
    vote_refresh_seconds: float = Field(
        default=300.0, ge=0,
        description="Seconds between re-reads of the vote statistics the ranking uses (also re-read at start "
                    "and after each retrain); 0 = only then.",
    )

    retrain_every: str | None = Field(
        default=None,
        description="Retrain in the background on a schedule: an interval (24h, 30m, 2d) or a number of new "
                    "votes (500votes); unset = only when an admin runs /retrain.",
    )

    @field_validator("retrain_every", mode="before")
    @classmethod
    def _retrain_every(cls, value: Any) -> Any:
        """Blank means off; anything else must parse (a typo fails at start, not silently never)."""
        if isinstance(value, str) and not value.strip():
            return None
        if value is not None:
            from bot.admin.every import RetrainEvery

            RetrainEvery.parse(str(value))
            return str(value).strip()
        return value

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        """Accept `1,2, 3` (what people write in .env) as well as a list."""
        if value is None:
            return []
        if isinstance(value, int):
            return [value]
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",")]
            return [int(p) for p in parts if p]
        return value

    @field_validator("shard_count", mode="before")
    @classmethod
    def _shard_count(cls, value: Any) -> Any:
        """`SHARD_COUNT=` (blank) means unset; `AUTO`, ` 2 ` are accepted as people write them."""
        if isinstance(value, str):
            value = value.strip().lower()
            return value if value == "auto" else (int(value) if value.isdigit() else (value or None))
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("discord_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: Any) -> Any:
        """An empty `DISCORD_TOKEN=` line in .env means "no token" (console), not an empty token."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    def token_value(self) -> str | None:
        return self.discord_token.get_secret_value() if self.discord_token else None
