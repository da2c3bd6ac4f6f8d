"""Ajustes → Exportar datos and ``crm export all``: the whole company in one ZIP (issue 12)."""

ES = {
    # --- cells and the ZIP's read-me (services.export_all) -------------------------------------
    "export_all.yes": "sí",
    "export_all.no": "no",
    "export_all.readme": (
        "Exportación completa del CRM — {when} (hora de Madrid)\n"
        "\n"
        "csv/         una tabla por fichero: UTF-8 con BOM, separador «;», coma decimal y\n"
        "             fechas dd/mm/aaaa (hora de Madrid), como los abre Excel en español.\n"
        "xlsx/        las mismas tablas como libros de Excel, con números y fechas reales\n"
        "             (una hoja más por cada 1.048.575 filas).\n"
        "documentos/  los ficheros de los documentos: <id del documento>-<nombre>.\n"
        "manifest.json  las tablas con sus columnas y filas, los campos personalizados, los\n"
        "             documentos y las columnas que se dejan fuera.\n"
        "\n"
        "Los campos personalizados son columnas «custom.<clave>». Las contraseñas, los resúmenes\n"
        "de tokens y sesiones, la contraseña SMTP y cualquier otro secreto no se exportan nunca.\n"
        "El fichero contiene datos personales: guárdalo con el mismo cuidado que el CRM.\n"),
    # --- errors ---------------------------------------------------------------------------------
    "export_all.err.out_exists": "El fichero {path} ya existe: elige otro nombre.",
    "export_all.err.disk": (
        "Queda poco espacio en el disco (menos de {mb} MB): se ha detenido la exportación."),
    "export_all.err.busy": (
        "Ya hay una exportación en curso: espera a que termine para empezar otra."),
    "export_all.err.queue": (
        "No se pudo poner la exportación en cola: comprueba que el proceso de tareas "
        "(Celery) está en marcha."),
    "export_all.err.not_found": "Esa exportación no existe o ya se ha borrado.",
    "export_all.err.not_ready": "La exportación aún no está lista para descargar.",
    "export_all.err.interrupted": (
        "La exportación se interrumpió (se detuvo el proceso de tareas). Vuelve a empezarla."),
    "export_all.err.requester": "El usuario que pidió la exportación ya no existe.",
    "export_all.err.failed": "La exportación ha fallado ({error}). Vuelve a intentarlo.",
    # --- CLI ------------------------------------------------------------------------------------
    "export_all.cli.help": "Exportar todos los datos de la empresa.",
    "export_all.cli.all_help": (
        "Exporta todas las tablas (CSV y XLSX), los campos personalizados y los documentos "
        "a un ZIP. Nunca incluye contraseñas ni otros secretos."),
    "export_all.cli.out_help": "Fichero ZIP de salida (no debe existir).",
    "export_all.cli.done": (
        "Exportación completa: {path} ({size}), {tables} tablas, {rows} filas, "
        "{documents} documentos."),
    "export_all.cli.missing": "Aviso: {count} documentos sin fichero en el disco (ids: {ids}).",
    # --- screen ---------------------------------------------------------------------------------
    "export_all.title": "Exportar datos",
    "export_all.intro": (
        "Descarga todos los datos de la empresa en un ZIP: cada tabla en CSV (para Excel en "
        "español) y en XLSX, los campos personalizados como columnas y los ficheros de los "
        "documentos. Sirve para llevarte tus datos o para tu propio análisis. Nunca incluye "
        "contraseñas ni otros secretos."),
    "export_all.start": "Exportar todos los datos",
    "export_all.started": "Exportación en marcha: te avisaremos aquí cuando esté lista.",
    "export_all.download": "Descargar ZIP",
    "export_all.none": "Todavía no has exportado los datos.",
    "export_all.state.queued": "En cola",
    "export_all.state.running": "Exportando…",
    "export_all.state.done": "Lista",
    "export_all.state.failed": "Ha fallado",
    "export_all.progress": "Tabla {done} de {total} · {rows} filas",
    "export_all.requested": "Pedida por {name} el {when}",
    "export_all.finished": "Terminada el {when} · {size} · {rows} filas · {documents} documentos",
    "export_all.keep_note": (
        "El fichero se borra a las {hours} horas o al hacer otra exportación; contiene datos "
        "personales: guárdalo con cuidado."),
    "export_all.link": "Exportar datos",
    "export_all.link_help": "Todos los datos en CSV y XLSX, con los documentos, en un ZIP",
}
