"""Texts of the quotes screens (the list and the editor) on the shared UI kit (issue 11)."""

ES = {
    "quote_ui.not_found": "Presupuesto no encontrado.",
    "quote_ui.filter.open": "Pendientes (borrador o enviado)",
    "quote_ui.count_one": "presupuesto",
}
