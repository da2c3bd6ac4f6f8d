"""Texts of the shared UI kit (components/): lists, filters, forms, dialogs."""

ES = {
    "common.check_fields": "Revisa los datos marcados.",
    "common.date_placeholder": "dd/mm/aaaa",
    "common.unexpected": "Algo ha fallado al hacer esta acción.",
    "common.unexpected_help": "Inténtalo de nuevo; si se repite, avisa a quien administra "
                              "el CRM.",
    "list.filters": "Filtros",
    "list.sort": "Ordenar",
    "list.sort_by": "Ordenar por {field}",
    "list.select_row": "Seleccionar",
    "list.select_page": "Seleccionar la página",
    "list.selected_one": "seleccionado",
    "list.selected_many": "seleccionados",
    "list.filter.all": "Todos",
    "list.filter.remove": "Quitar filtro",
    "list.filter.clear": "Quitar filtros",
    "list.empty_filtered": "Nada coincide con la búsqueda o los filtros.",
}

EN = {
    "common.check_fields": "Check the highlighted fields.",
    "common.date_placeholder": "dd/mm/yyyy",
    "common.unexpected": "Something went wrong.",
    "common.unexpected_help": "Try again; if it happens again, tell your CRM administrator.",
    "list.filters": "Filters",
    "list.sort": "Sort",
    "list.sort_by": "Sort by {field}",
    "list.select_row": "Select",
    "list.select_page": "Select page",
    "list.selected_one": "selected",
    "list.selected_many": "selected",
    "list.filter.all": "All",
    "list.filter.remove": "Remove filter",
    "list.filter.clear": "Clear filters",
    "list.empty_filtered": "Nothing matches the search or the filters.",
}

ES.update({
    "tasks_ui.pending": "Pendientes",
    "tasks_ui.today": "Hoy",
    "tasks_ui.overdue": "Vencidas",
    "tasks_ui.upcoming": "Próximas",
    "lead_ui.filter.open": "abiertos (nuevo, contactado, cualificado)",
})
