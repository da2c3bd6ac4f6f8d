"""The app's exception handlers pass the check ``reflex export`` runs before it compiles the
frontend (a handler annotated ``-> Any`` stopped every build: ``crm run`` never started)."""

from __future__ import annotations


def test_the_backend_exception_handler_passes_reflexs_check():
    from crm_app.crm_app import app

    app._validate_exception_handlers()  # raises ValueError on a wrong signature
