"""Import limits (issue 10): rows, size, decompressed size and cell length are checked while a
file is read, and the read stops at the first limit with a Spanish message, on the CSV fast
path, the csv-module path and XLSX alike. The attacks themselves are in the suite: the 1.8 MB
XLSX that inflates to 462 MB (3,000,000 rows) and the 1.6 KB sheet whose grid is 550 GB,
each read by a real process whose peak memory is measured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xlsx_files
from cli_runner import crm
from sqlmodel import select

from crm_app.models import ImportBatch, Lead
from crm_app.services.importing import (
    FileTooBig,
    FileUnreadable,
    ImportLimits,
    import_file,
    read_table,
)
from crm_app.services.importing import reader as reader_module
from crm_app.services.importing.excel import read_sheet
from crm_app.services.importing.limits import MAX_ZIP_ENTRIES, grid_cells, zip_entries
from crm_app.settings import PROJECT_ROOT

CRM = str(Path(sys.executable).parent / "crm")
PEAK_RSS = Path(__file__).resolve().parents[1] / "peak_rss.py"
HEADER = "Nombre;Correo electrónico;Notas"


def csv_rows(n: int, *, multiline: bool = False, end: str = "\r\n") -> bytes:
    lines = [HEADER] + [f"Persona {i};p{i}@x.es;" + ('"dos\nlíneas"' if multiline and i == 1
                                                      else "nota") for i in range(1, n + 1)]
    return (end.join(lines) + end).encode("utf-8")


def small(**kw) -> ImportLimits:  # noqa: ANN003
    return ImportLimits(**kw)


# --- rows --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("end", "method"), [("\r\n", "polars"), ("\r", "csv")],
                         ids=["polars", "csv-module"])
def test_rows_limit_on_both_csv_paths(end: str, method: str) -> None:
    limits = small(max_rows=5)
    table = read_table(csv_rows(5, end=end), "x.csv", limits)
    assert table.rows == 5 and table.method == method
    with pytest.raises(FileTooBig) as exc:
        read_table(csv_rows(6, end=end), "x.csv", limits)
    assert exc.value.message == ("El archivo tiene más de 5 filas (sin contar la cabecera) y "
                                 "el máximo por importación es 5. Divídelo en varios archivos.")
    # A multi-line field: more lines than records, counted as records.
    assert read_table(csv_rows(5, multiline=True), "x.csv", limits).method == "csv"
    with pytest.raises(FileTooBig):
        read_table(csv_rows(6, multiline=True), "x.csv", limits)


def test_the_csv_module_stops_one_record_past_the_limit() -> None:
    """Old Mac line ends (the csv-module path) and a record 14 the csv module cannot parse (a
    field over its own size limit): with a limit of 10 rows the reader stops at record 12
    and never reaches it; with a limit of 20 it does."""
    rows = [f"Persona {i};p{i}@x.es;nota" for i in range(1, 13)]
    data = "\r".join([HEADER, *rows, "Gigante;g@x.es;" + "g" * 200_000, "Fin;f@x.es;"])
    with pytest.raises(FileTooBig, match="más de 10 filas"):
        read_table(data.encode(), "x.csv", small(max_rows=10))
    with pytest.raises(FileUnreadable, match="El CSV está mal formado"):
        read_table(data.encode(), "x.csv", small(max_rows=20))


def test_csv_module_path_builds_the_same_table_in_chunks(monkeypatch) -> None:  # noqa: ANN001
    from crm_app.services.importing.bench import generate_csv

    data = generate_csv(1000, seed=5)
    text, _ = reader_module.decode(data)
    whole = reader_module._read_csv_module(text, ";")
    monkeypatch.setattr(reader_module, "CSV_CHUNK", 7)
    chunked = reader_module._read_csv_module(text, ";")
    assert chunked.frame.equals(whole.frame) and chunked.headers == whole.headers
    assert chunked.blank_rows == whole.blank_rows and chunked.rows == 1000


def test_xlsx_rows_are_counted_before_the_sheet_is_parsed() -> None:
    records = [["Nombre", "Correo"]] + [[f"n{i}", f"n{i}@x.es"] for i in range(6)]
    with pytest.raises(FileTooBig, match="más de 5 filas"):
        read_table(xlsx_files.rows_sheet(records), "x.xlsx", small(max_rows=5))
    assert read_table(xlsx_files.rows_sheet(records), "x.xlsx", small(max_rows=6)).rows == 6


def test_the_row_limit_comes_from_the_settings(monkeypatch) -> None:  # noqa: ANN001
    from crm_app.settings import get_settings

    monkeypatch.setenv("CRM_IMPORT_MAX_ROWS", "3")
    get_settings.cache_clear()
    try:
        assert ImportLimits.current().max_rows == 3
        with pytest.raises(FileTooBig, match="más de 3 filas"):
            read_table(csv_rows(4))
    finally:
        monkeypatch.delenv("CRM_IMPORT_MAX_ROWS")
        get_settings.cache_clear()
    assert ImportLimits.current() == ImportLimits()  # the documented defaults
    assert ImportLimits().max_rows == 1_000_000


# --- sizes -------------------------------------------------------------------------------------


def test_a_csv_over_the_size_limit_is_refused_before_it_is_decoded() -> None:
    data = csv_rows(3) + b"x" * (2 * 1024 * 1024)
    with pytest.raises(FileTooBig) as exc:
        read_table(data, "x.csv", small(max_bytes=1024 * 1024))
    assert exc.value.message.startswith("El archivo ocupa 2,0 MB y el máximo para importar "
                                        "es 1,0 MB.")


def test_an_xlsx_declaring_too_much_is_refused_before_it_is_inflated() -> None:
    bomb = xlsx_files.bomb(rows=20_000)  # ~3 MB of XML in ~15 KB
    started = time.perf_counter()
    with pytest.raises(FileTooBig) as exc:
        read_table(bomb, "x.xlsx", small(max_unzipped_bytes=1024 * 1024))
    assert time.perf_counter() - started < 1
    assert "una vez descomprimida y el máximo es 1,0 MB" in exc.value.message


def test_a_member_bigger_than_it_declares_is_refused() -> None:
    """The sheet declares 200 bytes (and the CRC of those 200) but inflates to more:
    ``zipfile`` alone would stop at 200 and find nothing wrong."""
    records = [["Nombre", "Correo"]] + [[f"n{i}", f"n{i}@x.es"] for i in range(50)]
    with pytest.raises(FileUnreadable, match="no coincide con lo que declara"):
        read_table(xlsx_files.lying(records, declared=200), "x.xlsx")


def test_a_zip_with_too_many_members_is_refused_from_its_directory_record() -> None:
    data = xlsx_files.many_members(MAX_ZIP_ENTRIES + 1)
    assert zip_entries(data) == MAX_ZIP_ENTRIES + 1
    with pytest.raises(FileUnreadable, match=r"10\.001 archivos internos"):
        read_table(data, "x.xlsx")


# --- cells -------------------------------------------------------------------------------------


def test_a_cell_over_the_length_limit_names_its_row_and_column() -> None:
    data = (HEADER + "\r\nAna;ana@x.es;corta\r\nLuis;luis@x.es;" + "á" * 41 + "\r\n").encode()
    with pytest.raises(FileTooBig) as exc:
        read_table(data, "x.csv", small(max_cell_chars=40))
    assert exc.value.message == ("La fila 3, columna «Notas», tiene una celda de 41 "
                                 "caracteres y el máximo es 40. Corrige esa celda y vuelve a "
                                 "subir el archivo.")
    assert read_table(data, "x.csv", small(max_cell_chars=41)).rows == 2  # chars, not bytes
    sheet = xlsx_files.rows_sheet([["Nombre", "Notas"], ["Ana", "x" * 50]])
    with pytest.raises(FileTooBig, match="La fila 2, columna «Notas», tiene una celda de 50"):
        read_table(sheet, "x.xlsx", small(max_cell_chars=40))


def test_the_default_cell_limit_is_excels_own() -> None:
    fine = (HEADER + "\r\nAna;ana@x.es;" + "n" * 32_767 + "\r\n").encode()
    assert read_table(fine, "x.csv").rows == 1
    with pytest.raises(FileTooBig, match=r"32\.768 caracteres y el máximo es 32\.767"):
        read_table(fine.replace(b"ana@x.es;", b"ana@x.es;n"), "x.csv")


# --- through the service: nothing is imported --------------------------------------------------


def test_over_a_limit_nothing_is_imported(session, people) -> None:  # noqa: ANN001
    with pytest.raises(FileTooBig):
        import_file(session=session, actor=people.admin, entity="leads",
                    data=csv_rows(6), filename="x.csv", limits=small(max_rows=5))
    assert session.exec(select(Lead)).all() == []
    assert session.exec(select(ImportBatch)).all() == []
    result = import_file(session=session, actor=people.admin, entity="leads",
                         data=csv_rows(5), filename="x.csv", limits=small(max_rows=5))
    assert result.created == 5


# --- the attacks, in real processes ------------------------------------------------------------


def _run_measured(args: list[str], env: dict[str, str], out: Path, timeout: float
                  ) -> tuple[int, str, float, int]:
    """Run a process; its exit code, output, seconds and peak RSS in MB. The peak is taken by
    ``tests/peak_rss.py`` (a small launcher), not by ``wait4`` from here: a child of this
    pytest process would start with pytest's own high-water mark (2 GB late in the suite)."""
    peak_file = out.with_suffix(".peak")
    started = time.perf_counter()
    with out.open("wb") as sink:
        code = subprocess.run(
            [sys.executable, str(PEAK_RSS), str(peak_file), str(timeout), "--", *args],
            cwd=PROJECT_ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, check=False,
        ).returncode
    seconds = time.perf_counter() - started
    return code, out.read_text("utf-8", "replace"), seconds, int(peak_file.read_text())


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_DATA_DIR=str(tmp_path / "data"), CRM_ENV="test",
               CRM_DATABASE_URL=f"sqlite:///{tmp_path / 'test.db'}")
    return env


