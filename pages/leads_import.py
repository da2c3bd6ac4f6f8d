"""/leads/importar: the import wizard.

1. Upload a CSV/XLSX file (``rx.upload``); the bytes go to the data directory
   (``services.importing.uploads``), never to Reflex's public upload folder, copied in pieces
   up to ``MAX_BYTES``. The file is deleted when the import ends (committed, failed, the
   wizard restarted or another file uploaded); one left behind by a closed browser is purged
   after 24 h by the worker.
2. Columns: the automatic mapping, one select per column (lead fields, custom fields, ignorar);
   templates can be loaded and saved; the duplicate policy (skip / update / create).
3. Preview: a dry run (``import_file(dry_run=True)``) with the counts and every error row
   (row number as the spreadsheet shows it, column, message).
4. Import in a background event with a progress bar; the result with the rejected rows, their
   CSV (built on the server from the batch, ``rx.download``) and "Deshacer importación".

Reading, previewing, importing and undoing run off the event loop (``@rx.event(background=True)`` +
``rx.run_in_thread``); only the rows on screen are in the state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from pathlib import Path
from typing import Any

import reflex as rx
from sqlmodel import Session

from components.layout import shell
from components.legacy_leads import errors_of, labelled, message_of, option, section, select_field
from crm_app.db import get_engine
from crm_app.formatting import datetime_es, number
from crm_app.i18n import t
from crm_app.models import User
from crm_app.permissions import Perm, PermissionDenied
from crm_app.services.errors import DomainError
from crm_app.services.importing import (
    FileTooBig,
    FileUnreadable,
    ImportLimits,
    batch_rejected_csv,
    delete_template,
    import_file,
    list_batches,
    list_templates,
    read_table,
    resolve_mapping,
    save_template,
    undo_batch,
    uploads,
)
from crm_app.services.importing.mapping import IGNORE, custom_defs, fields_of, header_key
from crm_app.state import AppState

ENTITY = "lead"
MAX_BYTES = 50 * 1024 * 1024  # through the browser; the CLI takes up to CRM_IMPORT_MAX_MB
PAGE = 50
POLICY_KEYS = ("skip", "update", "create")
STEPS = ("upload", "mapping", "preview", "result")
ENCODINGS = {"utf-8": "UTF-8", "utf-8-sig": t("import_ui.encoding_bom"), "utf-16": "UTF-16",
             "cp1252": "Windows-1252", "latin-1": "ISO-8859-1"}
ACCEPT = {
    "text/csv": [".csv"],
    "text/plain": [".csv", ".txt", ".tsv"],
    "application/vnd.ms-excel": [".csv", ".xls"],
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"],
}


def _import_dir() -> Path:
    return uploads.import_dir()


def _field_labels(session: Session) -> dict[str, str]:
    labels = {name: spec.label for name, spec in fields_of(ENTITY).items()}
    for d in custom_defs(session, ENTITY):
        labels[f"custom.{d.key}"] = d.label
    return labels


def _error_rows(errors: list[dict], labels: dict[str, str],
                columns: dict[str, str]) -> list[dict[str, str]]:
    return [{"row": str(e["row"]),
             "column": columns.get(e["field"], "") or labels.get(e["field"], e["field"]),
             "field": labels.get(e["field"], e["field"]),
             "message": str(e["message"])} for e in errors]


def _counts(result: Any, names: dict[int, str]) -> dict[str, str]:
    owners = ", ".join(f"{names.get(uid, uid)} ({number(n)})" for uid, n in
                       sorted(result.owners.items(), key=lambda kv: -kv[1]))
    return {
        "rows": number(result.rows), "created": number(result.created),
        "updated": number(result.updated), "skipped": number(result.skipped),
        "rejected": number(result.rejected), "errors": number(len(result.errors)),
        "duplicates": number(len(result.duplicates)), "blank": number(len(result.blank_rows)),
        "owners": owners, "seconds": number(result.seconds, 1),
        "encoding": result.encoding or "", "delimiter": result.delimiter or "",
    }


class LeadImportState(AppState):
    step: str = "upload"
    filename: str = ""
    file_info: str = ""
    upload_error: str = ""
    mapping_rows: list[dict[str, str]] = []
    target_options: list[dict[str, str]] = []
    mapping_error: str = ""
    policy: str = "skip"
    templates: list[dict[str, str]] = []
    template_id: str = ""
    template_open: bool = False
    template_name: str = ""
    template_error: str = ""
    busy: bool = False
    progress: int = 0
    progress_label: str = ""
    counts: dict[str, str] = {}
    warnings: list[str] = []
    error_rows: list[dict[str, str]] = []
    error_page: int = 1
    error_total: int = 0
    batch_id: int = 0
    batch_undone: bool = False
    undoing: bool = False
    batches: list[dict[str, str]] = []
    undo_target: str = ""
    undo_open: bool = False

    _file_path: str = ""
    _errors_path: str = ""
    _preview_csv: str = ""

    # --- computed ------------------------------------------------------------------------

    @rx.var
    def error_pages(self) -> int:
        return max(1, -(-self.error_total // PAGE))

    @rx.var
    def step_index(self) -> int:
        return STEPS.index(self.step) + 1 if self.step in STEPS else 4

    @rx.var
    def mapped_count(self) -> int:
        return len([r for r in self.mapping_rows if r["target"] != IGNORE])

    # --- helpers -------------------------------------------------------------------------

    def _user(self, session: Session) -> User:
        return self._require_user(session, Perm.IMPORT)

    def _load_lists(self, session: Session, user: User) -> None:
        self.templates = [{"id": str(tpl.id), "name": tpl.name} for tpl in
                          list_templates(session=session, actor=user, entity=ENTITY)]
        self.batches = [{
            "id": str(b.id), "filename": b.filename or "—", "when": datetime_es(b.created_at),
            "status": t(f"import_ui.batch.{b.status}"), "status_key": str(b.status),
            "created": number(b.created), "updated": number(b.updated),
            "skipped": number(b.skipped),
            "rejected": number(len({e.get("row") for e in b.errors or []})),
            "href": f"/leads?lote={b.id}",
        } for b in list_batches(session=session, actor=user, limit=50) if b.entity == ENTITY][:15]

    def _mapping(self) -> dict[str, str]:
        return {r["header"]: r["target"] for r in self.mapping_rows}

    def _show_errors(self) -> None:
        """One page of the error rows, read from the file the run wrote (a big file's errors
        stay on disk in the data directory, not in the session's state)."""
        rows: list[dict[str, str]] = []
        if self._errors_path:
            with contextlib.suppress(OSError, ValueError):
                rows = json.loads(Path(self._errors_path).read_text("utf-8"))
        start = (self.error_page - 1) * PAGE
        self.error_rows = rows[start:start + PAGE]

    def _forget_file(self) -> None:
        uploads.discard(self._file_path)
        self._file_path = ""

    def _forget_reports(self) -> None:
        uploads.discard(self._errors_path, self._preview_csv)
        self._errors_path, self._preview_csv = "", ""

    def _file_gone(self) -> Any:
        """The upload was purged (24 h unused) or deleted: back to the first step."""
        self._restart()
        self.upload_error = t("import_limits.file_gone")
        return rx.toast.error(self.upload_error)

    # --- page events ---------------------------------------------------------------------

    @rx.event
    def open_page(self) -> Any:
        with Session(get_engine()) as session:
            try:
                user = self._user(session)
            except PermissionDenied as exc:
                return [rx.redirect("/leads"), rx.toast.error(exc.message)]
            self._load_lists(session, user)
        if self.step not in ("mapping", "preview") or self.busy:
            self._restart()
        return None

    def _restart(self) -> None:
        self._forget_file()
        self._forget_reports()
        self.step, self.filename, self.file_info, self.upload_error = "upload", "", "", ""
        self.mapping_rows, self.mapping_error, self.template_id = [], "", ""
        self.policy, self.counts, self.warnings = "skip", {}, []
        self.error_rows, self.error_total, self.error_page = [], 0, 1
        self.batch_id, self.batch_undone, self.busy, self.progress = 0, False, False, 0

    def _denied(self) -> Any:
        """A toast when the user may not import (any more); None when they may."""
        with Session(get_engine()) as session:
            try:
                self._user(session)
            except PermissionDenied as exc:
                return rx.toast.error(exc.message)
        return None

    @rx.event
    def restart(self) -> Any:
        if (denied := self._denied()) is not None:
            return denied
        self._restart()
        return None

    @rx.event
    async def upload(self, files: list[rx.UploadFile]) -> Any:
        if (denied := self._denied()) is not None:
            return denied
        if not files:
            return None
        upload = files[0]
        self._restart()
        name = Path(upload.filename or "fichero.csv").name[-200:]
        try:  # in pieces: a file over the cap is never held in memory, nor kept on disk
            path = await uploads.save_upload(
                upload.read, name, min(MAX_BYTES, ImportLimits.current().max_bytes))
        except FileTooBig as exc:
            self.upload_error = exc.message
            return None
        self._file_path, self.filename = str(path), name
        self.busy, self.progress_label = True, t("import_ui.reading")
        return LeadImportState.analyse

    @rx.event(background=True)
    async def analyse(self) -> Any:
        async with self:
            with Session(get_engine()) as session:
                try:
                    user_id = self._user(session).id
                except PermissionDenied as exc:
                    self.busy = False
                    return rx.toast.error(exc.message)
            path, filename = self._file_path, self.filename
            if not path or not Path(path).exists():
                self.busy = False
                return self._file_gone()
            uploads.touch(path)

        def work() -> dict[str, Any]:
            with Session(get_engine()) as session:
                user = session.get(User, user_id)
                table = read_table(Path(path).read_bytes(), filename)
                custom = custom_defs(session, ENTITY)
                mapping = resolve_mapping(entity=ENTITY, headers=table.headers, custom=custom)
                head = table.frame.head(5)
                rows = []
                for i, header in enumerate(table.headers):
                    if not header:
                        continue
                    col = f"c{i}"
                    sample = next((v for v in head[col].to_list() if v), "") if col in \
                        head.columns else ""
                    rows.append({"header": header, "target": mapping.by_header.get(header,
                                                                                   IGNORE),
                                 "sample": str(sample)[:60], "warn": ""})
                targets = [option(name, spec.label) for name, spec in fields_of(ENTITY).items()]
                targets += [option(f"custom.{d.key}", t("import_ui.custom_field", label=d.label))
                            for d in custom]
                targets.append(option(IGNORE, t("import_ui.ignore")))
                if user is None:
                    raise PermissionDenied()
                return {"rows": rows, "targets": targets, "count": table.rows,
                        "encoding": table.encoding, "delimiter": table.delimiter,
                        "method": table.method}

        try:
            info = await rx.run_in_thread(work)
        except FileUnreadable as exc:
            async with self:
                self._forget_file()
                self.busy, self.step, self.upload_error = False, "upload", exc.message
            return None
        except BaseException:  # the file is of no use any more: it goes with the failure
            async with self:
                self._forget_file()
                self.busy, self.step = False, "upload"
            raise
        async with self:
            self.mapping_rows = _flag_duplicates(info["rows"])
            self.target_options = info["targets"]
            delimiter = {";": "«;»", ",": "«,»", "\t": t("import_ui.tab"), "|": "«|»"}.get(
                info["delimiter"], "")
            encoding = ENCODINGS.get(info["encoding"], info["encoding"] or "")
            self.file_info = t("import_ui.file_info", rows=number(info["count"]),
                               encoding=encoding,
                               delimiter=delimiter or "—") if info["method"] != "xlsx" else \
                t("import_ui.file_info_xlsx", rows=number(info["count"]))
            self.step, self.busy = "mapping", False
        return None

    # --- mapping -------------------------------------------------------------------------

    @rx.event
    def set_target(self, header: str, target: str) -> None:
        rows = [{**r, "target": target} if r["header"] == header else r
                for r in self.mapping_rows]
        self.mapping_rows = _flag_duplicates(rows)
        self.template_id = ""
        self.mapping_error = ""

    @rx.event
    def set_policy(self, value: str) -> None:
        if value in POLICY_KEYS:
            self.policy = value

    @rx.event
    def load_template(self, template_id: str) -> Any:
        with Session(get_engine()) as session:
            try:
                user = self._user(session)
                tpl = next(x for x in list_templates(session=session, actor=user, entity=ENTITY)
                           if str(x.id) == template_id)
            except (StopIteration, PermissionDenied) as exc:
                return rx.toast.error(message_of(exc) if isinstance(exc, PermissionDenied)
                                      else t("import_ui.template_missing"))
        saved = {header_key(h): target for h, target in (tpl.mapping or {}).items()}
        rows = [{**r, "target": saved.get(header_key(r["header"]), r["target"])}
                for r in self.mapping_rows]
        self.mapping_rows = _flag_duplicates(rows)
        self.template_id = template_id
        return rx.toast.success(t("import_ui.template_loaded", name=tpl.name))

    @rx.event
    def set_template_open(self, value: bool) -> None:
        self.template_open = value
        if value:
            self.template_error = ""

    @rx.event
    def set_template_name(self, value: str) -> None:
        self.template_name = value

    @rx.event
    def save_template(self) -> Any:
        with Session(get_engine()) as session:
            try:
                user = self._user(session)
                tpl = save_template(session=session, actor=user, entity=ENTITY,
                                    name=self.template_name, mapping=self._mapping())
                self._load_lists(session, user)
            except (DomainError, PermissionDenied) as exc:
                self.template_error = next(iter(errors_of(exc).values()), "")
                return None
        self.template_id, self.template_open = str(tpl.id), False
        return rx.toast.success(t("import_ui.template_saved", name=tpl.name))

    @rx.event
    def delete_template(self) -> Any:
        if not self.template_id:
            return None
        with Session(get_engine()) as session:
            try:
                user = self._user(session)
                delete_template(session=session, actor=user, template_id=int(self.template_id))
                self._load_lists(session, user)
            except (DomainError, PermissionDenied) as exc:
                return rx.toast.error(message_of(exc))
        self.template_id = ""
        return rx.toast.success(t("import_ui.template_deleted"))

    @rx.event
    def back_to_mapping(self) -> None:
        self.step = "mapping"

    # --- preview and import (background) -------------------------------------------------

    @rx.event(background=True)
    async def preview(self) -> Any:
        return await self._run(dry_run=True)

    @rx.event(background=True)
    async def run_import(self) -> Any:
        return await self._run(dry_run=False)

    async def _run(self, *, dry_run: bool) -> Any:
        async with self:
            if self.busy:
                return None
            if not self._file_path:
                self._restart()
                return rx.toast.error(t("import_ui.no_file"))
            with Session(get_engine()) as session:
                try:
                    user_id = self._user(session).id
                except PermissionDenied as exc:
                    return rx.toast.error(exc.message)
            path, filename, mapping, policy = (self._file_path, self.filename, self._mapping(),
                                               self.policy)
            if not Path(path).exists():
                return self._file_gone()
            uploads.touch(path)
            self.busy, self.progress, self.mapping_error = True, 0, ""
            self.progress_label = t("import_ui.previewing" if dry_run else "import_ui.importing")
            if not dry_run:
                self.step = "running"
        box = [0.0]

        def work() -> dict[str, Any]:
            with Session(get_engine()) as session:
                user = session.get(User, user_id)
                result = import_file(session=session, actor=user, entity=ENTITY,
                                     data=Path(path).read_bytes(), filename=filename,
                                     mapping=mapping, on_duplicate=policy, dry_run=dry_run,
                                     progress=lambda f: box.__setitem__(0, f))
                labels = _field_labels(session)
                names = {u_id: (session.get(User, u_id).name if session.get(User, u_id) else "")
                         for u_id in result.owners}
            columns = {target: header for header, target in result.mapping.items()
                       if target != IGNORE}
            stem = _import_dir() / uuid.uuid4().hex
            errors_path = stem.with_suffix(".errors.json")
            errors_path.write_text(json.dumps(_error_rows(result.errors, labels, columns),
                                              ensure_ascii=False), "utf-8")
            csv_path = ""
            if dry_run and result.errors:
                csv_path = str(stem.with_suffix(".rejected.csv"))
                Path(csv_path).write_bytes(result.rejected_csv())
            return {"counts": _counts(result, names), "batch_id": result.batch_id or 0,
                    "errors_path": str(errors_path), "error_count": len(result.errors),
                    "csv_path": csv_path, "warnings": list(result.warnings)}

        task = asyncio.ensure_future(rx.run_in_thread(work))
        while not task.done():
            await asyncio.sleep(0.2)
            async with self:
                self.progress = int(box[0] * 100)
        try:
            out = task.result()
        except FileTooBig as exc:  # over a limit (the limits changed since): a new file
            async with self:
                self._restart()
                self.upload_error = exc.message
            return rx.toast.error(exc.message)
        except (DomainError, PermissionDenied) as exc:  # the mapping can be corrected
            async with self:
                self.busy = False
                self.step = "mapping"
                self.mapping_error = message_of(exc)
                if isinstance(exc, FileUnreadable):
                    self.mapping_error = exc.message
            return rx.toast.error(message_of(exc))
        except BaseException:  # the import failed (rolled back): its file goes with it
            async with self:
                self._restart()
            raise
        async with self:
            self.counts, self.warnings = out["counts"], out["warnings"]
            self._forget_reports()
            self._errors_path, self._preview_csv = out["errors_path"], out["csv_path"]
            self.error_total, self.error_page = out["error_count"], 1
            self._show_errors()
            self.progress, self.busy = 100, False
            if dry_run:
                self.step = "preview"
                return None
            self.batch_id, self.batch_undone, self.step = out["batch_id"], False, "result"
            self._forget_file()
            with Session(get_engine()) as session:
                self._load_lists(session, self._user(session))
        return rx.toast.success(t("import_ui.done", created=out["counts"]["created"],
                                  updated=out["counts"]["updated"]))

    @rx.event
    def errors_prev(self) -> Any:
        if (denied := self._denied()) is not None:
            return denied
        self.error_page = max(1, self.error_page - 1)
        self._show_errors()
        return None

    @rx.event
    def errors_next(self) -> Any:
        if (denied := self._denied()) is not None:
            return denied
        self.error_page = min(self.error_pages, self.error_page + 1)
        self._show_errors()
        return None

    # --- result: rejected rows CSV and undo ----------------------------------------------

    @rx.event
    def download_rejected(self, batch_id: str | int = "") -> Any:
        target = int(batch_id) if str(batch_id).isdigit() else self.batch_id
        with Session(get_engine()) as session:
            try:
                user = self._user(session)
                data = batch_rejected_csv(session=session, actor=user, batch_id=target)
            except (DomainError, PermissionDenied) as exc:
                return rx.toast.error(message_of(exc))
        return rx.download(data=data, filename=t("import_ui.rejected_file", id=target),
                           mime_type="text/csv")

    @rx.event
    def download_preview_errors(self) -> Any:
        if (denied := self._denied()) is not None:
            return denied
        if not self._preview_csv or not Path(self._preview_csv).exists():
            return rx.toast.error(t("import_ui.no_file"))
        return rx.download(data=Path(self._preview_csv).read_bytes(),
                           filename=t("import_ui.preview_file"), mime_type="text/csv")

    @rx.event
    def ask_undo(self, batch_id: str | int) -> None:
        self.undo_target, self.undo_open = str(batch_id), True

    @rx.event
    def set_undo_open(self, value: bool) -> None:
        self.undo_open = value

    @rx.event(background=True)
    async def undo(self) -> Any:
        """Deleting a batch of 100,000 leads takes seconds: off the event loop."""
        denied = None
        async with self:
            if not self.undo_target.isdigit():
                return
            target = int(self.undo_target)
            with Session(get_engine()) as session:
                try:
                    user_id = self._user(session).id
                except PermissionDenied as exc:
                    self.undo_open = False
                    denied = exc.message
            if denied is None:
                self.undoing = True
        if denied is not None:
            yield rx.toast.error(denied)
            return

        def work() -> None:
            with Session(get_engine()) as session:
                undo_batch(session=session, actor=session.get(User, user_id), batch_id=target)

        error = None
        try:
            await rx.run_in_thread(work)
        except (DomainError, PermissionDenied) as exc:
            error = message_of(exc)
        except Exception:
            async with self:
                self.undoing = False
            raise
        async with self:
            self.undoing, self.undo_open = False, False
            if error is None:
                with Session(get_engine()) as session:
                    self._load_lists(session, self._user(session))
                if target == self.batch_id:
                    self.batch_undone = True
        yield (rx.toast.error(error) if error is not None
               else rx.toast.success(t("import_ui.undone", id=target)))


def _flag_duplicates(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Mark a column whose target an earlier column already takes (the earlier one wins)."""
    seen: dict[str, str] = {}
    out = []
    for r in rows:
        warn = ""
        target = r["target"]
        if target != IGNORE:
            if target in seen:
                warn = t("import_ui.duplicate_target", header=seen[target])
            else:
                seen[target] = r["header"]
        out.append({**r, "warn": warn})
    return out


I = LeadImportState  # noqa: E741


# --- components ------------------------------------------------------------------------------


def _steps() -> rx.Component:
    def step(n: int, key: str) -> rx.Component:
        return rx.hstack(
            rx.box(rx.text(str(n), size="1", weight="bold"),
                   background=rx.cond(I.step_index >= n, rx.color("accent", 9),
                                      rx.color("gray", 5)),
                   color=rx.cond(I.step_index >= n, "white", rx.color("gray", 11)),
                   border_radius="9999px", width="22px", height="22px", display="flex",
                   align_items="center", justify_content="center", flex_shrink="0"),
            rx.cond(I.step_index == n,
                    rx.text(t(key), size="2", weight="bold"),
                    rx.text(t(key), size="2", display=rx.breakpoints(initial="none",
                                                                      sm="inline"))),
            spacing="2", align="center",
        )

    return rx.hstack(
        step(1, "import_ui.step.file"), rx.icon("chevron-right", size=14, color="gray"),
        step(2, "import_ui.step.columns"), rx.icon("chevron-right", size=14, color="gray"),
        step(3, "import_ui.step.preview"), rx.icon("chevron-right", size=14, color="gray"),
        step(4, "import_ui.step.result"),
        spacing="2", align="center", wrap="wrap", data_testid="import-steps",
    )


def _progress() -> rx.Component:
    return rx.cond(
        I.busy,
        rx.vstack(
            rx.text(I.progress_label, size="2"),
            rx.progress(value=I.progress, max=100, width="100%", id="import-progress"),
            spacing="2", width="100%",
        ),
    )


def _upload_step() -> rx.Component:
    return section(
        t("import_ui.upload_title"),
        rx.text(t("import_ui.upload_help"), size="2", color_scheme="gray"),
        rx.upload(
            rx.vstack(
                rx.icon("file-up", size=32, color=rx.color("accent", 9)),
                rx.text(t("import_ui.drop"), size="3", weight="medium", text_align="center"),
                rx.button(t("import_ui.choose"), variant="soft", type="button",
                          id="import-choose"),
                align="center", spacing="2",
            ),
            id="lead-import-upload",
            accept=ACCEPT,
            multiple=False,
            max_files=1,
            on_drop=I.upload,
            on_drop_rejected=lambda _files: rx.toast.error(t("import_ui.rejected_type")),
            border=f"2px dashed {rx.color('accent', 7)}",
            border_radius="var(--radius-4)",
            padding="var(--space-6)",
            width="100%",
            cursor="pointer",
            data_testid="import-dropzone",
        ),
        rx.cond(I.upload_error != "",
                rx.callout(I.upload_error, icon="triangle-alert", color_scheme="red",
                           width="100%", role="alert", id="import-upload-error")),
        _progress(),
        test_id="import-upload",
    )


def _mapping_row(row: rx.Var) -> rx.Component:
    """One file column: its title and first value, and the field it goes to (side by side on
    a wide screen, one under the other on a phone)."""
    header = row["header"]
    return rx.grid(
        rx.vstack(
            rx.text(header, weight="medium", size="2"),
            rx.cond(row["sample"] != "", rx.text(row["sample"], size="1", color_scheme="gray",
                                                 word_break="break-all")),
            spacing="0", min_width="0",
        ),
        rx.vstack(
            select_field(row["target"], I.target_options, lambda v: I.set_target(header, v),
                         id_="map-" + header.to(str),
                         aria_label=t("import_ui.map_aria") + " " + header.to(str)),
            rx.cond(row["warn"] != "", rx.text(row["warn"], size="1",
                                               color=rx.color("amber", 11))),
            spacing="1", width="100%", min_width="0",
        ),
        columns=rx.breakpoints(initial="1", sm="1fr 1fr"),
        spacing="2",
        align_items="center",
        width="100%",
        padding_y="var(--space-2)",
        border_top=f"1px solid {rx.color('gray', 4)}",
        data_testid="map-row-" + header.to(str),
    )


def _policy() -> rx.Component:
    return rx.vstack(
        rx.text(t("import_ui.policy"), size="2", weight="medium", id="policy-label"),
        rx.radio_group.root(
            rx.vstack(
                *[rx.el.label(rx.hstack(rx.radio_group.item(value=key, id=f"policy-{key}"),
                                        rx.vstack(rx.text(t(f"import_ui.policy.{key}"),
                                                          size="2", weight="medium"),
                                                  rx.text(t(f"import_ui.policy.{key}.help"),
                                                          size="1", color_scheme="gray"),
                                                  spacing="0"),
                                        spacing="2", align="start"),
                              html_for=f"policy-{key}")
                  for key in POLICY_KEYS],
                spacing="2",
            ),
            value=I.policy, on_change=I.set_policy, aria_labelledby="policy-label",
        ),
        spacing="2", width="100%",
    )


def _templates() -> rx.Component:
    return rx.flex(
        rx.select.root(
            rx.select.trigger(placeholder=t("import_ui.template_pick"), id="template-select",
                              aria_label=t("import_ui.template_pick")),
            rx.select.content(rx.foreach(I.templates, lambda x: rx.select.item(
                x["name"], value=x["id"])), position="popper"),
            value=I.template_id, on_change=I.load_template,
        ),
        rx.dialog.root(
            rx.dialog.trigger(rx.button(rx.icon("save", size=16), t("import_ui.template_save"),
                                        variant="soft", id="template-save-open")),
            rx.dialog.content(
                rx.dialog.title(t("import_ui.template_save")),
                rx.vstack(
                    labelled(t("import_ui.template_name"),
                             rx.input(value=I.template_name, on_change=I.set_template_name,
                                      id="template-name", width="100%"),
                             html_for="template-name", required=True, error=I.template_error),
                    rx.hstack(rx.dialog.close(rx.button(t("common.cancel"), variant="soft",
                                                        color_scheme="gray")),
                              rx.button(t("common.save"), on_click=I.save_template,
                                        id="template-save"),
                              justify="end", width="100%"),
                    spacing="3", margin_top="var(--space-3)",
                ),
                max_width="420px",
            ),
            open=I.template_open, on_open_change=I.set_template_open,
        ),
        rx.cond(I.template_id != "",
                rx.icon_button(rx.icon("trash-2", size=16), variant="ghost", color_scheme="red",
                               on_click=I.delete_template, aria_label=t("import_ui.template_del"),
                               id="template-delete")),
        spacing="2", wrap="wrap", align="center",
    )


def _mapping_step() -> rx.Component:
    return rx.vstack(
        section(
            t("import_ui.mapping_title"),
            rx.text(I.filename, " · ", I.file_info, size="2", color_scheme="gray",
                    data_testid="import-file-info"),
            rx.text(t("import_ui.mapping_help"), size="2"),
            _templates(),
            rx.box(
                rx.grid(
                    rx.text(t("import_ui.col.column"), size="2", weight="bold"),
                    rx.text(t("import_ui.col.field"), size="2", weight="bold"),
                    columns="1fr 1fr", spacing="2", width="100%", padding_bottom="var(--space-2)",
                    display=rx.breakpoints(initial="none", sm="grid"),
                ),
                rx.foreach(I.mapping_rows, _mapping_row),
                width="100%", data_testid="import-mapping",
            ),
            test_id="import-mapping-card",
        ),
        section(t("import_ui.policy_title"), _policy()),
        rx.cond(I.mapping_error != "",
                rx.callout(I.mapping_error, icon="triangle-alert", color_scheme="red",
                           width="100%", role="alert", id="import-mapping-error")),
        _progress(),
        rx.flex(
            rx.button(t("import_ui.other_file"), variant="soft", color_scheme="gray",
                      on_click=I.restart, id="import-restart"),
            rx.button(rx.icon("eye", size=16), t("import_ui.preview"), on_click=I.preview,
                      loading=I.busy, disabled=I.busy, id="import-preview"),
            spacing="2", justify="end", width="100%",
            direction=rx.breakpoints(initial="column-reverse", xs="row"),
        ),
        spacing="4", width="100%",
    )


def _stat(label_key: str, value: rx.Var, test_id: str, color: str = "gray") -> rx.Component:
    return rx.card(
        rx.vstack(rx.text(t(label_key), size="1", color_scheme="gray"),
                  rx.heading(value, size="6", color=rx.color(color, 11), data_testid=test_id),
                  spacing="1"),
        width="100%",
    )


def _stats(created_key: str) -> rx.Component:
    return rx.grid(
        _stat("import_ui.stat.rows", I.counts["rows"], "stat-rows"),
        _stat(created_key, I.counts["created"], "stat-created", "green"),
        _stat("import_ui.stat.updated", I.counts["updated"], "stat-updated", "blue"),
        _stat("import_ui.stat.skipped", I.counts["skipped"], "stat-skipped", "amber"),
        _stat("import_ui.stat.rejected", I.counts["rejected"], "stat-rejected", "red"),
        columns=rx.breakpoints(initial="2", sm="3", md="5"),
        spacing="2", width="100%",
    )


def _errors_table(test_id: str) -> rx.Component:
    return rx.cond(
        I.error_total > 0,
        rx.vstack(
            rx.box(
                rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell(t("import_ui.col.row")),
                        rx.table.column_header_cell(t("import_ui.col.column")),
                        rx.table.column_header_cell(t("import_ui.col.error")))),
                    rx.table.body(rx.foreach(I.error_rows, lambda e: rx.table.row(
                        rx.table.cell(e["row"], white_space="nowrap"),
                        rx.table.cell(e["column"], rx.cond(
                            e["column"] != e["field"],
                            rx.text(e["field"], size="1", color_scheme="gray"))),
                        rx.table.cell(e["message"]),
                        data_testid="error-row-" + e["row"].to(str)))),
                    variant="surface", size="1", width="100%",
                ),
                overflow_x="auto", width="100%", data_testid=test_id,
            ),
            rx.cond(I.error_total > PAGE, rx.hstack(
                rx.button(t("common.prev"), variant="soft", size="1", on_click=I.errors_prev,
                          disabled=I.error_page <= 1),
                rx.text(t("common.page"), " ", I.error_page, " ", t("common.of"), " ",
                        I.error_pages, size="2"),
                rx.button(t("common.next"), variant="soft", size="1", on_click=I.errors_next,
                          disabled=I.error_page >= I.error_pages),
                justify="center", align="center", width="100%")),
            spacing="2", width="100%",
        ),
        rx.text(t("import_ui.no_errors"), size="2", color_scheme="green",
                data_testid=test_id + "-none"),
    )


def _warnings() -> rx.Component:
    return rx.cond(I.warnings.length() > 0, rx.callout.root(
        rx.callout.icon(rx.icon("info")),
        rx.vstack(rx.foreach(I.warnings, lambda w: rx.text(w, size="2")), spacing="1"),
        color_scheme="amber", width="100%"))


def _preview_step() -> rx.Component:
    return rx.vstack(
        section(
            t("import_ui.preview_title"),
            rx.text(t("import_ui.preview_help"), size="2", color_scheme="gray"),
            _stats("import_ui.stat.to_create"),
            rx.cond(I.counts["owners"] != "",
                    rx.text(t("import_ui.owners"), " ", I.counts["owners"], size="2",
                            data_testid="preview-owners")),
            _warnings(),
            rx.flex(
                rx.heading(t("import_ui.errors_title"), " (", I.counts["errors"], ")", size="3"),
                rx.spacer(),
                rx.cond(I.error_total > 0,
                        rx.button(rx.icon("download", size=14), t("import_ui.download_preview"),
                                  variant="soft", size="1", on_click=I.download_preview_errors,
                                  id="import-preview-download")),
                spacing="2", align="center", width="100%", wrap="wrap",
            ),
            _errors_table("preview-errors"),
            test_id="import-preview-card",
        ),
        _progress(),
        rx.flex(
            rx.button(rx.icon("arrow-left", size=16), t("import_ui.back_mapping"),
                      variant="soft", color_scheme="gray", on_click=I.back_to_mapping,
                      id="import-back"),
            rx.button(rx.icon("upload", size=16), t("import_ui.run"), on_click=I.run_import,
                      loading=I.busy, disabled=I.busy, id="import-run"),
            spacing="2", justify="end", width="100%",
            direction=rx.breakpoints(initial="column-reverse", xs="row"),
        ),
        spacing="4", width="100%",
    )


def _running_step() -> rx.Component:
    return section(t("import_ui.running_title"), _progress(), test_id="import-running")


def _result_step() -> rx.Component:
    return rx.vstack(
        section(
            t("import_ui.result_title"),
            rx.cond(I.batch_undone,
                    rx.callout(t("import_ui.result_undone"), icon="rotate-ccw",
                               color_scheme="gray", width="100%", id="import-undone"),
                    rx.callout(t("import_ui.result_done"), icon="circle-check",
                               color_scheme="green", width="100%", id="import-done")),
            _stats("import_ui.stat.created"),
            _warnings(),
            rx.heading(t("import_ui.rejected_title"), " (", I.counts["rejected"], ")", size="3"),
            _errors_table("result-errors"),
            rx.flex(
                rx.cond(I.error_total > 0,
                        rx.button(rx.icon("download", size=16), t("import_ui.download"),
                                  variant="soft", on_click=I.download_rejected(""),
                                  id="import-download")),
                rx.link(rx.button(rx.icon("list", size=16), t("import_ui.see_leads"),
                                  variant="soft"),
                        href="/leads?lote=" + I.batch_id.to(str), id="import-see-leads"),
                rx.cond(~I.batch_undone,
                        rx.button(rx.icon("rotate-ccw", size=16), t("import_ui.undo"),
                                  color_scheme="red", variant="soft",
                                  on_click=I.ask_undo(I.batch_id.to(str)), id="import-undo")),
                rx.button(rx.icon("file-up", size=16), t("import_ui.another"),
                          on_click=I.restart, id="import-another"),
                spacing="2", wrap="wrap", justify="end", width="100%",
            ),
            test_id="import-result",
        ),
        spacing="4", width="100%",
    )


def _undo_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("import_ui.undo_title")),
            rx.alert_dialog.description(t("import_ui.undo_help"), size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft",
                                                 color_scheme="gray")),
                rx.button(t("import_ui.undo"), color_scheme="red", on_click=I.undo,
                          loading=I.undoing, disabled=I.undoing, id="import-undo-confirm"),
                justify="end", width="100%", margin_top="var(--space-3)",
            ),
            max_width="440px",
        ),
        open=I.undo_open, on_open_change=I.set_undo_open,
    )


def _batch_card(b: rx.Var) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.hstack(rx.text("#", b["id"], " · ", b["filename"], weight="medium", size="2",
                                  word_break="break-all"),
                          rx.badge(b["status"], color_scheme=rx.match(
                              b["status_key"], ("committed", "green"), ("undone", "gray"),
                              "amber"), variant="soft"),
                          spacing="2", align="center", wrap="wrap"),
                rx.text(b["when"], " · ", t("import_ui.stat.created"), " ", b["created"], " · ",
                        t("import_ui.stat.updated"), " ", b["updated"], " · ",
                        t("import_ui.stat.rejected"), " ", b["rejected"], size="1",
                        color_scheme="gray"),
                spacing="1", min_width="0",
            ),
            rx.spacer(),
            rx.hstack(
                rx.link(t("import_ui.see_leads"), href=b["href"], size="2"),
                rx.cond(b["rejected"] != "0",
                        rx.icon_button(rx.icon("download", size=14), size="1", variant="ghost",
                                       on_click=I.download_rejected(b["id"]),
                                       aria_label=t("import_ui.download"))),
                rx.cond(b["status_key"] == "committed",
                        rx.button(t("import_ui.undo"), size="1", variant="soft",
                                  color_scheme="red", on_click=I.ask_undo(b["id"]),
                                  data_testid="batch-undo-" + b["id"].to(str))),
                spacing="2", align="center",
            ),
            spacing="2", wrap="wrap", align="center", width="100%",
        ),
        width="100%",
        data_testid="batch-" + b["id"].to(str),
    )


def _recent() -> rx.Component:
    return section(
        t("import_ui.recent"),
        rx.cond(I.batches.length() > 0,
                rx.vstack(rx.foreach(I.batches, _batch_card), spacing="2", width="100%"),
                rx.text(t("import_ui.recent_none"), size="2", color_scheme="gray")),
        test_id="import-batches",
    )


def lead_import_page() -> rx.Component:
    return shell(
        rx.hstack(
            rx.link(rx.button(rx.icon("arrow-left", size=16), t("nav.leads"), variant="ghost"),
                    href="/leads"),
            rx.spacer(),
            _steps(),
            width="100%", align="center", wrap="wrap",
        ),
        rx.match(
            I.step,
            ("mapping", _mapping_step()),
            ("preview", _preview_step()),
            ("running", _running_step()),
            ("result", _result_step()),
            _upload_step(),
        ),
        _undo_dialog(),
        _recent(),
        title=t("import_ui.title"),
        active="/leads",
    )
