"""/leads/importar: the import wizard (upload, columns, preview, result, undo)."""

from pages.lead_import.state import LeadImportState
from pages.lead_import.view import lead_import_page

__all__ = ["LeadImportState", "lead_import_page"]
