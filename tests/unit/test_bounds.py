"""The services refuse out-of-range numbers and dates themselves (issue 10, section 4).

The API's bounded types (``crm_app.models.bounds``) stop such input at the HTTP edge; these
tests call the services directly, as the UI, the importer and the worker do, and check that
the same values give a Spanish field error (``ValidationFailed``) instead of an
``OverflowError`` or ``decimal.InvalidOperation`` from deep inside date or decimal arithmetic.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sales_support as ss

from crm_app.models import bounds
from crm_app.services import assignment, leads, opportunities, products, quotes
from crm_app.services.errors import ValidationFailed
from crm_app.services.sales_common import as_date, aware, to_decimal

YEAR_ONE = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))  # UTC is year 0: overflow


def test_aware_refuses_dates_whose_utc_shift_overflows() -> None:
    for value in (YEAR_ONE, "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00",
                  date(9999, 12, 31)):
        errors: dict[str, str] = {}
        assert aware(value, field_name="created_at", errors=errors) is None
        assert errors["created_at"].startswith("Fecha fuera de rango"), value
    assert aware("2999-12-31", field_name="x", errors={}) is not None


def test_as_date_refuses_dates_outside_the_range() -> None:
    errors: dict[str, str] = {}
    assert as_date("9999-12-31", field_name="issue_date", errors=errors) is None
    assert "issue_date" in errors
    assert as_date(date(2999, 12, 31), field_name="issue_date", errors={}) == date(2999, 12, 31)


@pytest.mark.parametrize("value", ["-1e400", "1e400", "1E-400", Decimal("-" + "9" * 40)])
def test_to_decimal_refuses_numbers_it_cannot_round(value: object) -> None:
    errors: dict[str, str] = {}
    assert to_decimal(value, field_name="quantity", errors=errors, default=Decimal(1),
                      places=3, label="La cantidad") == Decimal(1)
    assert errors == {"quantity": "La cantidad está fuera de rango."}


def test_tax_rate_of_1e400_is_a_field_error() -> None:
    errors: dict[str, str] = {}
    rate, exempt = products.parse_tax_rate("1e400", None, "tax_rate", errors)
    assert "tax_rate" in errors and not exempt and rate == Decimal("21.00")


def test_quote_with_a_far_issue_date_or_huge_quantity_is_refused(session, people) -> None:
    acc = ss.account(session, people.comercial1)
    with pytest.raises(ValidationFailed) as caught:
        quotes.create_quote(session=session, actor=people.comercial1, account_id=acc.id,
                            issue_date=date(9999, 12, 31),
                            lines=[{"description": "x", "quantity": "-1e400",
                                    "unit_price": "1"}])
    assert {"issue_date", "lines.0.quantity"} <= set(caught.value.errors)


def test_opportunity_filters_and_history_dates_out_of_range(session, people) -> None:
    acc = ss.account(session, people.admin)
    opp = ss.opportunity(session, people.admin, account_id=acc.id)
    with pytest.raises(ValidationFailed) as caught:
        opportunities.list_opportunities(session=session, actor=people.admin,
                                         closed_to=date(9999, 12, 31))
    assert "closed_to" in caught.value.errors
    # The last legal day still filters (its next midnight is computed, not range-checked).
    page = opportunities.list_opportunities(session=session, actor=people.admin,
                                            closed_to=bounds.DAY_MAX)
    assert page.total == 0  # open opportunities have no closed_at
    with pytest.raises(ValidationFailed) as caught:
        opportunities.update_opportunity(session=session, actor=people.admin,
                                         opportunity_id=opp.id,
                                         data={"created_at": YEAR_ONE})
    assert "created_at" in caught.value.errors


def test_kanban_window_of_any_length_is_clamped(session, people) -> None:
    board = opportunities.kanban(session=session, actor=people.admin, closed_days=10**12)
    assert board["columns"]


def test_lead_filters_refuse_ids_and_days_out_of_range(session, people) -> None:
    for filters, field in [({"owner_id": ["1", "99999999999999999999"]}, "owner_id"),
                           ({"team_id": "-3"}, "team_id"),
                           ({"created_to": "31/12/9999"}, "created_to"),
                           ({"created_from": "01/01/0001"}, "created_from")]:
        with pytest.raises(ValidationFailed) as caught:
            leads.list_leads(session=session, actor=people.admin, filters=filters)
        assert field in caught.value.errors, filters
    leads.list_leads(session=session, actor=people.admin, filters={"owner_id": ["none"]})


def test_rule_config_ids_out_of_range_are_not_ids(session, people) -> None:
    with pytest.raises(ValidationFailed) as caught:
        assignment.create_rule(session=session, actor=people.admin, data={
            "name": "R", "action": "round_robin",
            "config": {"team_id": "99999999999999999999"}})
    assert "config.team_id" in caught.value.errors


def test_text_checks() -> None:
    assert bounds.clean_text("Peña & Hijos, S.L. 😀")
    assert not bounds.clean_text("a\x00b") and not bounds.clean_text("\ud800")
    assert not bounds.clean_text("dos\nlíneas") and bounds.clean_text("dos\nlíneas\t",
                                                                        multiline=True)
    assert not bounds.clean_text("\x1b[31m", multiline=True)
