"""A table on screen as a file: CSV for a Spanish spreadsheet or an Excel workbook.

The ONE place the dashboards' and reports' exports are written (Inicio, Informes, the
drill-down list), so a rule about what a cell may hold is applied here once. A table is
``{"headers": [...], "units": [...], "rows": [[...]], "file": name, "sheet": title}``; each
column's unit (``text``, ``money``, ``ratio``, ``days``, ``count``) says how its raw values
(Decimals, ratios from 0 to 1, counts) are written: numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from crm_app.services.spreadsheet_cells import safe_cell

CSV_MIME = "text/csv;charset=utf-8"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv_cell(unit: str, value: Any) -> str:
    """A number is formatted from the number (``-1234,50`` stays a number in the
    spreadsheet); a text goes through ``safe_cell`` (never a formula)."""
    if value is None:
        return ""
    if unit == "text" or isinstance(value, str):
        return safe_cell(str(value))
    if unit == "ratio":
        return f"{float(value) * 100:.2f}".replace(".", ",")
    if unit == "money":
        return f"{Decimal(value):.2f}".replace(".", ",")
    if unit == "days":
        return f"{float(value):.1f}".replace(".", ",")
    return str(value)


def csv_bytes(table: dict[str, Any]) -> bytes:
    """A table as CSV for a Spanish spreadsheet: ``;`` separated, decimal comma, UTF-8 BOM."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(str(h)) for h in table["headers"]])
    for row in table["rows"]:
        writer.writerow([_csv_cell(u, v) for u, v in zip(table["units"], row, strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


_XLSX_FORMATS = {"money": '#,##0.00\\ "€"', "ratio": "0.0%", "days": "0.0", "count": "#,##0"}


def xlsx_bytes(table: dict[str, Any]) -> bytes:
    """A table as an Excel workbook with real numbers and es-ES friendly number formats."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = (table.get("sheet") or "Informe")[:31]
    ws.append([safe_cell(str(h)) for h in table["headers"]])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in table["rows"]:
        values = []
        for unit, value in zip(table["units"], row, strict=True):
            if value is None or unit == "text" or isinstance(value, str):
                values.append(safe_cell(value))  # openpyxl writes "=…" as a formula
            elif unit == "money":
                values.append(float(Decimal(value)))
            else:
                values.append(value)
        ws.append(values)
        for unit, cell in zip(table["units"], ws[ws.max_row], strict=True):
            if unit in _XLSX_FORMATS:
                cell.number_format = _XLSX_FORMATS[unit]
    for i, header in enumerate(table["headers"], start=1):
        width = max([len(str(header))] + [len(str(r[i - 1] or "")) for r in table["rows"][:200]])
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(40, width + 4)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_file(table: dict[str, Any], fmt: str) -> tuple[bytes, str, str]:
    """(content, file name, MIME type) of ``table`` as ``xlsx`` or (anything else) CSV."""
    name = table.get("file") or "informe"
    if fmt == "xlsx":
        return xlsx_bytes(table), f"{name}.xlsx", XLSX_MIME
    return csv_bytes(table), f"{name}.csv", CSV_MIME


__all__ = ["CSV_MIME", "XLSX_MIME", "csv_bytes", "export_file", "xlsx_bytes"]
