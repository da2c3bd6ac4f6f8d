"""/informes: the report matrix, its views, exports, the monthly PDF and the deliveries."""

from pages.reports.delivery_state import DeliveryState
from pages.reports.state import ReportsState
from pages.reports.view import reports_page

__all__ = ["DeliveryState", "ReportsState", "reports_page"]
