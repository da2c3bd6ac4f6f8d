"""Alertas y notificaciones (issue 13): the bell's panel, the pop-up, the built-in checks'
messages and reasons, Mi cuenta → Notificaciones, web push."""

ES = {
    # --- messages and why they fired -------------------------------------------------------------
    "alr.msg.idle": "Oportunidad sin actividad: {name} ({days} días)",
    "alr.why.idle": ("Comprobación «oportunidad parada»: en la etapa {stage} el límite es de "
                     "{days} días sin actividad y el último movimiento fue el {last}."),
    "alr.msg.task_overdue": "Tarea vencida: {subject}",
    "alr.msg.task_reminder": "Recordatorio: {subject} a las {at}",
    "alr.why.task_reminder": ("Pediste un aviso {minutes} minutos antes del vencimiento "
                              "({due})."),
    "alr.why.task_overdue": "Comprobación «tarea vencida»: vencía el {due} y no está hecha.",
    "alr.msg.quote_expiring": "El presupuesto {quote} caduca el {date}",
    "alr.why.quote_expiring": ("Comprobación «presupuesto a punto de caducar»: quedan {left} "
                               "días de validez (aviso con {days} días de antelación)."),
    "alr.msg.lead_not_contacted": "Lead sin contactar: {name}",
    "alr.why.lead_not_contacted": ("Comprobación «lead sin contactar»: entró el {at} y, "
                                   "pasadas {hours} horas, sigue nuevo y sin contacto."),
    "alr.msg.quote_accepted": "Presupuesto {quote} aceptado",
    "alr.why.quote_accepted": "Aviso «presupuesto aceptado»: {who} marcó {quote} ({total}) "
                              "como aceptado.",
    "alr.msg.quote_rejected": "Presupuesto {quote} rechazado",
    "alr.why.quote_rejected": "Aviso «presupuesto rechazado»: {who} marcó {quote} ({total}) "
                              "como rechazado.",
    "alr.msg.big_deal": "Gran venta ganada: {name} ({amount})",
    "alr.why.big_deal": ("Aviso «gran venta»: {owner} ganó una oportunidad de {amount}, igual o "
                         "por encima del umbral de {threshold}."),
    # --- errors ----------------------------------------------------------------------------------
    "alr.not_found": "Alerta no encontrada.",
    "alr.err.unknown": "Ajuste de alertas desconocido.",
    "alr.err.bool": "Indica sí o no.",
    "alr.err.range": "Debe ser un número entero entre {low} y {high}.",
    "alr.err.channel": "Canal no válido: in_app, email o push.",
    "alr.err.kind": "Tipo de alerta no válido.",
    "alr.err.endpoint": ("Dirección de suscripción no válida: debe ser una URL https de un "
                         "servicio de notificaciones push."),
    "alr.err.key": "Clave de suscripción no válida (base64url).",
    "alr.err.too_many": "Demasiados dispositivos suscritos: quita alguno antes de añadir otro.",
    # --- the bell and the pop-up ------------------------------------------------------------------
    "alr.why": "Por qué",
    "alr.read": "Marcar leída",
    "alr.dismiss": "Descartar",
    "alr.go": "Ir al registro",
    "alr.all_read": "Marcar todas como leídas",
    "alr.icon": "Tiene alertas abiertas",
    "alr.level.info": "Aviso",
    "alr.level.warning": "Atención",
    "alr.level.critical": "Urgente",
    # --- e-mail and push ------------------------------------------------------------------------
    "alr.mail.subject": "[CRM] {message}",
    "alr.mail.body": "{message}\n\nPor qué: {reason}\n\nÁbrelo en el CRM: {url}\n",
    "alr.push.title": "CRM: nueva alerta",
    # --- Mi cuenta → Notificaciones -------------------------------------------------------------
    "alr.prefs.title": "Notificaciones",
    "alr.prefs.help": ("Cómo te llegan tus alertas: en la aplicación (aviso emergente), por "
                       "correo y como notificación push en este móvil u ordenador."),
    "alr.prefs.in_app": "Avisos en la aplicación",
    "alr.prefs.email": "Correo electrónico",
    "alr.prefs.push": "Notificaciones push",
    "alr.prefs.saved": "Preferencias de notificación guardadas.",
    "alr.prefs.enable_device": "Activar en este dispositivo",
    "alr.prefs.device_on": "Notificaciones push activadas en este dispositivo.",
    "alr.prefs.device_denied": "El navegador no permite notificaciones en este dispositivo.",
    "alr.prefs.devices": "Dispositivos con push: {count}",
    # --- Ajustes → Alertas (admin) --------------------------------------------------------------
    "alr.settings.title": "Alertas automáticas",
    "alr.settings.link": "Alertas automáticas",
    "alr.settings.link_help": "Qué avisos salta el CRM solo y con qué umbrales.",
    "alr.settings.idle": "Oportunidad parada más días de los que permite su etapa",
    "alr.settings.task_overdue": "Tarea vencida",
    "alr.settings.quote_expiring": "Presupuesto a punto de caducar",
    "alr.settings.quote_expiring_days": "Días de antelación",
    "alr.settings.lead_not_contacted": "Lead sin contactar a tiempo",
    "alr.settings.lead_not_contacted_hours": "Horas",
    "alr.settings.quote_decided": "Presupuesto aceptado o rechazado (al comercial)",
    "alr.settings.big_deal": "Gran venta ganada (al responsable del equipo)",
    "alr.settings.big_deal_amount": "Importe mínimo (€)",
    "alr.settings.saved": "Ajustes de alertas guardados.",
    # --- PWA ------------------------------------------------------------------------------------
    "alr.pwa.name": "CRM",
    "alr.pwa.description": "Clientes, oportunidades, tareas y alertas de tu empresa.",
}
