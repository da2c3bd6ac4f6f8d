"""The leads queries on PostgreSQL: JSON-path custom filters, ILIKE search, scoped counts,
duplicates, rule assignment and conversion run on both backends."""

from __future__ import annotations

import pytest
from factories import make_people
from sqlmodel import Session

from crm_app.models import AssignmentRule, CustomFieldDef
from crm_app.services import leads as svc
from crm_app.services.conversion import convert_lead

pytestmark = pytest.mark.postgres


def test_leads_queries_on_postgres(pg_session: Session) -> None:
    s = pg_session
    p = make_people(s)
    s.add_all([CustomFieldDef(entity="lead", key="empleados", label="Empleados", type="number"),
               CustomFieldDef(entity="lead", key="kit", label="Kit", type="bool"),
               CustomFieldDef(entity="lead", key="sector", label="Sector", type="text")])
    s.add(AssignmentRule(name="Sur", action="fixed_user", config={"user_id": p.comercial3.id},
                         conditions=[{"field": "province", "op": "region_in",
                                      "value": ["Andalucía"]}]))
    s.commit()
    made = [svc.create_lead(session=s, actor=p.admin, data={
        "first_name": f"Pg{i}", "last_name": "GARCÍA" if i % 2 else "Ruiz",
        "company": f"Empresa {i}", "phone": f"60000000{i}", "email": f"pg{i}@empresa{i}.es",
        "province": "Sevilla" if i < 2 else "Lugo",
        "custom": {"empleados": str(i * 10), "kit": i % 2 == 0, "sector": "Hostelería"}})
        for i in range(6)]
    assert made[0].owner_id == p.comercial3.id and made[0].assigned_rule_id is not None
    assert made[5].owner_id == p.admin.id

    def count(actor=p.admin, **kw) -> int:  # noqa: ANN001
        return svc.list_leads(session=s, actor=actor, **kw)[1]

    assert count() == 6 and count(actor=p.comercial3) == 2 and count(actor=p.manager1) == 0
    assert count(q="garcía") == 3 and count(q="PG3") == 1
    assert count(q="600 00 00 04") == 1
    assert count(filters={"custom": {"empleados": [20, 40]}}) == 3
    assert count(filters={"custom.empleados": "50"}) == 1
    assert count(filters={"custom.kit": "sí"}) == 3
    assert count(filters={"custom.sector": "Hostelería"}) == 6
    rows, _ = svc.list_leads(session=s, actor=p.admin, sort="company", desc=False, page=2,
                             page_size=4)
    assert [r["company"] for r in rows] == ["Empresa 4", "Empresa 5"]
    dups = svc.find_duplicates(session=s, actor=p.comercial1, email="PG1@empresa1.es")
    assert [(d["entity"], d["visible"]) for d in dups] == [("lead", False)]
    out = convert_lead(session=s, actor=p.admin, lead_id=made[1].id, create_opportunity=True)
    assert out["opportunity_id"] and out["account_matched"] is False
