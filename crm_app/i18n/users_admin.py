"""Ajustes → Usuarios y Equipos, invitations and the invitee's page (issue 12)."""

ES = {
    # --- validation (services.user_admin) -----------------------------------------------------
    "uadm.err.email": "Correo electrónico no válido.",
    "uadm.err.email_taken": "Ya existe un usuario con ese correo.",
    "uadm.err.name": "El nombre es obligatorio.",
    "uadm.err.too_long": "Como máximo {max} caracteres.",
    "uadm.err.role": "Rol desconocido: usa admin, director, manager o comercial.",
    "uadm.err.team": "Ese equipo no existe.",
    "uadm.err.bool": "Debe ser sí o no.",
    "uadm.err.unknown": "Campo desconocido.",
    "uadm.err.last_admin": (
        "Es el último administrador activo: nombra antes a otro administrador."),
    "uadm.err.self_deactivate": "No puedes desactivar tu propia cuenta.",
    "uadm.err.not_accepted": (
        "Este usuario aún no ha aceptado la invitación: reenvíala para que elija su "
        "contraseña."),
    "uadm.err.already_accepted": "Este usuario ya ha aceptado la invitación.",
    "uadm.err.inactive_resend": "Este usuario está desactivado: reactívalo primero.",
    "uadm.err.user_missing": "Usuario no encontrado.",
    "uadm.err.to_user": "Elige un usuario activo distinto del de origen.",
    "uadm.err.to_user_missing": "Ese usuario no existe.",
    "uadm.err.to_user_inactive": "Ese usuario está desactivado.",
    "uadm.err.team_name": "El nombre del equipo es obligatorio.",
    "uadm.err.team_taken": "Ya existe un equipo con ese nombre.",
    "uadm.err.team_missing": "Equipo no encontrado.",
    "uadm.err.manager_missing": "Ese usuario no existe.",
    "uadm.err.manager_team": "El responsable debe ser un usuario activo de este equipo.",
    "uadm.err.manager_role": (
        "El responsable debe tener el rol jefe de equipo, dirección o administración."),
    "uadm.err.password_mismatch": "Las dos contraseñas no coinciden.",
    "uadm.err.mail": "No se pudo enviar la invitación: {reason}",
    # --- the invitation link ----------------------------------------------------------------
    "uadm.link.unknown": "Este enlace de invitación no es válido. Pide a tu administrador "
                         "que te envíe una nueva invitación.",
    "uadm.link.used": "Este enlace de invitación ya se ha usado. Si ya elegiste tu contraseña, "
                      "inicia sesión.",
    "uadm.link.expired": "Este enlace de invitación ha caducado (vale 72 horas). Pide a tu "
                         "administrador que te la reenvíe.",
    "uadm.link.replaced": "Este enlace ya no vale: se ha enviado una invitación más reciente. "
                          "Usa el último correo que recibiste.",
    "uadm.link.inactive": "Esta cuenta está desactivada. Habla con tu administrador.",
    # --- the invitation e-mail --------------------------------------------------------------
    "uadm.mail.subject": "Invitación al CRM de {company}",
    "uadm.mail.body": (
        "Hola, {name}:\n\n{inviter} te ha dado acceso al CRM de {company} con el correo "
        "{email}.\n\nPara entrar, elige tu contraseña en este enlace (vale 72 horas y una sola "
        "vez):\n\n{link}\n\nSi no esperabas esta invitación, ignora este correo.\n"),
    # --- CLI ---------------------------------------------------------------------------------
    "uadm.cli.password_set": "Contraseña cambiada para {email}.",
    "uadm.cli.deactivated": "Usuario desactivado: {email} (sesiones y tokens revocados).",
    "uadm.cli.reactivated": "Usuario reactivado: {email}.",
    "uadm.cli.need_stdin": "indica --password-stdin y pasa la contraseña por la entrada "
                           "estándar",
    # --- screens -----------------------------------------------------------------------------
    "uadm.users.title": "Usuarios",
    "uadm.users.subtitle": "Quién entra en el CRM, con qué rol y en qué equipo.",
    "uadm.teams.title": "Equipos",
    "uadm.teams.subtitle": "Los equipos comerciales y su responsable.",
    "uadm.col.name": "Nombre",
    "uadm.col.email": "Correo",
    "uadm.col.role": "Rol",
    "uadm.col.team": "Equipo",
    "uadm.col.state": "Estado",
    "uadm.col.last_login": "Último acceso",
    "uadm.col.members": "Miembros",
    "uadm.col.manager": "Responsable",
    "uadm.state.active": "Activo",
    "uadm.state.invited": "Invitado",
    "uadm.state.inactive": "Desactivado",
    "uadm.never": "Nunca",
    "uadm.no_team": "Sin equipo",
    "uadm.no_manager": "Sin responsable",
    "uadm.invite": "Invitar usuario",
    "uadm.invite.title": "Invitar usuario",
    "uadm.invite.help": (
        "Recibirá un correo con un enlace para elegir su contraseña (vale 72 horas). La "
        "cuenta queda inactiva hasta entonces."),
    "uadm.invite.send": "Enviar invitación",
    "uadm.invited": "Invitación enviada a {email}.",
    "uadm.resend": "Reenviar invitación",
    "uadm.resent": "Invitación reenviada a {email}.",
    "uadm.edit": "Editar",
    "uadm.edit.title": "Editar usuario",
    "uadm.saved": "Usuario guardado.",
    "uadm.deactivate": "Desactivar",
    "uadm.deactivate.ask": "¿Desactivar a",
    "uadm.deactivate.help": (
        "Se cierran al momento todas sus sesiones y se revocan sus tokens de la API. Sus "
        "registros siguen a su nombre hasta que los reasignes."),
    "uadm.deactivated": "{name} desactivado: sesiones y tokens revocados.",
    "uadm.reactivate": "Reactivar",
    "uadm.reactivated": "{name} reactivado.",
    "uadm.reassign": "Reasignar registros",
    "uadm.reassign.help": (
        "Todos sus leads, clientes, contactos, oportunidades, presupuestos, actividades y "
        "documentos pasan al usuario elegido, de una vez."),
    "uadm.reassign.to": "Nuevo responsable",
    "uadm.reassign.go": "Reasignar",
    "uadm.reassigned": "{count} registros reasignados a {name}.",
    "uadm.cancel": "Cancelar",
    "uadm.save": "Guardar",
    "uadm.actions": "Acciones",
    "uadm.team.new": "Nuevo equipo",
    "uadm.team.create": "Crear equipo",
    "uadm.team.created": "Equipo creado.",
    "uadm.team.saved": "Equipo guardado.",
    "uadm.team.edit": "Editar equipo",
    "uadm.team.name": "Nombre del equipo",
    "uadm.team.manager": "Responsable",
    "uadm.empty": "Aún no hay equipos.",
    "uadm.nav.users": "Usuarios",
    "uadm.nav.users_help": "Invitar, editar, desactivar y reasignar registros.",
    "uadm.nav.teams": "Equipos",
    "uadm.nav.teams_help": "Crear equipos, renombrarlos y elegir su responsable.",
    "uadm.link.users": "Usuarios",
    "uadm.link.teams": "Equipos",
    # --- the invitee's page ------------------------------------------------------------------
    "uadm.accept.title": "Elige tu contraseña",
    "uadm.accept.hello_pre": "Hola,",
    "uadm.accept.hello_mid": ". Elige la contraseña con la que entrarás como",
    "uadm.accept.password": "Contraseña",
    "uadm.accept.password2": "Repite la contraseña",
    "uadm.accept.hint": "Al menos 10 caracteres; mejor una frase de varias palabras.",
    "uadm.accept.submit": "Guardar y entrar",
    "uadm.accept.to_login": "Ir a iniciar sesión",
}
