"""Read a CSV or XLSX file into a table of strings, numbering rows as a spreadsheet shows them.

Row numbers: the header is row 1, every record below is one row, a blank line is a row (it is
skipped, never an error) and a quoted field spanning several lines is still one row. So the
record index *is* the spreadsheet row, provided the parser keeps blank lines as records.

- CSV fast path: polars ``read_csv`` (multi-threaded, all columns as strings). It keeps blank
  lines as empty records and keeps a quoted multi-line field in one record. We trust its row
  index only when every record is one physical line (records == lines): then the numbering is
  exact whatever the parser does with blank lines. Files with multi-line fields (or anything
  that polars rejects) go through the ``csv`` module, whose record numbering is exact by
  construction (a blank line is an empty record).
- Encoding: BOM (UTF-8, UTF-16), else strict UTF-8, else Windows-1252 (what Spanish Excel
  writes), else charset-normalizer's guess. Binary junk is refused.
- Delimiter: ``;``, ``,``, tab or ``|``, chosen by how consistently each splits the first
  records into the header's number of fields.
- XLSX/XLS through fastexcel (calamine), every cell as a string, leading blank rows kept so
  the sheet's row numbers are exact; parsed in a memory-capped child process (``excel``).
- Limits (``limits``): size, rows and cell length are checked while the file is read; the
  read stops at the first one exceeded (``FileTooBig``).
- A cell our own exports neutralised (``'=…``, ``'+34…``: ``spreadsheet_cells``) loses that
  apostrophe again, so a rejected-rows CSV can be corrected and imported back.

The result has positional columns ``c0..cN`` (headers may repeat or be blank), a ``__row``
column and the header texts separately. Values are stripped; blank cells are null.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

import polars as pl

from crm_app.services.importing.errors import FileTooBig, FileUnreadable
from crm_app.services.importing.excel import read_sheet
from crm_app.services.importing.limits import (
    ImportLimits,
    check_cells,
    check_records,
    check_size,
    check_xlsx,
)

ROW = "__row"
CSV_CHUNK = 100_000  # records the csv-module path holds as Python objects at a time
_LONE_CR = re.compile(r"\r(?!\n)")
DELIMITERS = (";", "\t", ",", "|")
_SNIFF_RECORDS = 50
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")


@dataclass
class RawTable:
    headers: list[str]
    frame: pl.DataFrame  # c0..cN (Utf8, stripped, blank -> null) + __row (Int64)
    encoding: str = ""
    delimiter: str = ""
    method: str = ""  # polars | csv | xlsx
    blank_rows: list[int] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return [f"c{i}" for i in range(len(self.headers))]

    @property
    def rows(self) -> int:
        """Data rows with content (blank rows are not counted)."""
        return self.frame.height


# --- encoding ------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """``(text, encoding)``; raise ``FileUnreadable`` for binary content."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16"), "utf-16"
    sample = data[:65536]
    if b"\x00" in sample or sample.startswith(_BINARY_MAGIC):
        raise FileUnreadable(
            "El archivo no es un CSV de texto ni una hoja de cálculo (parece un archivo binario)."
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise FileUnreadable("No se reconoce la codificación del archivo: guárdalo como CSV UTF-8.")
    return str(best), best.encoding


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise FileUnreadable(
            f"El archivo dice ser {encoding.upper()} pero tiene caracteres no válidos."
        ) from None


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    if not sample:
        return False
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\r\n") or ch == "\ufffd")
    return bad > max(2, len(sample) // 100)


# --- delimiter -----------------------------------------------------------------------------


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the first records most consistently into >1 field."""
    head = text[:65536]
    best, best_score = ",", (-1.0, 0)
    for delim in DELIMITERS:
        if delim not in head:
            continue
        try:
            records = []
            for rec in csv.reader(io.StringIO(head, newline=""), delimiter=delim):
                if any(c.strip() for c in rec):
                    records.append(len(rec))
                if len(records) >= _SNIFF_RECORDS:
                    break
        except csv.Error:
            continue
        if not records or records[0] < 2:
            continue
        width = records[0]
        body = records[1:-1] if len(records) > 2 else records[1:]  # last may be cut off
        consistent = sum(1 for n in body if n == width) / len(body) if body else 1.0
        score = (consistent, width)
        if score > best_score:
            best, best_score = delim, score
    if best_score[0] < 0:  # one column: a delimiter that splits nothing
        return min(DELIMITERS, key=lambda d: (head.count(d), DELIMITERS.index(d)))
    return best


# --- CSV -----------------------------------------------------------------------------------


def read_table(data: bytes, filename: str = "", limits: ImportLimits | None = None
               ) -> RawTable:
    """Read a CSV/XLSX file (bytes). ``FileUnreadable`` with a Spanish message when it is not
    a table: empty, binary, no header; ``FileTooBig`` (a ``FileUnreadable``) past a limit
    (``CRM_IMPORT_*`` unless ``limits`` says otherwise)."""
    limits = limits or ImportLimits.current()
    check_size(len(data), limits)
    if not data or not data.strip():
        raise FileUnreadable("El archivo está vacío.")
    if data.startswith(_XLSX_MAGIC) or data.startswith(_XLS_MAGIC):
        return _read_excel(data, limits)
    if filename.lower().endswith((".xlsx", ".xls", ".xlsm", ".ods")):
        raise FileUnreadable("La hoja de cálculo está dañada o no es un archivo Excel válido.")
    text, encoding = decode(data)
    if _looks_binary(text):
        raise FileUnreadable(
            "El archivo no es un CSV de texto ni una hoja de cálculo (parece un archivo binario)."
        )
    delimiter = detect_delimiter(text)
    table = _read_polars(text, delimiter, _header_width(text, delimiter),
                         data if encoding == "utf-8" else None, limits)
    if table is None:
        table = _read_csv_module(text, delimiter, limits)
    table.encoding, table.delimiter = encoding, delimiter
    return table


def _physical_lines(text: str) -> int:
    n = text.count("\n")
    if text and not text.endswith("\n"):
        n += 1
    return n


def _header_width(text: str, delimiter: str) -> int:
    try:
        for rec in csv.reader(io.StringIO(text[:65536], newline=""), delimiter=delimiter):
            if any(c.strip() for c in rec):
                return len(rec)
    except csv.Error:
        return 0
    return 0


def _read_polars(text: str, delimiter: str, width: int, raw: bytes | None,
                 limits: ImportLimits) -> RawTable | None:
    """Fast path; ``None`` when the record numbering cannot be trusted (multi-line fields)
    or the first line is not the header (polars takes the width from the first line).
    Records are never more than lines: a file with more lines than the limit allows is read
    only up to one record past it."""
    if _LONE_CR.search(text):  # old Mac line ends: let the csv module decide
        return None
    lines = _physical_lines(text)
    n_rows = limits.max_records + 1 if lines > limits.max_records else None
    payload = raw if raw is not None else text.encode("utf-8")
    try:
        df = pl.read_csv(io.BytesIO(payload), separator=delimiter, has_header=False,
                         infer_schema=False, quote_char='"', truncate_ragged_lines=True,
                         raise_if_empty=False, n_rows=n_rows)
    except Exception:  # noqa: BLE001 - any parser complaint: the csv module decides
        return None
    del payload
    check_records(df.height, limits)
    if df.height != lines or df.width < width:
        return None
    df = df.rename({c: f"c{i}" for i, c in enumerate(df.columns)})
    return _finish(df.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64)),
                   "polars", limits)


def _read_csv_module(text: str, delimiter: str, limits: ImportLimits | None = None
                     ) -> RawTable:
    """Exact record numbering; stops one record past the limit, and turns every
    ``CSV_CHUNK`` records into polars columns so the Python objects never pile up."""
    limits = limits or ImportLimits.current()
    parts: list[pl.DataFrame] = []
    width = 0
    cols: list[list[str | None]] = []
    pending: list[list[str]] = []  # records before the header's width is known
    records = 0

    def flush() -> None:
        parts.append(pl.DataFrame({f"c{i}": pl.Series(values, dtype=pl.String)
                                   for i, values in enumerate(cols)}))
        for values in cols:
            values.clear()

    def add(rec: list[str]) -> None:
        n = len(rec)
        for i in range(width):
            cols[i].append(rec[i] if i < n else None)

    try:
        for rec in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            records += 1
            check_records(records, limits)
            if not width:
                # The header may be preceded by blank records; its width sets the table's.
                pending.append(rec)
                if any(c.strip() for c in rec):
                    width = len(rec)
                    cols = [[] for _ in range(width)]
                    for early in pending:
                        add(early)
                    pending.clear()
                continue
            add(rec)
            if len(cols[0]) >= CSV_CHUNK:
                flush()
    except csv.Error as exc:
        raise FileUnreadable(f"El CSV está mal formado: {exc}.") from None
    if width == 0:
        raise FileUnreadable("El archivo está vacío.")
    if cols[0] or not parts:
        flush()
    df = pl.concat(parts) if len(parts) > 1 else parts[0]
    df = df.with_columns(pl.int_range(1, df.height + 1, dtype=pl.Int64).alias(ROW))
    return _finish(df, "csv", limits)


# --- XLSX ----------------------------------------------------------------------------------


def _read_excel(data: bytes, limits: ImportLimits) -> RawTable:
    small = data.startswith(_XLSX_MAGIC) and check_xlsx(data, limits)  # before any parsing
    df = read_sheet(data, limits, in_process=small)  # rows with a cell, as the sheet numbers
    cells = [c for c in df.columns if c != "__row"]
    if not cells or df.height == 0:
        raise FileUnreadable("La hoja de cálculo está vacía.")
    check_records(int(df["__row"].max()), limits)
    df = df.select([*[pl.col(c).alias(f"c{i}") for i, c in enumerate(cells)],
                    pl.col("__row").cast(pl.Int64).alias(ROW)])
    table = _finish(df, "xlsx", limits)
    table.encoding = "xlsx"
    return table


# --- common --------------------------------------------------------------------------------


def _finish(df: pl.DataFrame, method: str, limits: ImportLimits) -> RawTable:
    """Strip cells, check their length, drop blank rows (remembering them), split off the
    header row."""
    cols = [c for c in df.columns if c != ROW]
    df = df.with_columns([
        pl.col(c).str.strip_chars().replace("", None) for c in cols
    ])
    starts = df.select([pl.col(c).str.starts_with("'").any() for c in cols]).row(0)
    quoted = [c for c, has in zip(cols, starts, strict=True) if has]
    if quoted:  # ``'=…`` from one of our exports: the value without the apostrophe
        df = df.with_columns([pl.col(c).str.replace(r"^'([=+\-@])", "$1") for c in quoted])
    blank = pl.all_horizontal([pl.col(c).is_null() for c in cols]) if cols else pl.lit(True)
    df = df.with_columns(blank.alias("__blank"))
    first = df.filter(~pl.col("__blank")).head(1)
    if first.height == 0:
        raise FileUnreadable("El archivo está vacío.")
    header_row = first[ROW][0]
    headers = ["" if v is None else str(v) for v in first.select(cols).row(0)]
    check_cells(df, cols, ROW, limits, headers)
    body = df.filter(pl.col(ROW) > header_row)
    # Trailing columns without a header and without data are noise (ragged lines).
    while headers and not headers[-1]:
        last = cols[len(headers) - 1]
        if body[last].null_count() < body.height:
            break
        headers.pop()
    cols = cols[: len(headers)]
    if not headers or sum(1 for h in headers if h) == 0:
        raise FileUnreadable("El archivo no tiene fila de títulos (cabecera).")
    blank = body.filter(pl.col("__blank"))[ROW]
    if method == "xlsx" and body.height and body[ROW].max() - header_row != body.height:
        # The sheet reader leaves out rows without a cell: they are blank rows too.
        every = pl.int_range(header_row + 1, body[ROW].max() + 1, dtype=pl.Int64, eager=True)
        blank = pl.concat([blank, every.filter(~every.is_in(body[ROW].implode()))]).sort()
    blank_rows = blank.to_list()
    body = body.filter(~pl.col("__blank")).select([*cols, ROW]).rechunk()
    return RawTable(headers=headers, frame=body, method=method, blank_rows=blank_rows)


__all__ = ["ROW", "FileTooBig", "FileUnreadable", "RawTable", "decode", "detect_delimiter",
           "read_table"]
