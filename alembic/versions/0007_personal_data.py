"""personal data (RGPD / LOPDGDD): legal basis, consent, anonymisation, lead retention

Leads and contacts get the legal basis of the processing, the consent per purpose (a JSON
object, see ``crm_app.models.crm.PersonalData``) and the time they were anonymised; the
organisation gets the retention of discarded leads in months (default 24). Plain
``ADD COLUMN``/``DROP COLUMN`` with server defaults, so existing rows get the values a new row
does; nothing renamed.

Revision ID: 0007_personal_data
Revises: 0006_account_security
Create Date: 2026-12-07 18:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import crm_app.models.base
from alembic import op

revision: str = '0007_personal_data'
down_revision: str | None = '0006_account_security'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def _person_columns() -> list[sa.Column]:
    return [
        sa.Column('legal_basis', _TEXT(length=20), server_default='', nullable=False),
        sa.Column('consent', sa.JSON(), server_default='{}', nullable=False),
        sa.Column('anonymised_at', crm_app.models.base.UTCDateTime(), nullable=True),
    ]


def upgrade() -> None:
    for table in ('lead', 'contact'):
        with op.batch_alter_table(table) as batch:
            for column in _person_columns():
                batch.add_column(column)
    op.add_column('organisation', sa.Column('lead_retention_months', sa.Integer(),
                                            server_default='24', nullable=False))


def downgrade() -> None:
    op.drop_column('organisation', 'lead_retention_months')
    for table in ('contact', 'lead'):
        with op.batch_alter_table(table) as batch:
            for column in reversed(_person_columns()):
                batch.drop_column(column.name)
