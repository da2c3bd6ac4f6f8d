"""/ajustes/empresa: the company's data (issue 12), on the kit's record form.

The service (``services.organisation``) validates every field and its Spanish messages land
under each one. The SMTP password is write-only: the form never holds the stored one (only
``password_set`` for the "(guardada)" mark); a blank password field keeps it, the "borrar"
box removes it. The logo is stored at once when chosen (like a product's image) and the app's
header shows it (``AppState.company_logo``). "Enviar correo de prueba" runs in the background
(an SMTP server may take seconds to answer) through the saved settings.
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

import reflex as rx

from crm_app.i18n import t
from crm_app.permissions import Perm
from crm_app.services import organisation as org_service
from crm_app.state import AppState, Ctx, handler
from crm_app.state_mixins.record_form import RecordFormMixin

# The form's fields in screen order (the first one in error is brought into view).
FIELD_ORDER = ("legal_name", "trade_name", "nif", "address", "postal_code", "city",
               "province", "country", "phone", "email", "website", "fiscal_year_start_month",
               "default_tax_rate", "payment_terms_days", "quote_validity_days", "quote_series",
               "invoice_series", "credit_note_series", "simplified_series", "iban",
               "sepa_creditor_id", "brand_color", "smtp_host", "smtp_port", "smtp_user",
               "smtp_password", "smtp_from")
TEXT_FIELDS = tuple(f for f in FIELD_ORDER if f != "smtp_password")
CHECKED = ("on", "true", "True", "1")


def form_values(view: dict[str, Any]) -> dict[str, str]:
    """The service's ``values`` as the form's strings (``21.00`` → ``21``)."""
    out = {k: "" if view.get(k) is None else str(view[k]) for k in TEXT_FIELDS}
    rate = view.get("default_tax_rate")
    out["default_tax_rate"] = str(int(rate)) if rate is not None else "21"
    out["smtp_starttls"] = "on" if view.get("smtp_starttls") else ""
    return out


def _key(prefix: str, values: dict[str, str]) -> str:
    """A form key that changes with the values: the inputs remount with them."""
    return prefix + hashlib.sha1(repr(sorted(values.items())).encode(),
                                 usedforsecurity=False).hexdigest()[:12]


class CompanyState(RecordFormMixin, AppState):
    password_set: bool = False
    logo_url: str = ""
    logo_errors: dict[str, str] = {}
    uploading: bool = False
    test_to: str = ""
    test_errors: dict[str, str] = {}
    sending_test: bool = False

    _list_href: ClassVar[str] = "/ajustes"
    _field_order: ClassVar[tuple[str, ...]] = FIELD_ORDER

    def _show(self, ctx: Ctx) -> None:
        view = org_service.company(session=ctx.session, actor=ctx.user)
        self.values = form_values(view)
        self.password_set = bool(view["smtp_password_set"])
        self.logo_url = org_service.logo_url(session=ctx.session)
        self.company_logo = self.logo_url
        self.ready = True

    @handler(Perm.SETTINGS_CHANGE, guarded=True)
    def load(self, ctx: Ctx) -> None:
        """on_load after ``check_admin``: the form filled with the stored data."""
        self._reset_form()
        self.logo_errors, self.test_errors = {}, {}
        self.test_to = ctx.user.email or ""
        self._show(ctx)
        self.form_key = _key("company-", self.values)

    def _collect(self, form: dict[str, Any]) -> dict[str, Any]:
        """The service's payload: every field as typed; the password only when typed (or
        ``""`` with "borrar" ticked)."""
        data: dict[str, Any] = {k: str(form.get(k) or "").strip() for k in TEXT_FIELDS}
        data["smtp_starttls"] = str(form.get("smtp_starttls") or "") in CHECKED
        password = str(form.get("smtp_password") or "")
        if str(form.get("smtp_password_clear") or "") in CHECKED:
            data["smtp_password"] = ""
        elif password:
            data["smtp_password"] = password
        return data

    @handler(Perm.SETTINGS_CHANGE, errors="errors")
    def save(self, ctx: Ctx, form: dict[str, Any]) -> Any:
        with self._busy("saving"):
            yield
            org_service.update_company(session=ctx.session, actor=ctx.user,
                                       data=self._collect(form))
            self._show(ctx)
        # A new key remounts the inputs with the saved (normalised) values, password blank.
        self.form_key = _key("company-saved-", self.values)
        yield rx.toast.success(t("company.saved"), id="company-saved")

    # --- logo ---------------------------------------------------------------------------------

    @handler(Perm.SETTINGS_CHANGE, errors="logo_errors")
    async def upload_logo(self, ctx: Ctx, files: list[rx.UploadFile]) -> Any:
        """The logo, stored by the service in the data dir (never ``/_upload``)."""
        if not files:
            return
        with self._busy("uploading"):
            yield
            content = await files[0].read(org_service.MAX_LOGO_BYTES + 1)
            org_service.set_logo(session=ctx.session, actor=ctx.user, content=content)
        self.logo_url = self.company_logo = org_service.logo_url(session=ctx.session)
        yield rx.toast.success(t("company.logo_saved"), id="company-logo-saved")

    @handler(Perm.SETTINGS_CHANGE, errors="logo_errors")
    def remove_logo(self, ctx: Ctx) -> Any:
        org_service.remove_logo(session=ctx.session, actor=ctx.user)
        self.logo_url = self.company_logo = ""
        return rx.toast.success(t("company.logo_removed"), id="company-logo-removed")

    @rx.var
    def logo_error_text(self) -> str:
        return self.logo_errors.get("logo", "")

    # --- test e-mail --------------------------------------------------------------------------

    @rx.event
    def set_test_to(self, value: str) -> None:
        self.test_to = str(value or "")[:254]

    @handler(Perm.SETTINGS_CHANGE, errors="test_errors", background=True)
    async def send_test(self, ctx: Ctx) -> Any:
        """Send the test e-mail through the saved SMTP settings (in a worker thread)."""
        async with self:
            if self.sending_test:
                return
            self.sending_test = True
            to = self.test_to

        def work() -> str:
            return org_service.send_test_email(session=ctx.session, actor=ctx.user, to=to)

        try:
            sent_to = await rx.run_in_thread(work)
        finally:
            async with self:
                self.sending_test = False
        return rx.toast.success(t("company.test_sent", to=sent_to), id="company-test-sent")

    @rx.var
    def test_error_text(self) -> str:
        return self.test_errors.get("to", "")


__all__ = ["FIELD_ORDER", "CompanyState", "form_values"]
