"""Security: cross-site request refusals, login throttling and the password policy."""

ES = {
    "security.origin.refused": (
        "Petición rechazada: el origen {origin} no está autorizado a modificar datos con tu "
        "sesión. Abre el CRM desde su dirección habitual."),
    "security.origin.missing": (
        "Petición rechazada: falta la cabecera Origin (o Referer) que indica desde qué página "
        "se envía. Los scripts deben usar un token personal (Authorization: Bearer)."),
    "security.login.throttled": (
        "Demasiados intentos de acceso. Espera {seconds} segundos y vuelve a intentarlo."),
    "security.password.too_short": "La contraseña debe tener al menos {min} caracteres.",
    "security.password.too_long": "La contraseña no puede tener más de {max} caracteres.",
    "security.password.weak": (
        "La contraseña es demasiado fácil de adivinar (es común, una secuencia o una "
        "repetición, o contiene tu nombre o correo). Usa una frase de varias palabras poco "
        "habituales."),
}