@pytest.mark.slow
def test_the_xlsx_bomb_is_refused_fast_in_little_memory(tmp_path, engine, people) -> None:  # noqa: ANN001
    """Issue 10: a 1.8 MB XLSX inflating to 462 MB (3,000,000 rows) took the process from
    222 MB to 3.7 GB for 47 s. ``crm import leads`` now stops counting rows at 1,000,001,
    before the sheet is parsed."""
    bomb = tmp_path / "bomba.xlsx"
    bomb.write_bytes(xlsx_files.bomb())
    assert bomb.stat().st_size < 2_000_000
    code, output, seconds, peak_mb = _run_measured(
        [CRM, "import", "leads", str(bomb), "--as", people.admin.email, "--json"],
        _env(tmp_path), tmp_path / "out.txt", timeout=120)
    assert code == 1, output
    assert ("bomba.xlsx: El archivo tiene más de 1.000.000 filas (sin contar la cabecera) y "
            "el máximo por importación es 1.000.000.") in output
    assert "No se ha importado nada." in output
    assert peak_mb < 400, f"peak RSS {peak_mb} MB"
    # Before: killed at 120 s. Now ~1 s of reading; the rest is the CLI starting (~15 s on
    # this 2-core machine at load 20).
    assert seconds < 60, f"{seconds:.1f} s"


