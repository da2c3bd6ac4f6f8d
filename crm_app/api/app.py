"""The FastAPI application that Reflex mounts; domain errors become HTTP statuses here."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from crm_app.api import auth_routes, oidc_routes, routes_base
from crm_app.api.field_errors import ERROR_RESPONSES, field_errors
from crm_app.api.origin_guard import OriginGuard
from crm_app.logsafe import install as install_log_redaction
from crm_app.permissions import PermissionDenied
from crm_app.services.errors import (
    Conflict,
    DomainError,
    NotFound,
    TooManyRequests,
    ValidationFailed,
)
from crm_app.settings import get_settings


def build_api() -> FastAPI:
    install_log_redaction()  # also when served without Reflex (uvicorn --factory, tests)
    api = FastAPI(title="CRM API", version="1", docs_url="/api/docs",
                  openapi_url="/api/openapi.json", redoc_url=None,
                  responses=ERROR_RESPONSES)
    # Outermost of our own layers: it also wraps the Reflex app that Reflex mounts inside
    # this one, so no router (present or future) can forget the cross-site check.
    api.add_middleware(OriginGuard, allowed_origins=get_settings().allowed_origins)

    @api.exception_handler(PermissionDenied)
    async def _denied(_: Request, exc: PermissionDenied) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=403)

    @api.exception_handler(NotFound)
    async def _missing(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=404)

    @api.exception_handler(ValidationFailed)
    async def _invalid(_: Request, exc: ValidationFailed) -> JSONResponse:
        return JSONResponse({"detail": exc.message, "errors": exc.errors}, status_code=422)

    @api.exception_handler(TooManyRequests)
    async def _too_many(_: Request, exc: TooManyRequests) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=429,
                            headers={"Retry-After": str(exc.retry_after)})

    @api.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=409)

    @api.exception_handler(RequestValidationError)
    async def _bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        """Every router answers malformed input with the same Spanish field-error shape."""
        return JSONResponse({"detail": "Revisa los datos marcados.",
                             "errors": field_errors(list(exc.errors()))}, status_code=422)

    @api.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=400)

    api.include_router(routes_base.router)
    api.include_router(auth_routes.router)
    api.include_router(oidc_routes.router)
    from crm_app.api import routes_leads  # noqa: PLC0415
    api.include_router(routes_leads.router)
    from crm_app.api import routes_accounts, routes_sales  # noqa: PLC0415
    api.include_router(routes_accounts.router)
    api.include_router(routes_sales.router)
    from crm_app.api import routes_analytics  # noqa: PLC0415
    api.include_router(routes_analytics.router)
    from crm_app.api import routes_company  # noqa: PLC0415
    api.include_router(routes_company.router)
    from crm_app.api import routes_users  # noqa: PLC0415
    api.include_router(routes_users.router)
    from crm_app.api import invitation_routes  # noqa: PLC0415
    api.include_router(invitation_routes.router)
    from crm_app.api import routes_activities  # noqa: PLC0415
    api.include_router(routes_activities.router)
    from crm_app.api import routes_audit  # noqa: PLC0415
    api.include_router(routes_audit.router)
    from crm_app.api import routes_account  # noqa: PLC0415
    api.include_router(routes_account.router)
    from crm_app.api import routes_exports  # noqa: PLC0415
    from crm_app.worker.queue import install_alert_delivery, install_export_queue  # noqa: PLC0415
    api.include_router(routes_exports.router)
    install_export_queue()  # the web process hands exports to the Celery worker
    install_alert_delivery()  # and the new alerts' e-mail/push
    from crm_app.api import routes_personal_data  # noqa: PLC0415
    api.include_router(routes_personal_data.router)
    from crm_app.api import routes_agenda  # noqa: PLC0415
    api.include_router(routes_agenda.router)
    from crm_app.api import routes_alerts  # noqa: PLC0415
    api.include_router(routes_alerts.router)
    from crm_app.api import routes_automations  # noqa: PLC0415
    from crm_app.worker.queue import install_automation_queues  # noqa: PLC0415
    api.include_router(routes_automations.router)
    # Record events are drained by the Celery worker right after their commit, rule emails
    # sent by it. The suite's in-process apps (CRM_ENV=test) leave that to the tests, which
    # drain explicitly or start a real worker: no broker traffic from every test's commits.
    if get_settings().env != "test":
        install_automation_queues()
    return api
