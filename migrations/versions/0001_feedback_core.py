"""Feedback core: requests, recommended items, messages, message and item votes.

Revision ID: 0001
Revises:
Create Date: 2026-11-27

"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# BIGINT surrogate keys on PostgreSQL, INTEGER (the auto-incrementing rowid) on SQLite.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "recommendation_requests",
        sa.Column("id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("query", sa.String(length=500), nullable=False),
        sa.Column("resolved_item_id", sa.Integer(), nullable=True),
        sa.Column("resolved_title", sa.String(length=500), nullable=True),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation_requests")),
    )
    op.create_index(op.f("ix_recommendation_requests_created_at"), "recommendation_requests",
                    ["created_at"], unique=False)
    op.create_index(op.f("ix_recommendation_requests_user_id"), "recommendation_requests",
                    ["user_id"], unique=False)
    op.create_index(op.f("ix_recommendation_requests_model_version"), "recommendation_requests",
                    ["model_version"], unique=False)

    op.create_table(
        "recommended_items",
        sa.Column("id", ID, nullable=False),
        sa.Column("request_id", ID, nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.CheckConstraint("rank >= 1", name=op.f("ck_recommended_items_rank_positive")),
        sa.ForeignKeyConstraint(["request_id"], ["recommendation_requests.id"],
                                name=op.f("fk_recommended_items_request_id_recommendation_requests"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommended_items")),
        sa.UniqueConstraint("request_id", "rank", name=op.f("uq_recommended_items_request_id_rank")),
    )

    op.create_table(
        "recommendation_messages",
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("request_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["recommendation_requests.id"],
            name=op.f("fk_recommendation_messages_request_id_recommendation_requests"),
            ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_recommendation_messages")),
    )
    op.create_index(op.f("ix_recommendation_messages_request_id"), "recommendation_messages",
                    ["request_id"], unique=False)

    op.create_table(
        "message_votes",
        sa.Column("id", ID, nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("value IN (-1, 1)", name=op.f("ck_message_votes_value_is_thumb")),
        sa.ForeignKeyConstraint(
            ["message_id"], ["recommendation_messages.message_id"],
            name=op.f("fk_message_votes_message_id_recommendation_messages"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_votes")),
        sa.UniqueConstraint("message_id", "user_id", name=op.f("uq_message_votes_message_id_user_id")),
    )
    op.create_index(op.f("ix_message_votes_user_id"), "message_votes", ["user_id"], unique=False)

    op.create_table(
        "item_votes",
        sa.Column("id", ID, nullable=False),
        sa.Column("recommended_item_id", ID, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("value IN (-1, 1)", name=op.f("ck_item_votes_value_is_thumb")),
        sa.ForeignKeyConstraint(
            ["recommended_item_id"], ["recommended_items.id"],
            name=op.f("fk_item_votes_recommended_item_id_recommended_items"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_votes")),
        sa.UniqueConstraint("recommended_item_id", "user_id",
                            name=op.f("uq_item_votes_recommended_item_id_user_id")),
    )
    op.create_index(op.f("ix_item_votes_user_id"), "item_votes", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_item_votes_user_id"), table_name="item_votes")
    op.drop_table("item_votes")
    op.drop_index(op.f("ix_message_votes_user_id"), table_name="message_votes")
    op.drop_table("message_votes")
    op.drop_index(op.f("ix_recommendation_messages_request_id"), table_name="recommendation_messages")
    op.drop_table("recommendation_messages")
    op.drop_table("recommended_items")
    op.drop_index(op.f("ix_recommendation_requests_model_version"),
                  table_name="recommendation_requests")
    op.drop_index(op.f("ix_recommendation_requests_user_id"), table_name="recommendation_requests")
    op.drop_index(op.f("ix_recommendation_requests_created_at"),
                  table_name="recommendation_requests")
    op.drop_table("recommendation_requests")
