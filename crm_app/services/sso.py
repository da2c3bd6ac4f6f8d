"""Single sign-on: from validated OpenID Connect claims to a CRM session.

No auto-provisioning: the ``email`` claim must name an existing, active user (an administrator
creates users). The session is opened exactly like a password login, audited as ``login`` with
note ``sso``. Password lockout (``locked_until``) does not block SSO: it guards against password
guessing, and the provider has just authenticated the person.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from crm_app.models import User
from crm_app.services import auth as auth_service
from crm_app.services.errors import LoginFailed

log = logging.getLogger(__name__)

NO_EMAIL = ("Tu cuenta de la empresa no comparte un correo electrónico con el CRM, así que no "
            "podemos identificarte. Avisa a un administrador.")
UNVERIFIED = ("El proveedor de identidad indica que el correo de tu cuenta de la empresa no está "
              "verificado. Verifícalo antes de entrar en el CRM.")
UNKNOWN = ("No hay ningún usuario del CRM con el correo {email}. Pide a un administrador que te "
           "dé de alta.")
INACTIVE = "Tu usuario del CRM ({email}) está desactivado. Habla con un administrador."


def _verified(value: Any) -> bool:
    # some providers send the JSON string "true" instead of a boolean
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def login_with_claims(*, session: Session, claims: Mapping[str, Any], ip: str = "",
                      user_agent: str = "") -> tuple[User, str]:
    """Map validated ID token claims to an active user and open a session (raw token)."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        log.warning("SSO refused: no email claim (sub=%r)", claims.get("sub"))
        raise LoginFailed(NO_EMAIL)
    email = email.strip().lower()
    if "email_verified" in claims and not _verified(claims["email_verified"]):
        log.warning("SSO refused: unverified email %s", email)
        raise LoginFailed(UNVERIFIED)
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        log.warning("SSO refused: no CRM user %s", email)
        raise LoginFailed(UNKNOWN.format(email=email))
    if not user.active:
        log.warning("SSO refused: inactive CRM user %s", email)
        raise LoginFailed(INACTIVE.format(email=email))
    token = auth_service.open_session(session=session, user=user, ip=ip, user_agent=user_agent,
                                      note="sso")
    return user, token