READ_ONE = """
import json, sys
from crm_app.services.importing import FileUnreadable, read_table
data = open(sys.argv[1], "rb").read()
try:
    table = read_table(data, "hoja.xlsx")
    print(json.dumps({"rows": table.rows}))
except FileUnreadable as exc:
    print(json.dumps({"error": exc.message}))
"""


def test_a_sheet_spanning_a1_to_xfd1048576_cannot_take_the_process_down(tmp_path) -> None:  # noqa: ANN001
    """Two cells, A1 and XFD1048576, in a 1.6 KB file: the parser asks for 550 GB and Rust
    aborts the process that made the request. That process is now a capped child: the
    reading process survives and says why."""
    sheet = tmp_path / "hoja.xlsx"
    sheet.write_bytes(xlsx_files.sparse("XFD1048576"))
    assert sheet.stat().st_size < 2000
    code, output, _seconds, peak_mb = _run_measured(
        [sys.executable, "-c", READ_ONE, str(sheet)], _env(tmp_path), tmp_path / "out.txt",
        timeout=120)
    assert code == 0, output
    assert json.loads(output.strip().splitlines()[-1]) == {"error": (
        "La hoja de cálculo necesita más de 3072 MB de memoria para leerse: suele deberse a "
        "celdas sueltas muy lejos de los datos o a miles de columnas. Copia solo los datos a "
        "una hoja nueva o guárdala como CSV.")}
    assert peak_mb < 400


