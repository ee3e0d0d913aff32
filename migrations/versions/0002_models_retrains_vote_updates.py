"""Model registry, retrain jobs, and when a vote was last replaced.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Adds `updated_at` to both vote tables with batch operations, which on SQLite recreate the table
and copy its rows: the migration tests run this on a database holding votes, both ways.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("id", ID, nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.Column("activated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_model_versions_version")),
    )
    op.create_table(
        "retrain_jobs",
        sa.Column("id", ID, nullable=False),
        sa.Column("requested_by", sa.BigInteger(), nullable=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('running', 'succeeded', 'rejected', 'failed')",
                           name=op.f("ck_retrain_jobs_known_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retrain_jobs")),
    )
    op.create_index(op.f("ix_retrain_jobs_requested_by"), "retrain_jobs", ["requested_by"],
                    unique=False)
    with op.batch_alter_table("message_votes") as batch_op:
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("item_votes") as batch_op:
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("item_votes") as batch_op:
        batch_op.drop_column("updated_at")
    with op.batch_alter_table("message_votes") as batch_op:
        batch_op.drop_column("updated_at")
    op.drop_index(op.f("ix_retrain_jobs_requested_by"), table_name="retrain_jobs")
    op.drop_table("retrain_jobs")
    op.drop_table("model_versions")
