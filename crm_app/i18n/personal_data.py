"""Datos personales (RGPD / LOPDGDD): legal basis, consent, access export, erasure and the
retention of discarded leads (issue 12)."""

ES = {
    # --- values ---------------------------------------------------------------------------------
    "pd.basis.": "Sin indicar",
    "pd.basis.consentimiento": "Consentimiento",
    "pd.basis.contrato": "Contrato",
    "pd.basis.interes_legitimo": "Interés legítimo",
    "pd.basis.obligacion_legal": "Obligación legal",
    "pd.purpose.comercial": "Comunicaciones comerciales",
    "pd.purpose.newsletter": "Boletín (newsletter)",
    "pd.method.": "Sin indicar",
    "pd.method.formulario_web": "Formulario web",
    "pd.method.telefono": "Teléfono",
    "pd.method.email": "Correo electrónico",
    "pd.method.importacion": "Importación",
    "pd.method.en_persona": "En persona",
    "pd.method.otro": "Otro",
    "pd.placeholder_name": "Anonimizado",
    "pd.placeholder_text": "[anonimizado]",
    "pd.placeholder_activity": "Actividad anonimizada",
    # --- validation -----------------------------------------------------------------------------
    "pd.err.basis": ("Base legal no válida: consentimiento, contrato, interés legítimo u "
                     "obligación legal."),
    "pd.err.consent_shape": ("El consentimiento debe ser un objeto por finalidad "
                             "(comercial, newsletter)."),
    "pd.err.purpose": "Finalidad desconocida: comercial o newsletter.",
    "pd.err.given": "Indica sí o no.",
    "pd.err.at": "Fecha no válida: usa dd/mm/aaaa o una fecha ISO 8601.",
    "pd.err.at_future": "La fecha del consentimiento no puede ser futura.",
    "pd.err.method": ("Medio no válido: formulario web, teléfono, correo electrónico, "
                      "importación, en persona u otro."),
    "pd.err.text": "Como máximo {max} caracteres.",
    "pd.err.unknown_key": "Dato desconocido: {key}.",
    "pd.err.anonymised_lead": "Este lead está anonimizado: ya no se puede modificar.",
    "pd.err.anonymised_contact": "Este contacto está anonimizado: ya no se puede modificar.",
    "pd.err.export_too_big": ("Los documentos de esta persona ocupan más de {mb} MB: pide la "
                              "exportación completa al administrador."),
    "pd.err.export_rate": ("Como mucho {max} exportaciones de datos personales por hora: "
                           "inténtalo de nuevo en {minutes} min."),
    "pd.err.months": "Indica un número de meses entre {low} y {high}.",
    # --- audit notes ----------------------------------------------------------------------------
    "pd.audit.export": "Exportación de datos personales (derecho de acceso)",
    "pd.audit.anonymise": "Anonimizado (derecho de supresión)",
    "pd.audit.retention": "Anonimizado por el plazo de conservación ({months} meses)",
    "pd.timeline.anonymise": "Anonimizado",
    "pd.timeline.export": "Datos personales exportados",
    # --- UI ---------------------------------------------------------------------------------------
    "pd.section": "Datos personales (RGPD)",
    "pd.section.help": ("Base legal del tratamiento y consentimientos de esta persona. Las fechas "
                        "se guardan en UTC y se muestran en hora de Madrid."),
    "pd.field.legal_basis": "Base legal",
    "pd.field.at": "Fecha (dd/mm/aaaa)",
    "pd.field.method": "Cómo se obtuvo",
    "pd.field.text": "Texto o versión aceptada",
    "pd.save": "Guardar consentimiento",
    "pd.saved": "Consentimiento guardado.",
    "pd.export": "Exportar datos de esta persona",
    "pd.anonymise": "Anonimizar",
    "pd.anonymise.title": "¿Anonimizar a esta persona?",
    "pd.anonymise.body": ("Se sustituyen para siempre su nombre, correo, teléfono, NIF, notas y "
                          "campos de texto libre, y se borran sus documentos. Los presupuestos "
                          "(y facturas) conservan sus datos fiscales. No se puede deshacer."),
    "pd.anonymise.confirm": "Anonimizar para siempre",
    "pd.anonymised": "Persona anonimizada.",
    "pd.anonymised.badge": "Anonimizado el {date}",
    "pd.settings.title": "Datos personales",
    "pd.settings.link": "Datos personales (RGPD)",
    "pd.settings.link_help": "Plazo de conservación de los leads descartados.",
    "pd.settings.subtitle": ("Plazo de conservación de los leads descartados: pasado ese tiempo "
                             "sin actividad, se anonimizan cada noche."),
    "pd.settings.months": "Meses sin actividad antes de anonimizar un lead descartado",
    "pd.settings.preview": "Con este plazo se anonimizarían {count} leads.",
    "pd.settings.preview_one": "Con este plazo se anonimizaría 1 lead.",
    "pd.settings.save": "Guardar plazo",
    "pd.settings.saved": "Plazo de conservación guardado.",
}
