"""Server libraries: the titles a server has, imported by an admin.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

- server_libraries: one row per server (guild) that imported a library.
- server_library_titles: its distinct titles, matched to the catalog or kept as extra titles with
  their metadata and cold-start embedding.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "server_libraries",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("source_format", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_server_libraries")),
    )
    op.create_table(
        "server_library_titles",
        sa.Column("id", ID, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("doubt", sa.String(length=500), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint("status IN ('matched', 'doubtful', 'extra')",
                           name=op.f("ck_server_library_titles_status_is_known")),
        sa.ForeignKeyConstraint(["guild_id"], ["server_libraries.guild_id"],
                                name=op.f("fk_server_library_titles_guild_id_server_libraries"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_library_titles")),
        sa.UniqueConstraint("guild_id", "position", name=op.f("uq_server_library_titles_guild_id_position")),
    )
    op.create_index(op.f("ix_server_library_titles_guild_id"), "server_library_titles", ["guild_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_server_library_titles_guild_id"), table_name="server_library_titles")
    op.drop_table("server_library_titles")
    op.drop_table("server_libraries")
