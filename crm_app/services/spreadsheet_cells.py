"""What may go into a cell of a CSV or XLSX file the CRM hands out: the one rule for exports.

A spreadsheet treats a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(and a leading tab or carriage return can hide one), so a lead whose company is
``=HYPERLINK("http://evil","Factura")`` becomes a live link, or worse, in the file a manager
downloads ("CSV injection", OWASP). Every export passes its cells through ``safe_cell``:
such a text gets a leading apostrophe, which makes Excel, LibreOffice and Google Sheets show
it as plain text (the apostrophe is visible, the formula is never evaluated).

Numbers stay numbers: ``safe_cell`` only touches ``str`` values. An exporter that writes a
number as text (the CSV exports format amounts as ``-1234,56``) must format it *after* the
rule, from the number, so a negative amount is never quoted: a cell that is only a number is
read as a number, never as a formula. Texts that merely look like numbers (a company called
``-5``, a phone ``+34 600…`` kept as text) are texts and are neutralised.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` unchanged unless it is a text a spreadsheet could take for a formula; then
    the same text behind an apostrophe (``'=HYPERLINK(…)``)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


__all__ = ["FORMULA_STARTS", "safe_cell"]