def test_a_sparse_sheet_within_the_memory_cap_keeps_its_row_numbers() -> None:
    """A1 and C20: the child hands back the two rows with cells, numbered as in the sheet,
    and the rows between count as blank rows (skipped, never errors)."""
    table = read_table(xlsx_files.sparse("C20"), "x.xlsx")
    assert table.headers == ["Nombre", "", ""]
    assert table.frame[reader_module.ROW].to_list() == [20]
    assert table.frame.row(0)[:3] == (None, None, "x")
    assert table.blank_rows == list(range(2, 20))


def test_the_child_numbers_the_rows_it_hands_back_as_the_sheet_does() -> None:
    frame = read_sheet(xlsx_files.sparse("C20"), ImportLimits())  # in the child
    assert frame["__row"].to_list() == [1, 20]
    assert frame.drop("__row").rows() == [("Nombre", None, None), (None, None, "x")]


def test_a_small_workbook_with_a_small_grid_is_parsed_in_process() -> None:
    """A child capped at 1 byte of memory cannot even start: reading works only because a
    small workbook whose grid is small never goes to it; a far cell sends it there."""
    no_child = small(sheet_memory_bytes=1)
    records = [["Nombre", "Correo"]] + [[f"n{i}", f"n{i}@x.es"] for i in range(200)]
    assert read_table(xlsx_files.rows_sheet(records), "x.xlsx", no_child).rows == 200
    assert read_table(xlsx_files.sparse("C20"), "x.xlsx", no_child).rows == 1
    with pytest.raises(FileTooBig, match="memoria"):
        read_table(xlsx_files.sparse("ZZ3000"), "x.xlsx", no_child)  # 702 × 3,000 cells


@pytest.mark.parametrize(("xml", "cells"), [
    (b'<row r="1"><c r="A1"/><c r="K1"/></row><row r="7"><c r="B7"/></row>', 7 * 11),
    (b"<row><c/><c/><c/></row><row><c/></row>", 2 * 3),  # no references: counted
    (b'<row r="5"><c/><c r="D5"/><c/></row><row><c/></row>', 6 * 5),  # mixed
    (b'<x:row r="2"><x:c r="AA2" t="s"/></x:row>', 2 * 27),  # a namespace prefix
    (b'<row r="1"><c r="B1000000"/></row>', 1_000_000 * 2),  # a cell's own row counts
    (b'<rowBreaks count="1"><brk id="3"/></rowBreaks><cols><col min="1"/></cols>', 0),
])
def test_the_grid_a_sheet_spans(xml: bytes, cells: int) -> None:
    assert grid_cells(b"<worksheet><sheetData>" + xml + b"</sheetData></worksheet>") == cells


def test_the_sheet_memory_cap_is_a_setting() -> None:
    with pytest.raises(FileTooBig, match="más de 256 MB de memoria"):
        read_table(xlsx_files.sparse("Z1000000"), "x.xlsx",
                   small(sheet_memory_bytes=256 * 1024 * 1024))


def test_the_exported_neutralised_cells_import_back_without_the_apostrophe() -> None:
    data = (HEADER + "\r\n'=Ana;ana@x.es;'+34 600 11 22 33\r\n'Luis;luis@x.es;'-\r\n").encode()
    table = read_table(data, "x.csv")
    assert table.frame.select(["c0", "c2"]).rows() == [("=Ana", "+34 600 11 22 33"),
                                                       ("'Luis", "-")]


def test_the_cli_refuses_a_file_over_the_size_limit_without_reading_it(  # noqa: ANN001
        tmp_path, engine, people) -> None:
    big = tmp_path / "grande.csv"
    big.write_bytes(csv_rows(3) + b"x" * (2 * 1024 * 1024))
    proc = crm("import", "leads", str(big), "--as", people.admin.email,
               data_dir=tmp_path / "data", database_url=str(engine.url), CRM_IMPORT_MAX_MB="1")
    assert proc.returncode == 1
    assert ("grande.csv: El archivo ocupa 2,0 MB y el máximo para importar es 1,0 MB. "
            "Divídelo en varios archivos. No se ha leído.") in proc.stderr
