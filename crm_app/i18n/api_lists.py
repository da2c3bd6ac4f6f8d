"""Texts of the API's one list convention (issue 11): ``api_lists.*``.

Shown in the OpenAPI document (parameter descriptions) and in the 422 of a request that mixes
the two paging styles (``crm_app.api.paging``).
"""

ES = {
    "api_lists.page": "Página, desde 1.",
    "api_lists.page_size": "Filas por página (máximo {max}).",
    "api_lists.legacy": "Obsoleto (se retirará en la próxima versión): usa page y page_size.",
    "api_lists.mixed": "Usa page y page_size, o offset y limit, no ambos.",
}
