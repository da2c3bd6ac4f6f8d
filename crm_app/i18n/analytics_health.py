"""Analytics snapshot health: the warning over stale dashboards and the admins' alert."""

ES = {
    "snapshot_health.warning": (
        "No se han podido actualizar los datos desde el {since}: se muestran los del {good}."),
    "snapshot_health.failed": (
        "No se han podido actualizar los datos de análisis. Se siguen mostrando los anteriores "
        "y se ha avisado a los administradores."),
    "snapshot_health.failed_first": (
        "Todavía no hay datos de análisis y no se han podido preparar. Se ha avisado a los "
        "administradores."),
    "snapshot_health.alert": (
        "Los datos de análisis no se actualizan desde el {since}; los cuadros de mando "
        "muestran los del {good}. Error: {error}"),
    "snapshot_health.none": "ninguno",
}
