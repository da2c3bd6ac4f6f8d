"""automation rules: the rules, their execution log (one run per record per episode), the
event outbox drained by the Celery worker and the time sweep's indexes (open deals by last
activity and by expected close, open activities by due time)

Revision ID: 0012_automations
Revises: 0011_alerts_notify
Create Date: 2026-12-07 21:45:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import crm_app.models.base
from alembic import op

revision: str = '0012_automations'
down_revision: str | None = '0011_alerts_notify'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_UTC = crm_app.models.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        'automation_rule',
        sa.Column('created_at', _UTC(), nullable=False),
        sa.Column('updated_at', _UTC(), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', _TEXT(length=120), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('trigger', sa.JSON(), nullable=False),
        sa.Column('conditions', sa.JSON(), nullable=False),
        sa.Column('actions', sa.JSON(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_automation_rule_created_at', 'automation_rule', ['created_at'])
    op.create_index('ix_automation_rule_position', 'automation_rule', ['position'])
    op.create_table(
        'automation_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rule_id', sa.Integer(), nullable=False),
        sa.Column('entity', _TEXT(length=20), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('episode', _TEXT(length=64), nullable=False),
        sa.Column('status', _TEXT(length=20), nullable=False),
        sa.Column('actions', sa.JSON(), nullable=False),
        sa.Column('depth', sa.Integer(), nullable=False),
        sa.Column('created_at', _UTC(), nullable=False),
        sa.ForeignKeyConstraint(['rule_id'], ['automation_rule.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('rule_id', 'entity', 'record_id', 'episode',
                            name='uq_automation_run_episode'),
    )
    op.create_index('ix_automation_run_created_at', 'automation_run', ['created_at'])
    op.create_index('ix_automation_run_record', 'automation_run', ['entity', 'record_id'])
    op.create_table(
        'outbox_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event', _TEXT(length=40), nullable=False),
        sa.Column('entity', _TEXT(length=20), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('created_at', _UTC(), nullable=False),
        sa.Column('processed_at', _UTC(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('depth', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_outbox_event_pending', 'outbox_event', ['id'],
                    sqlite_where=sa.text('processed_at IS NULL'),
                    postgresql_where=sa.text('processed_at IS NULL'))


    op.create_index('ix_opportunity_open_activity', 'opportunity',
                    ['closed_at', 'last_activity_at'])
    op.create_index('ix_opportunity_open_close', 'opportunity', ['closed_at', 'expected_close'])
    op.create_index('ix_activity_open_due', 'activity', ['done_at', 'due_at'])


def downgrade() -> None:
    op.drop_index('ix_activity_open_due', table_name='activity')
    op.drop_index('ix_opportunity_open_close', table_name='opportunity')
    op.drop_index('ix_opportunity_open_activity', table_name='opportunity')
    op.drop_index('ix_outbox_event_pending', table_name='outbox_event')
    op.drop_table('outbox_event')
    op.drop_index('ix_automation_run_record', table_name='automation_run')
    op.drop_index('ix_automation_run_created_at', table_name='automation_run')
    op.drop_table('automation_run')
    op.drop_index('ix_automation_rule_position', table_name='automation_rule')
    op.drop_index('ix_automation_rule_created_at', table_name='automation_rule')
    op.drop_table('automation_rule')
