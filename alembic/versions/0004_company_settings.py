"""company settings: the organisation's issuer data, series, bank and outgoing mail

Ajustes → Empresa (issue 12): trade name, country, brand colour, default tax rate, payment
terms, the numbering series (quotes now; invoices, credit notes and simplified invoices
stored for later), IBAN, SEPA creditor id and the company's own SMTP server (the password
encrypted with a key derived from the secret key). Plain ``ADD COLUMN``/``DROP COLUMN`` with
server defaults, so the existing row gets the same values a new one does; nothing renamed.

Revision ID: 0004_company_settings
Revises: 0003_search_fold
Create Date: 2026-12-07 16:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import crm_app.models.base
from alembic import op

revision: str = '0004_company_settings'
down_revision: str | None = '0003_search_fold'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString

COLUMNS: list[sa.Column] = [
    sa.Column('trade_name', _TEXT(), server_default='', nullable=False),
    sa.Column('country', _TEXT(), server_default='ES', nullable=False),
    sa.Column('brand_color', _TEXT(), server_default='', nullable=False),
    sa.Column('default_tax_rate', sa.Numeric(precision=5, scale=2), server_default='21',
              nullable=False),
    sa.Column('payment_terms_days', sa.Integer(), server_default='30', nullable=False),
    sa.Column('quote_series', _TEXT(), server_default='P', nullable=False),
    sa.Column('invoice_series', _TEXT(), server_default='F', nullable=False),
    sa.Column('credit_note_series', _TEXT(), server_default='R', nullable=False),
    sa.Column('simplified_series', _TEXT(), server_default='S', nullable=False),
    sa.Column('iban', _TEXT(), server_default='', nullable=False),
    sa.Column('sepa_creditor_id', _TEXT(), server_default='', nullable=False),
    sa.Column('smtp_host', _TEXT(), server_default='', nullable=False),
    sa.Column('smtp_port', sa.Integer(), server_default='587', nullable=False),
    sa.Column('smtp_user', _TEXT(), server_default='', nullable=False),
    sa.Column('smtp_password_enc', _TEXT(), server_default='', nullable=False),
    sa.Column('smtp_starttls', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('smtp_from', _TEXT(), server_default='', nullable=False),
    sa.Column('updated_at', crm_app.models.base.UTCDateTime(), nullable=True),
]


def upgrade() -> None:
    for column in COLUMNS:
        op.add_column('organisation', column.copy())


def downgrade() -> None:
    for column in reversed(COLUMNS):
        op.drop_column('organisation', column.name)
