"""Uploaded import files (issue 10): written in pieces with a size cap, deleted when their
import ends, and purged by the worker's hourly task once abandoned for 24 h. Real files in the
test session's data directory; the task runs through Celery's own task function."""

from __future__ import annotations

import asyncio
import io
import os
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import xlsx_files
from aio import run_async

from crm_app.services.importing import FileTooBig, ImportLimits, read_table, uploads
from crm_app.settings import get_settings
from crm_app.worker.app import celery_app
from crm_app.worker.tasks_core import purge_import_uploads

HOUR = 3600


def _age(path: Path, hours: float) -> Path:
    stamp = time.time() - hours * HOUR
    os.utime(path, (stamp, stamp))
    return path


def _tree(root: Path) -> dict[str, Path]:
    """An upload, the reports of its preview and a parser scratch folder, some abandoned
    (25 h) and some in use (23 h, 1 min)."""
    root.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, hours in [("old.xlsx", 25), ("old.errors.json", 25), ("old.rejected.csv", 30),
                        ("recent.csv", 23), ("new.csv", 0.02)]:
        (root / name).write_bytes(b"x")
        files[name] = _age(root / name, hours)
    for name, hours in [("sheet-old", 25), ("sheet-new", 0.1)]:
        folder = root / name
        folder.mkdir()
        (folder / "sheet.arrow").write_bytes(b"x" * 10)
        files[name] = _age(folder, hours)
    return files


def _names(root: Path) -> set[str]:
    return {p.name for p in root.iterdir()}


def test_purge_deletes_what_nobody_used_for_24_hours(tmp_path: Path) -> None:
    root = tmp_path / "imports"
    _tree(root)
    assert uploads.purge_abandoned(root=root) == 4
    assert _names(root) == {"recent.csv", "new.csv", "sheet-new"}
    assert (root / "sheet-new" / "sheet.arrow").exists()
    # An hour later the 23-hour-old file is abandoned too.
    assert uploads.purge_abandoned(root=root, now=time.time() + 1.5 * HOUR) == 1
    assert _names(root) == {"new.csv", "sheet-new"}
    assert uploads.purge_abandoned(root=root, older_than=timedelta(0),
                                   now=time.time() + 60) == 2
    assert _names(root) == set()
    assert uploads.purge_abandoned(root=tmp_path / "missing") == 0


def test_a_file_in_use_is_touched_and_not_purged(tmp_path: Path) -> None:
    root = tmp_path / "imports"
    _tree(root)
    uploads.touch(root / "old.xlsx")  # the wizard reads it again: its age restarts
    uploads.purge_abandoned(root=root)
    assert "old.xlsx" in _names(root)


def test_the_worker_task_purges_the_data_dirs_imports_folder() -> None:
    root = uploads.import_dir()
    assert root == get_settings().uploads_dir / "imports"
    before = _names(root)  # whatever other tests left there is recent: it stays
    files = _tree(root / "..")  # not inside: the task only looks at the imports folder
    inside = _tree(root)
    try:
        result = purge_import_uploads.apply()
        assert result.get() == 4
        assert _names(root) == before | {"recent.csv", "new.csv", "sheet-new"}
        assert all(p.exists() for p in files.values())  # the rest of uploads/ is untouched
    finally:
        for path in [*files.values(), *inside.values()]:
            if path.is_dir():
                for child in path.iterdir():
                    child.unlink()
                path.rmdir()
            elif path.exists():
                path.unlink()
    entry = celery_app.conf.beat_schedule["purge-import-uploads"]
    assert entry["task"] == purge_import_uploads.name == "crm.core.purge_import_uploads"
    assert entry["schedule"].minute == {41} and entry["schedule"].hour == set(range(24))


class Upload:
    """What ``rx.UploadFile.read`` looks like: an awaitable read of the next n bytes."""

    def __init__(self, data: bytes, fail_after: int | None = None) -> None:
        self.stream = io.BytesIO(data)
        self.fail_after = fail_after
        self.reads: list[int] = []

    async def read(self, n: int) -> bytes:
        if self.fail_after is not None and len(self.reads) >= self.fail_after:
            raise ConnectionResetError("the browser went away")
        piece = self.stream.read(n)
        self.reads.append(len(piece))
        return piece


@pytest.fixture(params=["free", "loop-marked-running"])
def main_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """The main thread free, or with an event loop marked running on it, as Playwright's
    synchronous API leaves it while the browser tests' ``browser`` is open (a full run once
    failed here with "asyncio.run() cannot be called from a running event loop")."""
    if request.param == "free":
        yield
        return
    loop = asyncio.new_event_loop()
    asyncio.events._set_running_loop(loop)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(None)
        loop.close()


def test_an_upload_is_copied_in_pieces_with_a_cap(main_thread: None) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    before = _names(uploads.import_dir())
    up = Upload(data)
    path = run_async(uploads.save_upload(up.read, "Clientes 2026.XLSX", 4 * 1024 * 1024))
    try:
        assert path.parent == uploads.import_dir() and path.suffix == ".xlsx"
        assert path.read_bytes() == data
        assert max(up.reads) == uploads.PIECE  # never the whole file at once
    finally:
        uploads.discard(path)
    assert _names(uploads.import_dir()) == before

    too_big = Upload(data)
    with pytest.raises(FileTooBig, match="El archivo ocupa 3,0 MB y el máximo para importar "
                                         "es 2,0 MB"):
        run_async(uploads.save_upload(too_big.read, "x.csv", 2 * 1024 * 1024))
    assert len(too_big.reads) == 3  # stopped at the piece past the cap
    with pytest.raises(ConnectionResetError):
        run_async(uploads.save_upload(Upload(data, fail_after=2).read, "x.csv", 10**9))
    assert _names(uploads.import_dir()) == before  # neither left anything behind


def test_unknown_suffixes_and_paths_are_not_kept_from_the_browser() -> None:
    assert uploads.new_upload_path("../../etc/passwd").suffix == ".csv"
    assert uploads.new_upload_path("../../etc/passwd").parent == uploads.import_dir()
    assert uploads.new_upload_path("datos.tsv").suffix == ".tsv"
    uploads.discard(None, "", uploads.import_dir() / "never-existed.csv")  # no error


def test_reading_a_sheet_leaves_no_scratch_files_behind() -> None:
    before = _names(uploads.import_dir())
    table = read_table(xlsx_files.rows_sheet([["Nombre"], ["Ana"]]), "x.xlsx")
    assert table.rows == 1
    with pytest.raises(FileTooBig):
        read_table(xlsx_files.sparse("Z1000000"), "x.xlsx",
                   ImportLimits(sheet_memory_bytes=256 * 1024 * 1024))
    assert _names(uploads.import_dir()) == before
