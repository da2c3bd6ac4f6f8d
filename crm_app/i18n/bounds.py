"""Messages for input that is out of range or malformed at the edge (issue 10). ``bounds.*``.

Used by ``crm_app.models.bounds`` (the bounded input types) and by the API's field-error
table for pydantic's own error kinds that had no Spanish text yet.
"""

ES = {
    "bounds.text_chars": "Contiene caracteres no válidos (de control o Unicode mal formado).",
    "bounds.day_range": "Fecha fuera de rango: usa una fecha entre {low} y {high}.",
    "bounds.month": "Mes no válido: usa AAAA-MM, con el mes de 01 a 12 y el año entre {low} "
                    "y {high}.",
    "bounds.month_outside": "El mes no está dentro del periodo indicado (from/to).",
    "bounds.id": "Identificador no válido.",
    "bounds.json_depth": "Demasiados niveles de anidamiento (máximo {depth}).",
    "bounds.json_number": "Número fuera de rango.",
    "bounds.decimal_digits": "Como máximo {digits} cifras.",
    "bounds.decimal_range": "{label} está fuera de rango.",
    "bounds.number_finite": "Debe ser un número finito.",
    "bounds.int_size": "Número demasiado grande.",
    "bounds.pattern": "Formato no válido.",
}
