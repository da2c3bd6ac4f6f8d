"""Links between records and custom-field values (issue 10, scope leaks). Keys: ``links.*``.

A record the actor may not see reads exactly like one that does not exist, so an id out of
scope tells nothing.
"""

ES = {
    # A linked record that does not exist, is in the recycle bin or is out of the actor's scope
    "links.missing.lead": "Lead no encontrado.",
    "links.missing.account": "Cliente no encontrado.",
    "links.missing.contact": "Contacto no encontrado.",
    "links.missing.opportunity": "Oportunidad no encontrada.",
    "links.missing.quote": "Presupuesto no encontrado.",
    "links.missing.product": "Producto no encontrado.",
    "links.missing.pipeline": "Embudo no encontrado.",
    "links.missing.stage": "Etapa no encontrada en el embudo de la oportunidad.",
    "links.missing.record": "Registro no encontrado.",
    "links.inactive.product": "Producto desactivado en el catálogo.",
    "links.inactive.pipeline": "Embudo no encontrado.",
    # Owners
    "links.owner.missing": "Usuario responsable no encontrado.",  # or inactive
    "links.owner.not_yours": "No puedes asignar registros a otra persona.",
    "links.owner.team_only": "Solo puedes asignar a personas de tu equipo.",
    # Custom fields
    "links.custom.too_big": "Los campos personalizados ocupan demasiado: como mucho {kb} KB.",
    "links.custom.not_object": "Los campos personalizados deben ser un objeto.",
    "links.custom.unknown": "Campo personalizado desconocido.",
    "links.custom.inactive": "Campo personalizado desactivado: no admite valores nuevos.",
    "links.custom.not_scalar": "Valor no válido: debe ser un texto, un número o sí/no.",
    "links.custom.text_too_long": "Texto demasiado largo: máximo {max} caracteres.",
    "links.custom.number_range": "Número fuera de rango: como mucho {max} en valor absoluto.",
    "links.custom.number_places": "Número con demasiados decimales: como mucho {places}.",
    "links.custom.bad_text": "Texto no válido: contiene caracteres que no existen.",
}
