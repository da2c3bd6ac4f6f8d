"""The "Datos personales (RGPD)" card of a person's page: legal basis, consent per purpose
(given, date, how, text/version), "Exportar datos de esta persona" (a download from the
authorised API route) and "Anonimizar" behind a confirmation. Stateless: the page's state
(``crm_app.state_mixins.personal_data.PersonalDataMixin``) is passed in as ``S``."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.dialogs import confirm
from components.forms import PHONE_FULL, choice, field, form_actions, section
from crm_app.i18n import t
from crm_app.state_mixins.personal_data import BASIS_OPTIONS, METHOD_OPTIONS


def _purpose(S: Any, short: str, purpose: str, prefix: str,  # noqa: N803
             errors: Any) -> rx.Component:
    base = f"{prefix}-{purpose}"
    key = f"consent.{purpose}"
    disabled = S.pd_anonymised != ""
    return rx.vstack(
        rx.checkbox(t(f"pd.purpose.{purpose}"), checked=getattr(S, f"pd_{short}_given"),
                    on_change=getattr(S, f"set_pd_{short}_given"), id=f"{base}-given",
                    disabled=disabled),
        rx.cond(errors.get(f"{key}.given", "") != "",
                rx.text(errors.get(f"{key}.given", ""), size="1",
                        color=rx.color("red", 11), role="alert")),
        rx.grid(
            field(t("pd.field.at"),
                  rx.input(value=getattr(S, f"pd_{short}_at"),
                           on_change=getattr(S, f"set_pd_{short}_at"), id=f"{base}-at",
                           placeholder="dd/mm/aaaa", input_mode="numeric", width="100%",
                           disabled=disabled),
                  html_for=f"{base}-at", error=errors.get(f"{key}.at", "")),
            field(t("pd.field.method"),
                  choice(METHOD_OPTIONS, value=getattr(S, f"pd_{short}_method"),
                         on_change=getattr(S, f"set_pd_{short}_method"), id=f"{base}-method",
                         disabled=disabled),
                  html_for=f"{base}-method", error=errors.get(f"{key}.method", "")),
            columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
        ),
        field(t("pd.field.text"),
              rx.input(value=getattr(S, f"pd_{short}_text"),
                       on_change=getattr(S, f"set_pd_{short}_text"), id=f"{base}-text",
                       max_length=300, width="100%", disabled=disabled),
              html_for=f"{base}-text", error=errors.get(f"{key}.text", "")),
        spacing="2", width="100%", padding_top="var(--space-2)",
        border_top=f"1px solid {rx.color('gray', 5)}",
    )


def consent_fields(S: Any, *, prefix: str, errors: Any = None) -> rx.Component:  # noqa: N803
    """The legal basis and both purposes (read-only once the person is anonymised); the
    field errors come from ``errors`` (default ``S.pd_errors``) under the service's keys."""
    errors = S.pd_errors if errors is None else errors
    return rx.vstack(
        rx.cond(S.pd_anonymised != "",
                rx.callout(S.pd_anonymised, icon="shield-check", color_scheme="gray",
                           width="100%", id=f"{prefix}-anonymised"),
                rx.text(t("pd.section.help"), size="1", color_scheme="gray")),
        field(t("pd.field.legal_basis"),
              choice(BASIS_OPTIONS, value=S.pd_basis, on_change=S.set_pd_basis,
                     id=f"{prefix}-basis", disabled=S.pd_anonymised != ""),
              html_for=f"{prefix}-basis", error=errors.get("legal_basis", "")),
        _purpose(S, "com", "comercial", prefix, errors),
        _purpose(S, "news", "newsletter", prefix, errors),
        rx.cond(errors.get("consent", "") != "",
                rx.text(errors.get("consent", ""), size="1", color=rx.color("red", 11),
                        role="alert")),
        spacing="3", width="100%",
    )


def person_actions(S: Any, *, prefix: str, on_export: Any,  # noqa: N803
                   on_anonymise: Any) -> rx.Component:
    """"Exportar datos de esta persona" (a download from the authorised API route) and
    "Anonimizar" behind its confirmation (gone once the person is anonymised)."""
    # Not a link: the app's router would take an <a href="/api/…"> for one of its pages.
    # ``on_export`` checks the hourly limit on the server, then answers ``rx.download``, which
    # clicks a detached anchor: the browser gets the file named by the route.
    export = rx.button(rx.icon("download", size=16), t("pd.export"),
                       on_click=on_export, variant="soft",
                       id=f"{prefix}-export", width=PHONE_FULL)
    anonymise = confirm(
        rx.button(rx.icon("user-x", size=16), t("pd.anonymise"), variant="soft",
                  color_scheme="red", id=f"{prefix}-anonymise", width=PHONE_FULL),
        title=t("pd.anonymise.title"), description=t("pd.anonymise.body"),
        confirm_label=t("pd.anonymise.confirm"), on_confirm=on_anonymise,
        test_id=f"{prefix}-anonymise")
    return rx.flex(export, rx.cond(S.pd_anonymised == "", anonymise),
                   direction=rx.breakpoints(initial="column", sm="row"), spacing="2",
                   width="100%", justify="end")


def personal_data_card(S: Any, *, prefix: str, on_export: Any, on_save: Any,  # noqa: N803
                       on_anonymise: Any) -> rx.Component:
    """The card of a person's page; ``prefix`` names its test hooks (``<prefix>-save``,
    ``<prefix>-export``, ``<prefix>-anonymise``, ``<prefix>-comercial-at``…)."""
    return section(
        t("pd.section"),
        consent_fields(S, prefix=prefix),
        rx.cond(S.pd_anonymised == "", form_actions(
            rx.button(rx.icon("check", size=16), t("pd.save"), on_click=on_save,
                      loading=S.pd_saving, id=f"{prefix}-save", width=PHONE_FULL))),
        person_actions(S, prefix=prefix, on_export=on_export, on_anonymise=on_anonymise),
        test_id=f"{prefix}-card",
        icon="shield",
    )


__all__ = ["consent_fields", "person_actions", "personal_data_card"]
