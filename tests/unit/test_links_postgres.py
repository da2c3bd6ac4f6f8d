"""Links through the scope on PostgreSQL: what the SQLite tests show holds on the production
backend too (a missing id is a field error, not a foreign-key violation; an id past the 32-bit
INTEGER id columns is not found, not "integer out of range"; the customer file shows nothing
of another team's lead; custom values are bounded)."""

from __future__ import annotations

import pytest
from factories import make_people
from sqlmodel import Session

from crm_app.models import Account, CustomFieldDef, utcnow
from crm_app.services import accounts, contacts, leads, opportunities, quotes
from crm_app.services.errors import ValidationFailed

pytestmark = pytest.mark.postgres


def test_links_on_postgres(pg_session: Session) -> None:
    s = pg_session
    p = make_people(s)
    s.add(CustomFieldDef(entity="account", key="nota", label="Nota"))
    s.commit()
    theirs = leads.create_lead(session=s, actor=p.comercial3, data={
        "company": "Secreta Sur S.A.", "source": "Canal oculto", "phone": "611000001"})
    mine = accounts.create_account(session=s, actor=p.comercial1, data={
        "name": "Propio S.L.", "province": "Madrid"})
    # (call, field, a real id the actor may not link): each also with missing/huge ids
    attempts = [
        (lambda v: accounts.create_account(session=s, actor=p.comercial1, data={
            "name": "X S.L.", "province": "Madrid", "lead_id": v}), "lead_id", theirs.id),
        (lambda v: contacts.create_contact(session=s, actor=p.comercial1, data={
            "first_name": "X", "lead_id": v}), "lead_id", theirs.id),
        (lambda v: opportunities.create_opportunity(session=s, actor=p.comercial1, data={
            "name": "X", "lead_id": v}), "lead_id", theirs.id),
        (lambda v: opportunities.create_opportunity(session=s, actor=p.comercial1, data={
            "name": "X", "stage_id": v}), "stage_id", None),
        (lambda v: quotes.create_quote(session=s, actor=p.comercial1, account_id=mine.id,
                                       lines=[{"product_id": v}]), "lines.0.product_id", None),
        (lambda v: accounts.update_account(session=s, actor=p.comercial1, account_id=mine.id,
                                           data={"owner_id": v}), "owner_id", p.comercial3.id),
    ]
    wrong = []
    for call, fld, foreign in attempts:
        for value in (foreign, 987_654, 2**31, 2**63, 2**64):
            if value is None:
                continue
            try:
                call(value)
            except ValidationFailed as exc:
                s.rollback()
                if fld not in exc.errors:
                    wrong.append((fld, value, exc.errors))
                continue
            except Exception as exc:  # noqa: BLE001 - a 500 on the API
                s.rollback()
                wrong.append((fld, value, repr(exc)[:120]))
                continue
            wrong.append((fld, value, "accepted"))
    assert not wrong, wrong

    # legacy link: the customer file shows nothing of the other team's lead
    legacy = Account(name="Antiguo S.L.", province="Madrid", owner_id=p.comercial1.id,
                     team_id=p.team_norte.id, lead_id=theirs.id, created_at=utcnow())
    s.add(legacy)
    s.commit()
    file = accounts.account_360(session=s, actor=p.comercial1, account_id=legacy.id)
    assert [e for e in file["timeline"] if e["entity"] == "lead"] == []
    assert "Canal oculto" not in repr(file) and "Secreta" not in repr(file)
    seen_by_sur = accounts.account_360(session=s, actor=p.admin, account_id=legacy.id)
    assert any(e["entity"] == "lead" for e in seen_by_sur["timeline"])

    with pytest.raises(ValidationFailed) as exc:
        accounts.update_account(session=s, actor=p.comercial1, account_id=mine.id,
                                data={"custom": {f"k{i}": "x" * 50 for i in range(100_000)}})
    assert exc.value.errors == {"custom": "Los campos personalizados ocupan demasiado: como "
                                          "mucho 16 KB."}
