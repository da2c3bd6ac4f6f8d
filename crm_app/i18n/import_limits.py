"""Import limits and the clean-up of uploaded files: what the importer says when a file is too
big (the same text in the wizard, the CLI and any HTTP path)."""

ES = {
    "import_limits.too_big": (
        "El archivo ocupa {mb} MB y el máximo para importar es {max_mb} MB. Divídelo en "
        "varios archivos. No se ha leído."),
    "import_limits.too_big_unzipped": (
        "La hoja de cálculo ocupa {mb} MB una vez descomprimida y el máximo es {max_mb} MB. "
        "Divídela en varios archivos o guárdala como CSV. No se ha leído."),
    "import_limits.too_many_rows": (
        "El archivo tiene más de {max} filas (sin contar la cabecera) y el máximo por "
        "importación es {max}. Divídelo en varios archivos."),
    "import_limits.cell_too_long": (
        "La fila {row}, columna {column}, tiene una celda de {chars} caracteres y el máximo es "
        "{max}. Corrige esa celda y vuelve a subir el archivo."),
    "import_limits.too_many_files": (
        "La hoja de cálculo está dañada o no es un archivo Excel válido (contiene {n} archivos "
        "internos)."),
    "import_limits.size_mismatch": (
        "La hoja de cálculo está dañada: uno de sus archivos internos no coincide con lo que "
        "declara (tamaño o suma de control). No se ha leído."),
    "import_limits.sheet_memory": (
        "La hoja de cálculo necesita más de {mb} MB de memoria para leerse: suele deberse a "
        "celdas sueltas muy lejos de los datos o a miles de columnas. Copia solo los datos a "
        "una hoja nueva o guárdala como CSV."),
    "import_limits.sheet_timeout": (
        "La hoja de cálculo tarda demasiado en leerse (más de {seconds} s). Guárdala como CSV "
        "o divídela en varios archivos."),
    "import_limits.sheet_unreadable": "No se puede leer la hoja de cálculo: {detail}",
    "import_limits.file_gone": (
        "El archivo subido ya no está disponible (se borra al terminar la importación o tras "
        "24 horas sin usarse). Vuelve a subirlo."),
}
