"""Who acts: the name the timelines give the system, and its refusals."""

ES = {
    "actors.system": "Sistema",
    "actors.not_a_person": (
        "Esto es de una persona: el sistema no tiene vistas guardadas, avisos ni plantillas "
        "propias."),
}
