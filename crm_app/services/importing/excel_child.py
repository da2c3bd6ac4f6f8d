"""The first sheet of a spreadsheet as a frame; run as a child process by ``excel.read_sheet``
(a script, not ``-m``: it imports nothing of the application, so it starts in the time
fastexcel and polars take to import), or called in-process for a workbook whose grid is known
to be small.

As a script: reads the spreadsheet from stdin, caps its own address space and CPU time
*before* importing the parser, and writes the frame as Arrow IPC to ``argv[1]``. Exit status:
0 written; 2 unreadable (the parser's message on stderr); 3 out of memory (a Python
``MemoryError``, or the parser's shared library that cannot even be mapped under the cap; the
Rust parser aborts instead: SIGABRT); 4 more than ``argv[4]`` records (the frame is not even
built).
"""

from __future__ import annotations

import resource
import sys
from typing import Any

ROW = "__row"


def sheet_frame(data: bytes, max_records: int) -> Any:
    """The first sheet's rows with at least one cell, every cell a string (or null), each
    with its sheet row number in ``__row`` (a sheet whose farthest cell is far from the rest
    comes back as the rows it has, not as the grid it spans); ``None`` when the sheet has
    more than ``max_records`` rows."""
    import fastexcel
    import polars as pl

    reader = fastexcel.read_excel(data)
    sheet = reader.load_sheet(0, header_row=None, skip_rows=0, dtypes="string")
    if sheet.total_height > max_records:
        return None
    frame = sheet.to_polars().with_row_index(ROW, offset=1)
    del sheet, reader
    cells = [c for c in frame.columns if c != ROW]
    if cells:
        frame = frame.filter(pl.any_horizontal(pl.col(cells).is_not_null()))
    return frame


def _out_of_address_space(exc: ImportError) -> bool:
    """Loading a library needs address space too: under a cap smaller than the library the
    import fails with the loader's ENOMEM message, not a ``MemoryError`` (which only Python's
    own allocations raise — e.g. compiling the module's source when no bytecode is cached)."""
    text = str(exc)
    return "failed to map segment" in text or "Cannot allocate memory" in text


def main() -> int:
    out_path, memory, seconds, max_records = (sys.argv[1], int(sys.argv[2]),
                                              int(sys.argv[3]), int(sys.argv[4]))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    try:
        frame = sheet_frame(sys.stdin.buffer.read(), max_records)
        if frame is None:
            return 4
        frame.write_ipc(out_path, compression="uncompressed")
    except MemoryError:
        return 3
    except ImportError as exc:  # dlopen under the cap: "failed to map segment …", ENOMEM
        if _out_of_address_space(exc):
            return 3
        raise
    except Exception as exc:  # noqa: BLE001 - calamine raises several error kinds
        print(str(exc).split("\n")[0][:200], file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
