"""What the PDF documents share: their templates, a Jinja environment over them and one
WeasyPrint font configuration per process.

A new font configuration per render starts Pango's font and glyph caches cold again (~5 % of
a report, more than the layout of a quote), so quotes and reports use this one. WeasyPrint is
imported on first use: importing it costs ~2 s that a process which never renders should not
pay.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"


def environment(**filters: Callable[..., Any]) -> Environment:
    """The templates' Jinja environment (HTML autoescaped) with a document's own filters;
    each document keeps its own (``lru_cache`` on the caller)."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters.update(filters)
    return env


@lru_cache(maxsize=1)
def font_config() -> Any:
    """The process's WeasyPrint font configuration."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def write_pdf(html: str, *, stylesheets: Sequence[Any] = ()) -> bytes:
    """``html`` (its relative URLs resolved against the templates) as PDF bytes."""
    from weasyprint import HTML

    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf(
        stylesheets=list(stylesheets) or None, font_config=font_config())


__all__ = ["TEMPLATES", "environment", "font_config", "write_pdf"]
