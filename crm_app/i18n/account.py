"""Mi cuenta, "¿Has olvidado tu contraseña?" and the second factor (TOTP) (issue 12)."""

ES = {
    # --- password reset ------------------------------------------------------------------------
    "account.reset.link": "¿Has olvidado tu contraseña?",
    "account.reset.title": "Recuperar la contraseña",
    "account.reset.intro": (
        "Escribe el correo con el que entras y te enviaremos un enlace para elegir una "
        "contraseña nueva. El enlace vale {minutes} minutos y solo se puede usar una vez."),
    "account.reset.submit": "Enviar el enlace",
    "account.reset.sent": (
        "Si hay una cuenta activa con ese correo, te hemos enviado un enlace para elegir una "
        "contraseña nueva. Revisa tu bandeja de entrada (y la de correo no deseado)."),
    "account.reset.back": "Volver a iniciar sesión",
    "account.reset.throttled": (
        "Demasiadas solicitudes de recuperación. Inténtalo de nuevo en {minutes} minutos."),
    "account.reset.mail_subject": "Elige una contraseña nueva para el CRM",
    "account.reset.mail_body": (
        "Hola, {name}:\n\n"
        "Alguien (esperamos que tú) ha pedido elegir una contraseña nueva para tu cuenta del "
        "CRM ({email}). Para hacerlo, abre este enlace:\n\n{link}\n\n"
        "El enlace vale {minutes} minutos y solo se puede usar una vez. Al cambiar la "
        "contraseña se cerrarán todas tus sesiones abiertas.\n\n"
        "Si no lo has pedido tú, ignora este mensaje: tu contraseña no cambia.\n"),
    "account.reset.new_title": "Elige una contraseña nueva",
    "account.reset.new_intro": (
        "Al menos 10 caracteres y difícil de adivinar. Al guardarla se cerrarán todas tus "
        "sesiones abiertas."),
    "account.reset.new_password": "Contraseña nueva",
    "account.reset.new_password2": "Repite la contraseña nueva",
    "account.reset.save": "Guardar la contraseña",
    "account.reset.done": "Contraseña cambiada. Ya puedes iniciar sesión con la nueva.",
    "account.reset.invalid": (
        "El enlace no es válido o ha caducado (vale {minutes} minutos y solo una vez). "
        "Pide otro desde «¿Has olvidado tu contraseña?»."),
    "account.reset.user_not_found": "Usuario no encontrado.",
    "account.reset.inactive": "El usuario está desactivado: no puede recibir un enlace.",
    "account.reset.admin_sent": "Enlace para elegir contraseña enviado a {email}.",
    "account.err.mismatch": "Las dos contraseñas no coinciden.",
    "account.err.required": "Obligatorio.",
    "account.err.email": "Correo electrónico no válido.",
    # --- own password ---------------------------------------------------------------------------
    "account.title": "Mi cuenta",
    "account.menu": "Mi cuenta",
    "account.subtitle": "Tu contraseña, tus sesiones abiertas, tus tokens de API y la verificación "
                        "en dos pasos.",
    "account.password.title": "Contraseña",
    "account.password.current": "Contraseña actual",
    "account.password.new": "Contraseña nueva",
    "account.password.new2": "Repite la contraseña nueva",
    "account.password.save": "Cambiar la contraseña",
    "account.password.hint": "Al cambiarla se cierran tus otras sesiones; esta sigue abierta.",
    "account.password.wrong": "La contraseña actual no es correcta.",
    "account.password.changed": "Contraseña cambiada. Tus otras sesiones se han cerrado.",
    # --- sessions -------------------------------------------------------------------------------
    "account.sessions.title": "Sesiones abiertas",
    "account.sessions.created": "Iniciada",
    "account.sessions.last_seen": "Última actividad",
    "account.sessions.device": "Navegador",
    "account.sessions.ip": "IP",
    "account.sessions.this": "Esta sesión",
    "account.sessions.revoke": "Cerrar",
    "account.sessions.revoke_label": "Cerrar la sesión iniciada el {created}",
    "account.sessions.revoked": "Sesión cerrada.",
    "account.sessions.not_found": "Sesión no encontrada.",
    "account.sessions.unknown_device": "Desconocido",
    # --- API tokens -----------------------------------------------------------------------------
    "account.tokens.title": "Tokens de API",
    "account.tokens.hint": (
        "Para integraciones: se envían como «Authorization: Bearer …». El token se muestra "
        "una sola vez; guárdalo en un lugar seguro."),
    "account.tokens.name": "Nombre del token",
    "account.tokens.name_placeholder": "Por ejemplo: hoja de cálculo de ventas",
    "account.tokens.create": "Crear token",
    "account.tokens.created_title": "Copia tu token ahora: no se volverá a mostrar",
    "account.tokens.none": "No tienes tokens de API.",
    "account.tokens.prefix": "Empieza por",
    "account.tokens.created": "Creado",
    "account.tokens.last_used": "Último uso",
    "account.tokens.never": "Nunca",
    "account.tokens.revoke": "Revocar",
    "account.tokens.revoke_label": "Revocar el token {name}",
    "account.tokens.revoked": "Token revocado.",
    "account.tokens.not_found": "Token no encontrado.",
    "account.tokens.too_many": "Como máximo {max} tokens activos: revoca alguno antes.",
    "account.tokens.name_too_long": "Como máximo {max} caracteres.",
    # --- second factor --------------------------------------------------------------------------
    "account.2fa.title": "Verificación en dos pasos",
    "account.2fa.on": "Activada",
    "account.2fa.off": "Desactivada",
    "account.2fa.intro": (
        "Además de la contraseña, al entrar se pide un código de 6 cifras de una app de "
        "autenticación (Google Authenticator, Microsoft Authenticator, FreeOTP…)."),
    "account.2fa.required_banner": (
        "La empresa exige la verificación en dos pasos: actívala para seguir usando el CRM."),
    "account.2fa.start": "Activar la verificación en dos pasos",
    "account.2fa.scan": (
        "1. Escanea este código QR con tu app de autenticación (o escribe la clave a mano)."),
    "account.2fa.secret": "Clave",
    "account.2fa.confirm_intro": "2. Escribe el código de 6 cifras que muestra la app.",
    "account.2fa.code": "Código de verificación",
    "account.2fa.confirm": "Confirmar y activar",
    "account.2fa.cancel": "Cancelar",
    "account.2fa.enabled": "Verificación en dos pasos activada.",
    "account.2fa.codes_title": "Tus códigos de recuperación",
    "account.2fa.codes_help": (
        "Guárdalos en un lugar seguro: cada uno sirve una sola vez para entrar si pierdes el "
        "móvil. No se volverán a mostrar."),
    "account.2fa.codes_done": "Ya los he guardado",
    "account.2fa.codes_left": "Códigos de recuperación sin usar: {count}",
    "account.2fa.disable": "Desactivar",
    "account.2fa.disable_intro": (
        "Para desactivarla escribe un código de la app (o de recuperación) o tu contraseña."),
    "account.2fa.disable_code": "Código o contraseña",
    "account.2fa.disabled": "Verificación en dos pasos desactivada.",
    "account.2fa.disable_required": (
        "La empresa exige la verificación en dos pasos: no se puede desactivar."),
    "account.2fa.already": "La verificación en dos pasos ya está activada.",
    "account.2fa.not_started": "Empieza de nuevo: pulsa «Activar la verificación en dos pasos».",
    "account.2fa.not_enabled": "La verificación en dos pasos no está activada.",
    "account.2fa.bad_code": "Código incorrecto o caducado: escribe el que muestra la app ahora.",
    "account.2fa.bad_proof": "El código o la contraseña no son correctos.",
    "account.2fa.unreadable": (
        "No se puede leer la clave guardada (ha cambiado la clave secreta del servidor): "
        "pide a un administrador que te la desactive."),
    "account.2fa.setup_first": (
        "Activa la verificación en dos pasos en «Mi cuenta» para seguir: la empresa la exige."),
    # --- the login's second step -----------------------------------------------------------------
    "account.login2.title": "Verificación en dos pasos",
    "account.login2.intro": (
        "Escribe el código de 6 cifras de tu app de autenticación, o uno de tus códigos de "
        "recuperación."),
    "account.login2.code": "Código",
    "account.login2.submit": "Verificar",
    "account.login2.required": "Falta el código de verificación.",
    "account.login2.wrong": "Código incorrecto.",
    "account.login2.expired": (
        "La verificación ha caducado o se ha intentado demasiadas veces: inicia sesión otra vez."),
    "account.login2.back": "Volver a iniciar sesión",
}
