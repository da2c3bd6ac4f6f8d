"""Spreadsheets (XLSX, XLS) are parsed in a child process with capped memory and CPU, unless
the workbook is small and its grid known to be small.

The parser (calamine through fastexcel) builds the whole sheet as a dense grid before anything
can look at it: a sheet's size is decided by its farthest cell, not by its file. One cell in
A1 and one in XFD1048576 (a 1.6 KB file) make it ask for 550 GB, and Rust aborts the process
when an allocation fails: the web server would die with it. In a child (``excel_child.py``)
with ``RLIMIT_AS`` and ``RLIMIT_CPU`` that is a refused file with a Spanish message; a
legitimate sheet comes back as Arrow IPC through a temporary file in the data directory, and
the parser's grid (1.3 GB for 1,000,000 rows × 11 columns) never lives in the web process.
Starting the child costs a Python start and the import of polars, once per read (2-3 s on
this shared 2-core machine at load 27). So a small XLSX (``limits.SMALL_WORKBOOK`` of XML at
most, whose cells ``check_xlsx`` has placed on a grid of at most ``limits.SMALL_GRID``
cells) is parsed in-process: its worst case is a few tens of MB.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

from crm_app.i18n import t
from crm_app.services.importing.errors import FileTooBig, FileUnreadable
from crm_app.services.importing.excel_child import sheet_frame
from crm_app.services.importing.limits import MB, ImportLimits, too_many_rows
from crm_app.services.importing.uploads import import_dir

CHILD = Path(__file__).with_name("excel_child.py")


def scratch_dir() -> Path:
    """Where the child's output goes: the data directory (never a RAM-backed /tmp), in the
    folder whose abandoned files the clean-up task purges."""
    return import_dir()


def read_sheet(data: bytes, limits: ImportLimits, *, in_process: bool = False
               ) -> pl.DataFrame:
    """The first sheet's rows that have a cell, every cell a string (or null), columns as
    the parser names them, plus ``__row`` (the sheet's row number, from 1). ``in_process``
    only for a workbook ``check_xlsx`` found small."""
    if in_process:
        try:
            frame = sheet_frame(data, limits.max_records)
        except Exception as exc:  # noqa: BLE001 - calamine raises several error kinds
            raise FileUnreadable(t("import_limits.sheet_unreadable",
                                   detail=str(exc).split("\n")[0][:200])) from None
        if frame is None:
            raise too_many_rows(limits)
        return frame
    # The child parses a stranger's file: it gets no CRM_* settings (secrets, database URL).
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env["RUST_BACKTRACE"] = "0"
    with tempfile.TemporaryDirectory(prefix="sheet-", dir=scratch_dir()) as tmp:
        out = Path(tmp) / "sheet.arrow"
        try:
            proc = subprocess.run(  # noqa: S603 - our own script, our own interpreter
                [sys.executable, str(CHILD), str(out), str(limits.sheet_memory_bytes),
                 str(limits.sheet_seconds), str(limits.max_records)],
                input=data, capture_output=True, env=env, check=False,
                timeout=limits.sheet_seconds + 60)
        except subprocess.TimeoutExpired:
            raise FileTooBig(t("import_limits.sheet_timeout",
                               seconds=limits.sheet_seconds)) from None
        code = proc.returncode
        if code == 0:
            return pl.read_ipc(out)
    if code == 4:
        raise too_many_rows(limits)
    if code == 2:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise FileUnreadable(t("import_limits.sheet_unreadable",
                               detail=(detail[-1] if detail else "")[:200]))
    if code in (3, -signal.SIGABRT, -signal.SIGSEGV, -signal.SIGKILL, -signal.SIGBUS):
        raise FileTooBig(t("import_limits.sheet_memory",
                           mb=limits.sheet_memory_bytes // MB))
    if code in (-signal.SIGXCPU,):
        raise FileTooBig(t("import_limits.sheet_timeout", seconds=limits.sheet_seconds))
    raise FileUnreadable(t("import_limits.sheet_unreadable", detail=f"código {code}"))


__all__ = ["CHILD", "read_sheet"]
