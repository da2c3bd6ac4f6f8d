"""search: folded search_text on the searchable tables, backfilled

Search ignores accents and case on SQLite and PostgreSQL alike ("garcia" finds "García"): each
searchable row keeps its free-text fields folded in ``search_text`` (see
``crm_app/models/search.py``), filled by the app on every write and here, once, for the rows
that exist. Plain ``ADD COLUMN``/``DROP COLUMN`` (SQLite >= 3.35 has both): no table rebuild.

Revision ID: 0003_search_fold
Revises: 0002
Create Date: 2026-12-07 07:20:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from crm_app.models.search import search_text

revision: str = '0003_search_fold'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The searchable fields as of this revision (the models may list others later: a later
# migration then backfills again).
SEARCH_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    'lead': (('first_name', 'last_name', 'company'),),
    'account': (('name', 'trade_name'), ('city',)),
    'contact': (('first_name', 'last_name', 'position'),),
    'opportunity': (('name',),),
    'product': (('name', 'sku', 'description'),),
    'activity': (('subject',),),
    'document': (('filename',),),
}
BATCH = 5_000


def upgrade() -> None:
    for table in SEARCH_FIELDS:
        op.add_column(table, sa.Column('search_text', sqlmodel.sql.sqltypes.AutoString(),
                                       server_default='', nullable=False))
    conn = op.get_bind()
    for table, sections in SEARCH_FIELDS.items():
        backfill(conn, table, sections)


def backfill(conn: sa.Connection, name: str, sections: tuple[tuple[str, ...], ...]) -> None:
    """Fill ``search_text`` of every row, ``BATCH`` rows at a time in id order."""
    fields = [f for section in sections for f in section]
    table = sa.table(name, sa.column('id'), sa.column('search_text'),
                     *[sa.column(f) for f in fields])
    update = (sa.update(table).where(table.c.id == sa.bindparam('_id'))
              .values(search_text=sa.bindparam('_text')))
    last = 0
    while True:
        rows = conn.execute(sa.select(table.c.id, *[table.c[f] for f in fields])
                            .where(table.c.id > last).order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            return
        last = rows[-1][0]
        params = []
        for row in rows:
            text = search_text(sections, dict(zip(fields, row[1:], strict=True)))
            if text:
                params.append({'_id': row[0], '_text': text})
        if params:
            conn.execute(update, params)


def downgrade() -> None:
    for table in reversed(SEARCH_FIELDS):
        op.drop_column(table, 'search_text')
