"""What Reflex checks only when it builds the frontend, checked in-process: a wrong signature
here fails ``crm run`` (and every browser test) after minutes of compiling."""

from __future__ import annotations


def test_the_exception_handlers_pass_reflexs_build_check():
    """``backend_error`` annotated ``-> Any`` made the production build refuse the app."""
    from crm_app.crm_app import app

    app._validate_exception_handlers()
