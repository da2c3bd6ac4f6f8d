"""The import wizard's steps over an uploaded file: analyse it, check it (a dry run), import
it, and read the reports a check leaves for the screen.

The browser's wizard keeps only *tokens* (the names of its files in the imports folder, see
``uploads``), the choices on screen and the rows it shows; everything that opens, reads,
writes or deletes those files, or decides which column goes where, is here, so the screen
and its tests never touch the disk.

Who owns the files: the upload lives until the import ends. ``run`` deletes it once the
import is committed, or failed for a reason a new mapping cannot fix; a file over the limits
or unreadable is deleted as soon as that is known. A check's reports (its error rows, as JSON
for the paged table; its rejected rows, as CSV to download) live until the next check or the
end of the wizard (``uploads.forget``). Whatever a closed browser leaves behind is purged
after 24 h (``uploads.purge_abandoned``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session

from crm_app.models import User
from crm_app.permissions import Perm, require
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.errors import DomainError
from crm_app.services.importing import uploads
from crm_app.services.importing.errors import FileTooBig
from crm_app.services.importing.mapping import (
    IGNORE,
    Target,
    custom_defs,
    entity_key,
    labels,
    resolve_mapping,
    targets,
)
from crm_app.services.importing.reader import read_table
from crm_app.services.importing.service import ImportResult, Progress, import_file

SAMPLE_ROWS = 5  # rows looked at for a column's first value
SAMPLE_CHARS = 60


@dataclass(frozen=True)
class Column:
    """A file column on the mapping step: its header, where it goes, its first value."""

    header: str
    target: str
    sample: str


@dataclass(frozen=True)
class Analysis:
    columns: list[Column]
    targets: list[Target]
    rows: int
    encoding: str
    delimiter: str
    method: str  # polars | csv | xlsx


@dataclass(frozen=True)
class Report:
    """A check or an import, as the wizard shows it: the result, the owners' names, and the
    tokens of its reports (``errors``: always; ``rejected_csv``: a check with errors)."""

    result: ImportResult
    errors: str
    rejected_csv: str = ""
    owners: list[tuple[str, int]] = field(default_factory=list)  # name, rows; most first


@needs_actor
def analyse(*, session: Session, actor: Actor, entity: str, token: str,
            filename: str) -> Analysis:
    """Read an uploaded file and propose a mapping: each column's automatic target and first
    value, and the targets to choose from. A file that cannot be read (or is over a limit)
    is deleted and ``FileUnreadable`` raised; ``FileGone`` if it is no longer there."""
    require(actor, Perm.IMPORT)
    entity = entity_key(entity)
    path = uploads.path_of(token)
    try:
        table = read_table(path.read_bytes(), filename)
    except BaseException:  # of no use any more: it goes with the failure
        uploads.discard(path)
        raise
    custom = custom_defs(session, entity)
    mapping = resolve_mapping(entity=entity, headers=table.headers, custom=custom)
    head = table.frame.head(SAMPLE_ROWS)
    columns = []
    for i, header in enumerate(table.headers):
        if not header:
            continue
        values = head[f"c{i}"].to_list() if f"c{i}" in head.columns else []
        sample = next((str(v) for v in values if v), "")
        columns.append(Column(header, mapping.by_header.get(header, IGNORE),
                              sample[:SAMPLE_CHARS]))
    return Analysis(columns=columns, targets=targets(entity, custom), rows=table.rows,
                    encoding=table.encoding, delimiter=table.delimiter, method=table.method)


@needs_actor
def run(*, session: Session, actor: Actor, entity: str, token: str, filename: str,
        mapping: dict[str, str], on_duplicate: str, dry_run: bool,
        progress: Progress | None = None) -> Report:
    """Check (``dry_run``) or import the uploaded file with the chosen mapping, and keep the
    error rows for the wizard's pages (``error_rows``).

    A ``DomainError`` the user can fix on the mapping step (a bad mapping, no column
    recognised) keeps the file; a file over the limits is deleted (``FileTooBig``); so is
    the file of an import that ended, committed or not.
    """
    require(actor, Perm.IMPORT)
    entity = entity_key(entity)
    path = uploads.path_of(token)
    try:
        result = import_file(session=session, actor=actor, entity=entity,
                             data=path.read_bytes(), filename=filename, mapping=mapping,
                             on_duplicate=on_duplicate, dry_run=dry_run, progress=progress)
    except FileTooBig:
        uploads.discard(path)
        raise
    except DomainError:
        raise
    except BaseException:
        if not dry_run:  # the import failed (rolled back): the batch ended
            uploads.discard(path)
        raise
    if not dry_run:
        uploads.discard(path)
    rows = _error_rows(result, labels(entity, custom_defs(session, entity)))
    errors = uploads.write_report(json.dumps(rows, ensure_ascii=False).encode("utf-8"),
                                  ".errors.json")
    csv = uploads.write_report(result.rejected_csv(), ".rejected.csv") \
        if dry_run and result.errors else ""
    return Report(result=result, errors=errors, rejected_csv=csv,
                  owners=_owner_names(session, result.owners))


def error_rows(token: str, *, offset: int, limit: int) -> list[dict[str, str]]:
    """One page of a check's error rows (``row``, ``column`` as the file names it, ``field``
    as the CRM names it, ``message``). ``FileGone`` once the report was deleted or purged."""
    rows = json.loads(uploads.path_of(token).read_text("utf-8"))
    return rows[max(0, offset):max(0, offset) + max(0, limit)]


def rejected_csv(token: str) -> bytes:
    """A check's rejected rows as CSV (``FileGone`` once deleted or purged)."""
    return uploads.path_of(token).read_bytes()


def _error_rows(result: ImportResult, names: dict[str, str]) -> list[dict[str, str]]:
    columns = {target: header for header, target in result.mapping.items() if target != IGNORE}
    return [{"row": str(e["row"]),
             "column": columns.get(e["field"], "") or names.get(e["field"], e["field"]),
             "field": names.get(e["field"], e["field"]),
             "message": str(e["message"])} for e in result.errors]


def _owner_names(session: Session, owners: dict[int, int]) -> list[tuple[str, int]]:
    """Who gets the created rows, by name, most rows first."""
    if not owners:
        return []
    names = dict(session.execute(select(User.id, User.name)
                                 .where(User.id.in_(list(owners)))).tuples().all())
    return [(names.get(uid) or str(uid), n)
            for uid, n in sorted(owners.items(), key=lambda kv: -kv[1])]


__all__ = ["Analysis", "Column", "Report", "analyse", "error_rows", "rejected_csv", "run"]
