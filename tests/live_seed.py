"""A migrated SQLite database with a few rows of every kind, for tests that run a live API.

``seed_database`` runs Alembic (``upgrade head``), adds the fixture organisation (two teams,
one user per role, ``factories.make_people``) and, owned by a comercial, an admin and a
comercial of the other team: an account, an opportunity, a quote and a lead each; plus a
contact, a product, a lead custom field, an assignment rule and a saved view. It returns the
database URL, personal API tokens for ``roles`` and the ids of what it made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sales_support as ss
from factories import make_people
from live_api import prepare_database
from sqlmodel import Session

from crm_app.db import make_engine
from crm_app.services import (
    activities,
    assignment,
    auth,
    contacts,
    custom_fields,
    leads,
    saved_views,
)
from crm_app.services.actors import SYSTEM


def seed_database(tmp: Path, roles: tuple[str, ...] = ("admin", "comercial1")
                  ) -> tuple[str, dict[str, str], dict[str, Any]]:
    url = f"sqlite:///{tmp / 'seeded.db'}"
    prepare_database(url)
    engine = make_engine(url)
    ids: dict[str, Any] = {}
    try:
        with Session(engine, expire_on_commit=False) as s:
            people = make_people(s)
            for who in (people.comercial1, people.admin, people.comercial3):
                acc = ss.account(s, who)
                opp = ss.opportunity(s, who, account_id=acc.id)
                quote = ss.quote(s, who, account_id=acc.id)
                lead = leads.create_lead(session=s, actor=who, data={
                    "first_name": "Ana", "company": "Frutas Ruiz", "email": "ana@frutas.es"})
                ids.setdefault("account", acc.id)
                ids.setdefault("opportunity", opp.id)
                ids.setdefault("quote", quote.id)
                ids.setdefault("lead", lead.id)
                ids.setdefault("activity", activities.create_activity(session=s, actor=who, data={
                    "kind": "task", "subject": "Llamar", "lead_id": lead.id,
                    "due_at": "2026-12-01T10:00:00+01:00"}).id)
            ids["pipeline"] = opp.pipeline_id
            ids["product"] = ss.product(s, people.admin).id
            ids["contact"] = contacts.create_contact(session=s, actor=people.comercial1, data={
                "account_id": ids["account"], "first_name": "Luis", "email": "luis@ruiz.es"}).id
            custom_fields.create_field(session=s, actor=people.admin, entity="lead",
                                       key="zona", label="Zona")
            ids["rule"] = assignment.create_rule(session=s, actor=people.admin, data={
                "name": "Norte", "action": "round_robin",
                "config": {"team_id": people.team_norte.id}}).id
            ids["view"] = saved_views.create_view(session=s, actor=people.comercial1,
                                                  entity="lead", name="Mis leads",
                                                  filters={}).id
            tokens = {role: auth.create_api_token(session=s, actor=SYSTEM,
                                                  user=getattr(people, role))
                      for role in roles}
    finally:
        engine.dispose()
    return url, tokens, ids
