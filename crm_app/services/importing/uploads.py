"""Uploaded import files in the data directory: written with a size cap, deleted when their
import ends, purged when abandoned.

The wizard keeps the uploaded file (and the error list and rejected-rows CSV of its preview)
in ``$CRM_DATA_DIR/uploads/imports`` between its steps, never in Reflex's public upload
folder. They are deleted when the import ends (committed, failed, cancelled, the wizard
restarted or another file uploaded). A browser closed half-way never says so: the files it
leaves behind are purged by ``purge_abandoned`` (Celery beat, hourly) once nobody has used
them for ``ABANDONED_AFTER``; the wizard touches its file at every step, so a file in use is
never purged under it.

The wizard's state holds *tokens*, the bare names of those files (``<32 hex>.csv``,
``<32 hex>.errors.json``): ``path_of`` turns one back into a path inside the imports folder
and nowhere else, and says ``FileGone`` when the file is no longer there.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from crm_app.services.importing.errors import FileGone, FileTooBig
from crm_app.services.importing.limits import MB, ImportLimits, check_size
from crm_app.settings import get_settings

log = logging.getLogger(__name__)

ABANDONED_AFTER = timedelta(hours=24)
SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xls")
PIECE = MB
BROWSER_MAX_BYTES = 50 * MB  # through the browser; the CLI takes up to CRM_IMPORT_MAX_MB
_TOKEN = re.compile(r"[0-9a-f]{32}(?:\.[a-z]{2,8}){1,2}")


def import_dir() -> Path:
    path = get_settings().uploads_dir / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_upload_path(filename: str) -> Path:
    """A fresh, unguessable path for an upload, keeping a known spreadsheet/CSV suffix."""
    suffix = Path(filename or "").suffix.lower()
    return import_dir() / f"{uuid.uuid4().hex}{suffix if suffix in SUFFIXES else '.csv'}"


async def save_upload(read: Callable[[int], Awaitable[bytes]], filename: str,
                      max_bytes: int) -> Path:
    """Copy an upload (``read(n)``: the next ``n`` bytes, ``b""`` at the end) into a new
    file of the imports folder, one piece at a time: a file over ``max_bytes`` is never held
    in memory nor left on disk (``FileTooBig``)."""
    path = new_upload_path(filename)
    limits = ImportLimits(max_bytes=max_bytes)
    size = 0
    try:
        with path.open("wb") as out:
            while piece := await read(PIECE):
                size += len(piece)
                check_size(size, limits)
                out.write(piece)
    except BaseException:
        discard(path)
        raise
    return path


async def receive(read: Callable[[int], Awaitable[bytes]], filename: str) -> tuple[str, str]:
    """Keep a file uploaded through the browser: ``(token, name)``, the name being the
    browser's file name without any folder (at most 200 characters). Capped at
    ``BROWSER_MAX_BYTES`` and the import limit, whichever is lower (``FileTooBig``)."""
    name = Path(str(filename or "").replace("\\", "/")).name[-200:] or "fichero.csv"
    cap = min(BROWSER_MAX_BYTES, ImportLimits.current().max_bytes)
    path = await save_upload(read, name, cap)
    return path.name, name


def path_of(token: str) -> Path:
    """The file a token names, marked in use (``touch``). ``FileGone`` when it was deleted or
    purged, or when the token names nothing of the imports folder."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise FileGone
    path = import_dir() / token
    if not path.is_file():
        raise FileGone
    touch(path)
    return path


def write_report(data: bytes, suffix: str) -> str:
    """Keep a report of a check (its error rows, its rejected rows' CSV) next to the upload,
    deleted and purged like it; its token."""
    path = import_dir() / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(data)
    return path.name


def forget(*tokens: str) -> None:
    """Delete the files some tokens name (empty or foreign tokens are ignored)."""
    discard(*(import_dir() / tok for tok in tokens
              if isinstance(tok, str) and _TOKEN.fullmatch(tok)))


def discard(*paths: str | Path | None) -> None:
    """Delete files of an import that ended; a missing file is no error."""
    for path in paths:
        if path:
            with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
                Path(path).unlink()


def touch(path: str | Path) -> None:
    """Mark a file as in use (its age restarts), so the purge leaves it alone."""
    with contextlib.suppress(OSError):
        os.utime(path)


def purge_abandoned(*, older_than: timedelta = ABANDONED_AFTER, now: float | None = None,
                    root: Path | None = None) -> int:
    """Delete the files (and leftover scratch folders) in the imports folder not used for
    ``older_than``. Returns how many entries were deleted."""
    base = root or import_dir()
    cutoff = (time.time() if now is None else now) - older_than.total_seconds()
    deleted = 0
    for entry in list(base.iterdir()) if base.is_dir() else []:
        try:
            info = entry.lstat()
            if info.st_mtime >= cutoff:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            deleted += 1
        except FileNotFoundError:
            continue  # deleted meanwhile (the import ended)
        except OSError as exc:
            log.warning("could not purge %s: %s", entry.name, exc)
    if deleted:
        log.info("purged %d abandoned import file(s)", deleted)
    return deleted


__all__ = ["ABANDONED_AFTER", "BROWSER_MAX_BYTES", "FileGone", "FileTooBig", "discard", "forget",
           "import_dir", "new_upload_path", "path_of", "purge_abandoned", "receive",
           "save_upload", "touch", "write_report"]
