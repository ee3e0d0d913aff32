"""Helpers that keep one migration file right on SQLite and PostgreSQL (import them in versions/).

- `recreate_on_sqlite()`: batch mode for a change SQLite can only make by copying the table (a new
  table option such as AUTOINCREMENT, a changed CHECK). On other engines ALTER TABLE does it in
  place: PostgreSQL cannot drop a table that other tables reference, and gets nothing from a copy.
- `ID`: surrogate keys: BIGINT on PostgreSQL (a BIGSERIAL sequence, never reused), INTEGER on SQLite
  (the rowid alias; add `sqlite_autoincrement` where ids must never be reused there either).
- Write data fixes as plain SQL both engines speak (`substr`, `length`, `UPDATE ... WHERE`), never
  `INSERT OR IGNORE` / `PRAGMA`; upserts go through SQLAlchemy's per-dialect `on_conflict_*`.
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def recreate_on_sqlite() -> Literal["always", "auto"]:
    return "always" if op.get_context().dialect.name == "sqlite" else "auto"
