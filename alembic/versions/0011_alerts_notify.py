"""alerts that say why, notification preferences, web push subscriptions

The alert gets its reason, source, episode key (``dedup_key``), the quote/contact/activity it
is about and the user's dismissal; ``severity`` stays the alert's level. New tables
``notification_preference`` (user × channel × kind) and ``push_subscription``; the
organisation gets the built-in alerts' switches (``alert_settings``, JSON, ``{}`` = defaults).

Revision ID: 0011_alerts_notify
Revises: 0009_calendars
Create Date: 2026-12-07 21:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import crm_app.models.base
from alembic import op

revision: str = '0011_alerts_notify'
down_revision = "0009_calendars"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_UTC = crm_app.models.base.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table('alert') as batch:
        batch.add_column(sa.Column('reason', _TEXT(length=500), server_default='',
                                   nullable=False))
        batch.add_column(sa.Column('source', _TEXT(length=60), server_default='',
                                   nullable=False))
        batch.add_column(sa.Column('dedup_key', _TEXT(length=200), nullable=True))
        batch.add_column(sa.Column('quote_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('contact_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('activity_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('dismissed_at', _UTC(), nullable=True))
        batch.create_index('ix_alert_dedup_key', ['dedup_key'])
        batch.create_index('ix_alert_quote_id', ['quote_id'])
        batch.create_index('ix_alert_activity_id', ['activity_id'])
        batch.create_foreign_key('fk_alert_quote_id', 'quote', ['quote_id'], ['id'])
        batch.create_foreign_key('fk_alert_contact_id', 'contact', ['contact_id'], ['id'])
        batch.create_foreign_key('fk_alert_activity_id', 'activity', ['activity_id'], ['id'])
    op.add_column('organisation', sa.Column('alert_settings', sa.JSON(), server_default='{}',
                                            nullable=False))
    op.create_table(
        'notification_preference',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('channel', _TEXT(length=10), nullable=False),
        sa.Column('kind', _TEXT(length=40), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'channel', 'kind'),
    )
    op.create_index('ix_notification_preference_user_id', 'notification_preference',
                    ['user_id'])
    op.create_table(
        'push_subscription',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('endpoint', _TEXT(length=1000), nullable=False),
        sa.Column('p256dh', _TEXT(length=200), nullable=False),
        sa.Column('auth', _TEXT(length=100), nullable=False),
        sa.Column('created_at', _UTC(), nullable=False),
        sa.Column('last_ok_at', _UTC(), nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('endpoint'),
    )
    op.create_index('ix_push_subscription_user_id', 'push_subscription', ['user_id'])


def downgrade() -> None:
    op.drop_index('ix_push_subscription_user_id', table_name='push_subscription')
    op.drop_table('push_subscription')
    op.drop_index('ix_notification_preference_user_id', table_name='notification_preference')
    op.drop_table('notification_preference')
    op.drop_column('organisation', 'alert_settings')
    with op.batch_alter_table('alert') as batch:
        batch.drop_constraint('fk_alert_activity_id', type_='foreignkey')
        batch.drop_constraint('fk_alert_contact_id', type_='foreignkey')
        batch.drop_constraint('fk_alert_quote_id', type_='foreignkey')
        batch.drop_index('ix_alert_activity_id')
        batch.drop_index('ix_alert_quote_id')
        batch.drop_index('ix_alert_dedup_key')
        for name in ('dismissed_at', 'activity_id', 'contact_id', 'quote_id', 'dedup_key',
                     'source', 'reason'):
            batch.drop_column(name)
