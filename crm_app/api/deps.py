"""Request dependencies: a DB session and the authenticated user (cookie or Bearer token)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session

from crm_app.auth.tokens import SESSION_COOKIE
from crm_app.db import get_engine
from crm_app.i18n import t
from crm_app.models import User
from crm_app.permissions import Perm, has_perm
from crm_app.services import account as account_service
from crm_app.services import auth as auth_service


def get_session() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


DBSession = Annotated[Session, Depends(get_session)]


def current_user(request: Request, session: DBSession) -> User:
    header = request.headers.get("authorization", "")
    user = None
    if header.lower().startswith("bearer "):
        user = auth_service.user_for_api_token(session=session, token=header[7:].strip())
    else:
        user = auth_service.user_for_session(session=session,
                                             token=request.cookies.get(SESSION_COOKIE))
        if account_service.needs_2fa_setup(user):
            # CRM_REQUIRE_2FA: a browser session does nothing until Mi cuenta has the second
            # factor set up (API tokens are not affected: they are not a password login)
            raise HTTPException(status_code=403, detail=t("account.2fa.setup_first"))
    if user is None:
        raise HTTPException(status_code=401, detail="No autenticado.",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def requires(perm: Perm):  # noqa: ANN201
    """Route dependency: the user must hold ``perm`` (403 otherwise)."""

    def _check(user: CurrentUser) -> User:
        if not has_perm(user, perm):
            raise HTTPException(status_code=403, detail="No tienes permiso para esta acción.")
        return user

    return Depends(_check)
