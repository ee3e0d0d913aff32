"""Request ids never reused, anonymised requests, retrain status as an Enum, one query limit.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

- recommendation_requests is recreated with AUTOINCREMENT (SQLite would otherwise give the id of
  the newest deleted request to the next one, after /forget-me or a purge); `user_id` becomes
  nullable so /forget-me can keep a request other members voted on, anonymised; `query` takes the
  recommender's MAX_QUERY_LENGTH (longer stored queries are cut to it first).
- retrain_jobs.status: the hand-written CHECK is replaced by the one SQLAlchemy's Enum generates.
Batch operations recreate both tables on SQLite (foreign keys are off during migrations and
`PRAGMA foreign_key_check` runs before the commit, see migrations/env.py). Other engines alter the
tables in place (`migrations.portable.recreate_on_sqlite`): PostgreSQL cannot drop a table other tables reference,
and needs no AUTOINCREMENT (its sequences never hand out an id twice).
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.portable import recreate_on_sqlite

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUERY_LENGTH = 200  # recommender.matching.MAX_QUERY_LENGTH when this revision was written
OLD_QUERY_LENGTH = 500
STATUSES = "'running', 'succeeded', 'rejected', 'failed'"


def upgrade() -> None:
    op.execute(f"UPDATE recommendation_requests SET query = substr(query, 1, {QUERY_LENGTH}) "
               f"WHERE length(query) > {QUERY_LENGTH}")
    with op.batch_alter_table(
        "recommendation_requests", recreate=recreate_on_sqlite(), table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.alter_column("user_id", existing_type=sa.BigInteger(), nullable=True)
        batch.alter_column("query", existing_type=sa.String(OLD_QUERY_LENGTH), type_=sa.String(QUERY_LENGTH),
                           existing_nullable=False)
    with op.batch_alter_table("retrain_jobs", recreate=recreate_on_sqlite()) as batch:
        batch.drop_constraint(op.f("ck_retrain_jobs_known_status"), type_="check")
        batch.create_check_constraint(op.f("ck_retrain_jobs_retrain_status"), f"status IN ({STATUSES})")


def downgrade() -> None:
    with op.batch_alter_table("retrain_jobs", recreate=recreate_on_sqlite()) as batch:
        batch.drop_constraint(op.f("ck_retrain_jobs_retrain_status"), type_="check")
        batch.create_check_constraint(op.f("ck_retrain_jobs_known_status"), f"status IN ({STATUSES})")
    # Anonymised requests have no asker any more; 0 is the "nobody" id the old schema can hold.
    op.execute("UPDATE recommendation_requests SET user_id = 0 WHERE user_id IS NULL")
    with op.batch_alter_table("recommendation_requests", recreate=recreate_on_sqlite()) as batch:
        batch.alter_column("user_id", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("query", existing_type=sa.String(QUERY_LENGTH), type_=sa.String(OLD_QUERY_LENGTH),
                           existing_nullable=False)
