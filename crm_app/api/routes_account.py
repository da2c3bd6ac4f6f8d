"""Account security over HTTP (issue 12), thin over ``services.account``: an admin sends a user
the "elige tu contraseña" link, or turns off the second factor of one who lost it. (The
login's second step and the reset link itself are in ``auth_routes``: they work without a
session.)"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path
from fastapi.responses import Response

from crm_app.api.deps import DBSession
from crm_app.api.deps import requires as _requires
from crm_app.models import User
from crm_app.models.schemas_account import PasswordResetSentPublic
from crm_app.permissions import Perm
from crm_app.services import account as account_service

router = APIRouter(prefix="/api/v1/users", tags=["usuarios"])

IS_ADMIN = _requires(Perm.USERS_MANAGE)


@router.post("/{user_id}/password-reset", status_code=202,
             response_model=PasswordResetSentPublic)
def send_password_reset(session: DBSession, user_id: int = Path(ge=1, le=2**31 - 1),
                        user: User = IS_ADMIN) -> Any:
    """E-mail the user a single-use link (30 minutes) to choose a new password. 404 for an
    unknown user, 409 for a deactivated one, 400 when the mail server refuses."""
    sent_to = account_service.send_password_reset(session=session, actor=user,
                                                  user_id=user_id)
    return {"email": sent_to}


@router.delete("/{user_id}/two-factor", status_code=204)
def reset_two_factor(session: DBSession, user_id: int = Path(ge=1, le=2**31 - 1),
                     user: User = IS_ADMIN) -> Response:
    """Turn off the user's second factor (lost phone and recovery codes); audited."""
    account_service.reset_two_factor(session=session, actor=user, user_id=user_id)
    return Response(status_code=204)
