"""agenda: shared calendars, per-user ICS feed, an activity's calendar, end and place

``calendar`` holds the shared calendars an admin creates ("Sala de reuniones"); personal
calendars are implicit. ``calendar_feed`` keeps, per user, the SHA-256 of the private ICS
feed token and the random seed it is derived from (never the token). An activity gets the
shared calendar it is booked on (nullable, indexed FK), when it ends (UTC) and where it
takes place (server default ``''``, so existing rows get what a new one does).

Revision ID: 0009_calendars
Revises: 0008_activities
Create Date: 2026-12-07 21:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import crm_app.models.base
from alembic import op

revision: str = '0009_calendars'
down_revision = "0008_activities"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_FK = 'fk_activity_calendar_id_calendar'


def upgrade() -> None:
    op.create_table(
        'calendar',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', _TEXT(length=80), nullable=False),
        sa.Column('colour', _TEXT(length=7), nullable=False),
        sa.Column('kind', _TEXT(length=10), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', crm_app.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )
    op.create_table(
        'calendar_feed',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_seed', _TEXT(length=64), nullable=False),
        sa.Column('token_hash', _TEXT(length=64), nullable=False),
        sa.Column('created_at', crm_app.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('user_id'),
        sa.UniqueConstraint('token_hash'),
    )
    with op.batch_alter_table('activity') as batch:
        batch.add_column(sa.Column('calendar_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('ends_at', crm_app.models.base.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('location', _TEXT(length=200), server_default='',
                                   nullable=False))
        batch.create_index('ix_activity_calendar_id', ['calendar_id'], unique=False)
        batch.create_foreign_key(_FK, 'calendar', ['calendar_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('activity') as batch:
        batch.drop_constraint(_FK, type_='foreignkey')
        batch.drop_index('ix_activity_calendar_id')
        batch.drop_column('location')
        batch.drop_column('ends_at')
        batch.drop_column('calendar_id')
    op.drop_table('calendar_feed')
    op.drop_table('calendar')
