"""SQLAlchemy 2 models of the feedback store: the single source of truth for the schema.

Alembic revisions in `migrations/versions/` must describe exactly these tables; a test compares a
migrated real file with this metadata (`alembic.autogenerate.compare_metadata`) and fails on any
difference, so change both together (`alembic revision --autogenerate -m "..."` from the repo root).

Schema (all timestamps are naive UTC; Discord snowflakes are BIGINT):

- ``recommendation_requests``: one row per /recommend call. id PK, created_at (indexed, drives the
  retention purge), guild_id NULL (DMs), channel_id NULL, user_id (indexed; NULL once the asker
  used /forget-me while other members' votes hang off the request), query (<= the recommender's
  MAX_QUERY_LENGTH, the raw text the user typed; emptied when anonymised). AUTOINCREMENT on SQLite:
  ids are never reused, resolved_item_id NULL, resolved_title NULL, model_version NULL
  (indexed; plain text, not a foreign key, so a request is recorded even for an unregistered model),
  latency_ms.
- ``recommended_items``: the list shown. id PK, request_id FK -> requests ON DELETE CASCADE, rank
  (1-based), item_id, title, score. UNIQUE (request_id, rank).
- ``recommendation_messages``: the Discord message a request was posted in. message_id PK (the
  snowflake itself, so a reaction after a restart is found by id alone), request_id FK CASCADE
  (indexed), created_at.
- ``message_votes``: thumbs up/down reactions. id PK, message_id FK -> messages CASCADE, user_id,
  value (+1/-1, CHECK), created_at, updated_at. UNIQUE (message_id, user_id): one vote per user
  per message; a second reaction replaces the first, removing it deletes the row.
- ``item_votes``: per-item button votes. id PK, recommended_item_id FK -> items CASCADE, user_id,
  value (+1/-1, CHECK), created_at, updated_at. UNIQUE (recommended_item_id, user_id).
- ``model_versions``: id PK, version UNIQUE, metrics JSON (evaluation figures), active (at most one
  true, enforced by the store inside a transaction), registered_at, activated_at NULL.
- ``retrain_jobs``: id PK, requested_by NULL (NULL once that user's data is deleted), guild_id NULL,
  status (RetrainStatus: running|succeeded|rejected|failed, CHECK generated from the Enum),
  version NULL, error NULL, started_at, finished_at NULL.
- ``seen_marks``: titles a member marked as already seen (👀 reaction, "Seen it" button, /seen).
  id PK, user_id (indexed), item_id, title, source (reaction|button|command), created_at.
  UNIQUE (user_id, item_id): marking twice changes nothing. Their later lists skip these titles.
- ``experiments``: A/B tests between the serving model and a challenger version. id PK, version
  (the challenger), share (percent of members in the challenger arm, 1..99), started_at,
  stopped_at NULL (at most one NULL: one experiment at a time, enforced by the store),
  started_by NULL (NULL once that admin used /forget-me).
- ``server_libraries``: the titles a server (guild) has, imported by an admin with /library import.
  guild_id PK (one library per server; an import replaces it whole), imported_at, source_format (how
  the file was read), model_version (the catalog its titles were matched against), rows_read. Server
  data, not a member's: no user id is stored, so /privacy and /forget-me neither show nor touch it.
- ``server_library_titles``: one row per distinct title of a library. id PK, guild_id FK ->
  server_libraries ON DELETE CASCADE (indexed), position (file order), title, status
  (matched|doubtful|extra, CHECK), item_id NULL (the catalog id for matched and doubtful), doubt NULL
  (why a match is uncertain), details JSON (an extra title's year, type, genres, certification...),
  embedding NULL (an extra title's float32 vector under model_version). UNIQUE (guild_id, position).
- recommendation_requests also records ``experiment_id`` NULL (plain integer like model_version, so
  a request is never refused) and ``arm`` NULL ("control"/"challenger") of the running experiment.

Constraint names come from the naming convention below so that migrations (and SQLite batch
operations, which recreate tables) can refer to them by name on every backend.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from feedback.validation import MAX_QUERY_LENGTH, MAX_TITLE_LENGTH, MAX_VERSION_LENGTH


class RetrainStatus(enum.StrEnum):
    """Where a retrain job stands; stored as its text value, checked by the database."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    REJECTED = "rejected"
    FAILED = "failed"


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Surrogate keys: BIGINT on PostgreSQL (no wrap-around after years of votes), but plain INTEGER on
# SQLite, because only "INTEGER PRIMARY KEY" is the auto-incrementing rowid there.
IdType = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """Naive UTC now: SQLite has no time zones, so every timestamp is stored as naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


class RecommendationRequest(Base):
    __tablename__ = "recommendation_requests"
    # AUTOINCREMENT: SQLite would otherwise hand out the id of the newest deleted request again
    # (after /forget-me or a purge), and a vote button on an old message would hit a new request.
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - SQLAlchemy reads it, never mutated

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow, index=True)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)  # NULL once anonymised
    query: Mapped[str] = mapped_column(String(MAX_QUERY_LENGTH))
    resolved_item_id: Mapped[int | None] = mapped_column(Integer)
    resolved_title: Mapped[str | None] = mapped_column(String(MAX_TITLE_LENGTH))
    model_version: Mapped[str | None] = mapped_column(String(MAX_VERSION_LENGTH), index=True)
    latency_ms: Mapped[float] = mapped_column(Float)
    experiment_id: Mapped[int | None] = mapped_column(Integer, index=True)
    arm: Mapped[str | None] = mapped_column(String(16))

    items: Mapped[list[RecommendedItem]] = relationship(
        back_populates="request", cascade="all, delete-orphan", passive_deletes=True,
        order_by="RecommendedItem.rank",
    )
    messages: Mapped[list[RecommendationMessage]] = relationship(
        back_populates="request", cascade="all, delete-orphan", passive_deletes=True,
    )


class RecommendedItem(Base):
    __tablename__ = "recommended_items"
    __table_args__ = (
        UniqueConstraint("request_id", "rank"),
        CheckConstraint("rank >= 1", name="rank_positive"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("recommendation_requests.id", ondelete="CASCADE")
    )
    rank: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(MAX_TITLE_LENGTH))
    score: Mapped[float] = mapped_column(Float)

    request: Mapped[RecommendationRequest] = relationship(back_populates="items")


class RecommendationMessage(Base):
    __tablename__ = "recommendation_messages"

    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    request_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("recommendation_requests.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)

    request: Mapped[RecommendationRequest] = relationship(back_populates="messages")


class MessageVote(Base):
    __tablename__ = "message_votes"
    __table_args__ = (
        UniqueConstraint("message_id", "user_id"),
        CheckConstraint("value IN (-1, 1)", name="value_is_thumb"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("recommendation_messages.message_id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime())


class ItemVote(Base):
    __tablename__ = "item_votes"
    __table_args__ = (
        UniqueConstraint("recommended_item_id", "user_id"),
        CheckConstraint("value IN (-1, 1)", name="value_is_thumb"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    recommended_item_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("recommended_items.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime())


class ModelVersion(Base):
    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    version: Mapped[str] = mapped_column(String(MAX_VERSION_LENGTH), unique=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=False)
    registered_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime())


class RetrainJob(Base):
    __tablename__ = "retrain_jobs"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    requested_by: Mapped[int | None] = mapped_column(BigInteger, index=True)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[RetrainStatus] = mapped_column(
        Enum(RetrainStatus, name="retrain_status", native_enum=False, length=16, create_constraint=True,
             values_callable=lambda statuses: [s.value for s in statuses]),
        default=RetrainStatus.RUNNING,
    )
    version: Mapped[str | None] = mapped_column(String(MAX_VERSION_LENGTH))
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime())


class SeenMark(Base):
    __tablename__ = "seen_marks"
    __table_args__ = (UniqueConstraint("user_id", "item_id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    item_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(MAX_TITLE_LENGTH))
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)


class Experiment(Base):
    __tablename__ = "experiments"
    __table_args__ = (CheckConstraint("share >= 1 AND share <= 99", name="share_is_percent"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    version: Mapped[str] = mapped_column(String(MAX_VERSION_LENGTH))
    share: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime())
    started_by: Mapped[int | None] = mapped_column(BigInteger, index=True)


class ServerLibrary(Base):
    __tablename__ = "server_libraries"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    imported_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    source_format: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str | None] = mapped_column(String(MAX_VERSION_LENGTH))
    rows_read: Mapped[int] = mapped_column(Integer)


class ServerLibraryTitle(Base):
    __tablename__ = "server_library_titles"
    __table_args__ = (
        UniqueConstraint("guild_id", "position"),
        CheckConstraint("status IN ('matched', 'doubtful', 'extra')", name="status_is_known"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    guild_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("server_libraries.guild_id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(MAX_TITLE_LENGTH))
    status: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[int | None] = mapped_column(Integer)
    doubt: Mapped[str | None] = mapped_column(String(MAX_TITLE_LENGTH))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
