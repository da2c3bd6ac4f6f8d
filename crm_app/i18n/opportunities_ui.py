"""Texts of the opportunities screen (board, list, form, record page). Keys: ``opp_ui.*``."""

ES = {
    "opp_ui.filter.stage": "Etapa",
    "opp_ui.filter.status": "Estado",
    "opp_ui.filter.owner": "Responsable",
    "opp_ui.filter.channel": "Canal",
    "opp_ui.filter.stale": "Actividad",
    "opp_ui.count_one": "oportunidad",
    "opp_ui.not_found": "Oportunidad no encontrada.",
    "opp_ui.new_title": "Nueva oportunidad",
    "opp_ui.edit_title": "Editar oportunidad",
}
