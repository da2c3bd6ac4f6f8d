"""/informes: the report matrix lands with the analytics module; until then, its empty state."""

from __future__ import annotations

import reflex as rx

from components.empty_state import empty_state
from components.layout import shell
from crm_app.i18n import t


def reports_page() -> rx.Component:
    return shell(empty_state("chart-column", t("empty.reports"), test_id="reports-empty"),
                 title=t("nav.reports"), active="/informes")
