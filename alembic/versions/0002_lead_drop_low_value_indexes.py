"""lead: drop low-value indexes

Status, source, company, team and deleted_at indexes on ``lead`` cost a bulk import ~80 ms each per
100,000 rows and barely help: low selectivity, or substring search that a B-tree cannot serve.
The recycle bin gets a partial index of the deleted leads only, which a new lead never enters.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 02:55:55.283471
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_company'))
        batch_op.drop_index(batch_op.f('ix_lead_deleted_at'))
        batch_op.drop_index(batch_op.f('ix_lead_source'))
        batch_op.drop_index(batch_op.f('ix_lead_status'))
        batch_op.drop_index(batch_op.f('ix_lead_team_id'))
        batch_op.create_index('ix_lead_in_bin', ['deleted_at'], unique=False,
                              sqlite_where=sa.text('deleted_at IS NOT NULL'),
                              postgresql_where=sa.text('deleted_at IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_in_bin', sqlite_where=sa.text('deleted_at IS NOT NULL'),
                            postgresql_where=sa.text('deleted_at IS NOT NULL'))
        batch_op.create_index(batch_op.f('ix_lead_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_source'), ['source'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_company'), ['company'], unique=False)
