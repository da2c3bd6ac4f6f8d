"""account security: password resets, TOTP second factor, recovery codes, login challenges

Mi cuenta and "¿Has olvidado tu contraseña?" (issue 12): single-use reset links (only their
SHA-256), the user's TOTP secret (encrypted with a key derived from the secret key) and its
recovery codes (hashed), the pending second step of a login, and when a session was last
seen. New tables, and columns with server defaults so existing users get the values a new
one does (no second factor); nothing renamed.

Revision ID: 0006_account_security
Revises: 0005_user_invitations
Create Date: 2026-12-07 18:15:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import crm_app.models.base
from alembic import op

revision: str = '0006_account_security'
down_revision: str | None = '0005_user_invitations'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_TIME = crm_app.models.base.UTCDateTime


def _token_table(name: str, *extra: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', _TEXT(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', _TIME(), nullable=False),
        sa.Column('expires_at', _TIME(), nullable=False),
        *extra,
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(f'ix_{name}_token_hash', name, ['token_hash'], unique=True)
    op.create_index(f'ix_{name}_user_id', name, ['user_id'], unique=False)


def upgrade() -> None:
    _token_table('login_challenge',
                 sa.Column('attempts', sa.Integer(), nullable=False),
                 sa.Column('used_at', _TIME(), nullable=True),
                 sa.Column('ip', _TEXT(length=64), nullable=False),
                 sa.Column('user_agent', _TEXT(length=300), nullable=False))
    _token_table('password_reset',
                 sa.Column('used_at', _TIME(), nullable=True),
                 sa.Column('ip', _TEXT(length=64), nullable=False))
    op.create_table(
        'recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', _TEXT(length=64), nullable=False),
        sa.Column('used_at', _TIME(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_recovery_code_user_id', 'recovery_code', ['user_id'], unique=False)
    with op.batch_alter_table('user') as batch_op:
        batch_op.add_column(sa.Column('totp_secret_enc', _TEXT(length=400), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('totp_enabled_at', _TIME(), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), server_default='0',
                                      nullable=False))
    with op.batch_alter_table('user_session') as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', _TIME(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_session') as batch_op:
        batch_op.drop_column('last_seen_at')
    with op.batch_alter_table('user') as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret_enc')
    op.drop_index('ix_recovery_code_user_id', table_name='recovery_code')
    op.drop_table('recovery_code')
    for name in ('password_reset', 'login_challenge'):
        op.drop_index(f'ix_{name}_user_id', table_name=name)
        op.drop_index(f'ix_{name}_token_hash', table_name=name)
        op.drop_table(name)
