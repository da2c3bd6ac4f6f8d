"""Reading CSV/XLSX files as Spanish Excel and other CRMs write them, with spreadsheet row
numbers; parsing their dates and amounts."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, date, datetime

import openpyxl
import polars as pl
import pytest

from crm_app.services.importing.reader import FileUnreadable, read_table
from crm_app.services.importing.values import parse_amounts, parse_dates, parse_datetimes

ROWS = [["Nombre", "Empresa", "Correo electrónico"],
        ["Ángela", "Peña & Hijos, S.L.", "angela@peña.es"],
        ["José", "Cañas; Muñoz", "jose@x.es"]]


def values(table) -> list[list[str | None]]:  # noqa: ANN001
    return [list(r) for r in table.frame.select(table.columns).iter_rows()]


def rows(table) -> list[int]:  # noqa: ANN001
    return table.frame["__row"].to_list()


def make_csv(records: list[list[str]], delimiter: str, encoding: str,
             line_end: str = "\r\n") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=line_end).writerows(records)
    text = buf.getvalue()
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_every_encoding_and_delimiter(encoding: str, delimiter: str) -> None:
    table = read_table(make_csv(ROWS, delimiter, encoding))
    assert table.encoding == encoding
    assert table.delimiter == delimiter
    assert table.headers == ROWS[0]
    assert values(table) == ROWS[1:]
    assert rows(table) == [2, 3]


def test_quoted_delimiters_doubled_quotes_and_line_ends() -> None:
    data = (b'Nombre;Notas;Email\n'
            b'Ana;"dice ""hola""; y se va";ana@x.es\r\n'
            b'"Luis; el otro";"";l@x.es\n')
    table = read_table(data)
    assert values(table) == [["Ana", 'dice "hola"; y se va', "ana@x.es"],
                             ["Luis; el otro", None, "l@x.es"]]
    assert table.method == "polars"


def test_multiline_field_is_one_row_and_blank_lines_count_as_rows() -> None:
    data = ('Nombre,Notas,Email\n'
            'Ana,"primera línea\nsegunda línea",ana@x.es\n'
            '\n'
            ',,\n'
            'Luis,"a\n\nb",l@x.es\n'
            'Eva,,e@x.es\n').encode()
    table = read_table(data)
    # header 1, Ana 2, blank 3, empty cells 4, Luis 5 (three physical lines), Eva 6
    assert rows(table) == [2, 5, 6]
    assert table.blank_rows == [3, 4]
    assert values(table)[0][1] == "primera línea\nsegunda línea"
    assert values(table)[1][1] == "a\n\nb"
    assert table.method == "csv"  # multi-line fields: the exact path


def test_blank_lines_on_the_fast_path() -> None:
    table = read_table(b"Nombre;Email\n\nAna;a@x.es\n  \n\nLuis;l@x.es\n")
    assert table.method == "polars"
    assert rows(table) == [3, 6]
    assert table.blank_rows == [2, 4, 5]


def test_leading_blank_lines_before_the_header() -> None:
    table = read_table(b"\n\nNombre;Email\nAna;a@x.es\n")
    assert table.headers == ["Nombre", "Email"]
    assert rows(table) == [4]


def test_fast_path_numbers_rows_like_the_csv_module() -> None:
    """Random files: the polars path and the csv module agree on values and row numbers."""
    rnd = random.Random(7)
    cells = ["a", "b;c", 'q"q', "", "ñandú", "x,y", " sp ", "1.234,56"]
    for _ in range(30):
        width = rnd.randint(1, 5)
        recs = [[f"h{i}" for i in range(width)]]
        for _ in range(rnd.randint(0, 30)):
            recs.append([] if rnd.random() < 0.15 else
                        [rnd.choice(cells) for _ in range(width)])
        data = make_csv(recs, ";", "utf-8", "\n")
        table = read_table(data)
        expected_rows, expected_values = [], []
        for number, rec in enumerate(csv.reader(io.StringIO(data.decode(), newline=""),
                                                delimiter=";"), start=1):
            cleaned = [c.strip() or None for c in rec] + [None] * (width - len(rec))
            if number == 1 or all(c is None for c in cleaned):
                continue
            expected_rows.append(number)
            expected_values.append(cleaned[:width])
        assert rows(table) == expected_rows
        assert values(table) == expected_values


def test_xlsx_rows_as_the_sheet_numbers_them() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Nombre", "Teléfono", "Fecha de alta", "Importe"])
    ws.append(["Ana", 600123456, date(2024, 3, 15), 1234.5])
    ws.append([])
    ws.append(["Luis\nPérez", "+34 611 22 33 44", "15/03/2024", "1.234,56"])
    buf = io.BytesIO()
    wb.save(buf)
    table = read_table(buf.getvalue(), "datos.xlsx")
    assert table.method == "xlsx"
    assert table.headers == ["Nombre", "Teléfono", "Fecha de alta", "Importe"]
    assert rows(table) == [2, 4]
    assert table.blank_rows == [3]
    first, second = values(table)
    assert first[:2] == ["Ana", "600123456"]
    assert parse_dates(pl.Series([first[2]])).to_list() == [date(2024, 3, 15)]
    assert second[0] == "Luis\nPérez"


@pytest.mark.parametrize("data,message", [
    (b"", "vacío"),
    (b"  \r\n\r\n", "vacío"),
    (b"\x00\x01\x02\x03 binario \xff\xfe\x00", "binario"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "binario"),
    (b"PK\x03\x04 not really a zip", "hoja de cálculo"),
])
def test_unreadable_files(data: bytes, message: str) -> None:
    with pytest.raises(FileUnreadable) as exc:
        read_table(data, "x.csv")
    assert message in exc.value.message


def test_dates_in_every_form() -> None:
    raw = pl.Series(["15/03/2024", "5/3/2024", "15-03-2024", "15.03.2024", "2024-03-15",
                     "2024-03-15T10:30:00", "2024-03-15 10:30", "15/03/2024 10:30",
                     "2024-03-15T10:30:00Z", "2024-03-15T10:30:00+01:00", "31/02/2024",
                     "15/13/2024", "mañana", None])
    got = parse_datetimes(raw, "Europe/Madrid").to_list()
    noon = datetime(2024, 3, 15, 11, 0, tzinfo=UTC)  # 12:00 in Madrid (CET)
    assert got[0] == got[2] == got[3] == got[4] == noon
    assert got[1] == datetime(2024, 3, 5, 11, 0, tzinfo=UTC)
    assert got[5] == got[6] == got[7] == datetime(2024, 3, 15, 9, 30, tzinfo=UTC)
    assert got[8] == datetime(2024, 3, 15, 10, 30, tzinfo=UTC)
    assert got[9] == datetime(2024, 3, 15, 9, 30, tzinfo=UTC)
    assert got[10:] == [None, None, None, None]
    summer = parse_datetimes(pl.Series(["15/07/2024"]), "Europe/Madrid").to_list()
    assert summer == [datetime(2024, 7, 15, 10, 0, tzinfo=UTC)]  # 12:00 CEST
    # a column written month first (US export) is read as such; ambiguous ones day first
    us = parse_dates(pl.Series(["3/15/2024", "12/1/2024"]), "Europe/Madrid").to_list()
    assert us == [date(2024, 3, 15), date(2024, 12, 1)]
    es = parse_dates(pl.Series(["3/12/2024", "12/1/2024"]), "Europe/Madrid").to_list()
    assert es == [date(2024, 12, 3), date(2024, 1, 12)]


def test_amounts_in_spanish_and_english_forms() -> None:
    raw = pl.Series(["1.234,56", "1234,56", "1234.56", "1,234.56", "1.234", "12.345.678,9",
                     "1 234,50 €", "EUR 99", "0,5", "abc", "1.234.56", None])
    assert parse_amounts(raw).to_list() == ["1234.56", "1234.56", "1234.56", "1234.56",
                                            "1234", "12345678.9", "1234.50", "99", "0.5",
                                            None, None, None]


def test_utf16_tab_export_as_excel_unicode_text() -> None:
    data = "\ufeffNombre\tEmail\r\nÁngela\ta@x.es\r\n".encode("utf-16-le")
    table = read_table(data)
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert values(table) == [["Ángela", "a@x.es"]]


def test_fast_path_and_csv_module_agree_on_the_benchmark_file() -> None:
    from crm_app.services.importing import reader
    from crm_app.services.importing.bench import generate_csv

    data = generate_csv(3000, seed=11)
    fast = read_table(data)
    text, _encoding = reader.decode(data)
    exact = reader._read_csv_module(text, ";")
    assert fast.method == "polars" and exact.method == "csv"
    assert fast.frame.equals(exact.frame) and fast.headers == exact.headers
    assert fast.rows == 3000
