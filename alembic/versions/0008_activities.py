"""activities and tasks: quote link, outcome, reminder (issue 13)

An activity can now be linked to a quote (``quote_id``, indexed), keeps the outcome of a call
or meeting (``outcome``, "" for existing rows) and a task's reminder (``reminder_minutes``
before ``due_at`` and ``reminder_sent_at``). ``contact_id`` gets the index the other links
have. Plain ``ADD COLUMN``/``DROP COLUMN`` (batch mode for SQLite's foreign key); nothing
renamed, existing rows keep their values.

Revision ID: 0008_activities
Revises: 0007_personal_data
Create Date: 2026-12-07 21:40:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import crm_app.models.base
from alembic import op

revision: str = '0008_activities'
down_revision: str | None = '0007_personal_data'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('activity') as batch:
        batch.add_column(sa.Column('quote_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=200),
                                   server_default='', nullable=False))
        batch.add_column(sa.Column('reminder_minutes', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('reminder_sent_at', crm_app.models.base.UTCDateTime(),
                                   nullable=True))
        batch.create_foreign_key('fk_activity_quote_id_quote', 'quote', ['quote_id'], ['id'])
        batch.create_index(batch.f('ix_activity_quote_id'), ['quote_id'], unique=False)
        batch.create_index(batch.f('ix_activity_contact_id'), ['contact_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('activity') as batch:
        batch.drop_index(batch.f('ix_activity_contact_id'))
        batch.drop_index(batch.f('ix_activity_quote_id'))
        batch.drop_constraint('fk_activity_quote_id_quote', type_='foreignkey')
        batch.drop_column('reminder_sent_at')
        batch.drop_column('reminder_minutes')
        batch.drop_column('outcome')
        batch.drop_column('quote_id')
