"""Texts of the customer screens (pages/accounts/) added with the UI kit; the older ones keep
their ``sui.*`` keys in ``sales_ui``."""

ES = {
    "acc_ui.count_one": "cliente",
    "acc_ui.count_bin_one": "cliente en la papelera",
    "acc_ui.edit_title": "Editar cliente",
    "acc_ui.deleted_on": "Eliminado el {date}",
    "acc_ui.empty": "Aún no hay clientes. Crea el primero o convierte un lead en cliente.",
    "acc_ui.not_found": "No se ha encontrado el cliente o no tienes acceso a él.",
}
