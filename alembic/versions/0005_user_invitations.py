"""user invitations: single-use links to set one's password (Ajustes → Usuarios)

Issue 12: an admin invites a user by e-mail; the link's token is stored only as its SHA-256,
valid 72 h, used once. A new table only; nothing existing changes.

Revision ID: 0005_user_invitations
Revises: 0004_company_settings
Create Date: 2026-12-07 18:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import crm_app.models.base
from alembic import op

revision: str = '0005_user_invitations'
down_revision: str | None = '0004_company_settings'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'user_invitation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', crm_app.models.base.UTCDateTime(), nullable=False),
        sa.Column('expires_at', crm_app.models.base.UTCDateTime(), nullable=False),
        sa.Column('used_at', crm_app.models.base.UTCDateTime(), nullable=True),
        sa.Column('revoked_at', crm_app.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['invited_by_id'], ['user.id'], ),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('user_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_invitation_token_hash'), ['token_hash'],
                              unique=True)
        batch_op.create_index(batch_op.f('ix_user_invitation_user_id'), ['user_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('user_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_invitation_user_id'))
        batch_op.drop_index(batch_op.f('ix_user_invitation_token_hash'))
    op.drop_table('user_invitation')
