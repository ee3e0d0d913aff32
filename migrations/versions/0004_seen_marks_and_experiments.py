"""Seen marks, A/B experiments, and the arm recorded with every request.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

- seen_marks: titles a member marked as seen (their later lists skip them).
- experiments: an A/B test of a challenger model version on a share of the members.
- recommendation_requests gains experiment_id and arm (both NULL outside an experiment), added with
  a batch operation (plain ADD COLUMN on SQLite, no table copy; the same on PostgreSQL).
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "seen_marks",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seen_marks")),
        sa.UniqueConstraint("user_id", "item_id", name=op.f("uq_seen_marks_user_id_item_id")),
    )
    op.create_index(op.f("ix_seen_marks_user_id"), "seen_marks", ["user_id"], unique=False)
    op.create_table(
        "experiments",
        sa.Column("id", ID, nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("share", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("stopped_at", sa.DateTime(), nullable=True),
        sa.Column("started_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("share >= 1 AND share <= 99", name=op.f("ck_experiments_share_is_percent")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
    )
    op.create_index(op.f("ix_experiments_started_by"), "experiments", ["started_by"], unique=False)
    with op.batch_alter_table("recommendation_requests") as batch:
        batch.add_column(sa.Column("experiment_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("arm", sa.String(length=16), nullable=True))
        batch.create_index(batch.f("ix_recommendation_requests_experiment_id"), ["experiment_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("recommendation_requests", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_index(batch.f("ix_recommendation_requests_experiment_id"))
        batch.drop_column("arm")
        batch.drop_column("experiment_id")
    op.drop_index(op.f("ix_experiments_started_by"), table_name="experiments")
    op.drop_table("experiments")
    op.drop_index(op.f("ix_seen_marks_user_id"), table_name="seen_marks")
    op.drop_table("seen_marks")
