"""The import wizard's state: which step the tab is on, the choices on screen, one page of
error rows, and tokens naming its files (never paths, never their contents).

Every file operation and every mapping decision is a call to ``services.importing``
(``uploads``: the upload and the tokens; ``wizard``: analyse, check, import and the reports
of a check; ``mapping``: choices and templates). Reading, checking, importing and undoing
run off the event loop: background ``@handler``s that hand the work to ``rx.run_in_thread``.

Where a failure leaves the wizard is decided once, in ``_failed``, before the kit reports
it: a file that is gone (deleted at the end of an import, purged after 24 h), over the limits
or unreadable sends the wizard back to the first step with the message; a check or an
import that failed otherwise goes back to the mapping step, with its file, to be corrected.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from crm_app.formatting import datetime_es, number
from crm_app.i18n import t
from crm_app.permissions import Perm, PermissionDenied, has_perm
from crm_app.services.errors import DomainError, ValidationFailed
from crm_app.services.importing import (
    FileGone,
    FileTooBig,
    FileUnreadable,
    batch_rejected_csv,
    delete_template,
    list_batches,
    list_templates,
    save_template,
    undo_batch,
    uploads,
    wizard,
)
from crm_app.services.importing.mapping import IGNORE, apply_template, taken_by
from crm_app.services.importing.service import rejected_rows
from crm_app.state import AppState, Ctx, handler, setter

ENTITY = "lead"
PAGE = 50  # error rows on screen
POLICY_KEYS = ("skip", "update", "create")
STEPS = ("upload", "mapping", "preview", "result")
ENCODINGS = {"utf-8": "UTF-8", "utf-8-sig": t("import_ui.encoding_bom"), "utf-16": "UTF-16",
             "cp1252": "Windows-1252", "latin-1": "ISO-8859-1"}
DELIMITERS = {";": "«;»", ",": "«,»", "\t": t("import_ui.tab"), "|": "«|»"}
RECENT = 15

T = TypeVar("T")


def _message(exc: Exception) -> str:
    """A failure's message with its first field error (a mapping naming an unknown field)."""
    text = getattr(exc, "message", str(exc))
    if isinstance(exc, ValidationFailed):
        text = f"{text} {next(iter(exc.errors.values()), '')}".strip()
    return text


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
    template_errors: dict[str, str] = {}
    busy: bool = False
    progress: int = 0
    progress_label: str = ""
    counts: dict[str, str] = {}
    warnings: list[str] = []
    batch_id: int = 0
    batch_undone: bool = False
    undoing: bool = False
    batches: list[dict[str, str]] = []
    # the check's error rows, a page at a time (the names the kit's ``pager`` reads)
    error_rows: list[dict[str, str]] = []
    page: int = 1
    page_size: int = PAGE
    total: int = 0

    _file: str = ""  # token of the upload (services.importing.uploads)
    _errors_report: str = ""  # token of the last run's error rows
    _preview_csv: str = ""  # token of the last check's rejected rows (CSV)
    _running: str = ""  # what a failure interrupts: read | check | import

    # --- computed ------------------------------------------------------------------------

    @rx.var
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @rx.var
    def has_prev(self) -> bool:
        return self.page > 1

    @rx.var
    def has_next(self) -> bool:
        return self.page < self.pages

    @rx.var
    def step_index(self) -> int:
        return STEPS.index(self.step) + 1 if self.step in STEPS else 4

    @rx.var
    def template_error(self) -> str:
        """The template's error under its name (a bad name, or the mapping it would save)."""
        return next(iter(self.template_errors.values()), "")

    # --- helpers -------------------------------------------------------------------------

    def _load_lists(self, ctx: Ctx) -> None:
        self.templates = [{"value": str(tpl.id), "label": tpl.name} for tpl in
                          list_templates(session=ctx.session, actor=ctx.user, entity=ENTITY)]
        self.batches = [{
            "id": str(b.id), "filename": b.filename or "—", "when": datetime_es(b.created_at),
            "status": t(f"import_ui.batch.{b.status}"), "status_key": str(b.status),
            "created": number(b.created), "updated": number(b.updated),
            "skipped": number(b.skipped), "rejected": number(rejected_rows(b)),
            "href": f"/leads?lote={b.id}",
        } for b in list_batches(session=ctx.session, actor=ctx.user, entity=ENTITY,
                                limit=RECENT)]

    def _mapping(self) -> dict[str, str]:
        return {r["header"]: r["target"] for r in self.mapping_rows}

    def _set_mapping(self, choices: dict[str, str]) -> None:
        """The rows with their targets and, on a column whose field an earlier one already
        takes, the warning that it will be ignored (the rule is the service's)."""
        earlier = taken_by(list(choices.items()))
        self.mapping_rows = [
            {**r, "target": choices.get(r["header"], r["target"]),
             "warn": t("import_ui.duplicate_target", header=earlier[r["header"]])
             if r["header"] in earlier else ""}
            for r in self.mapping_rows]

    def _show_errors(self) -> None:
        """One page of the error rows, read from the report the run left in the data dir (a
        big file's errors stay there, not in the tab's state)."""
        self.error_rows = wizard.error_rows(
            self._errors_report, offset=(self.page - 1) * self.page_size,
            limit=self.page_size) if self._errors_report else []

    def _restart(self) -> None:
        uploads.forget(self._file, self._errors_report, self._preview_csv)
        self._file = self._errors_report = self._preview_csv = self._running = ""
        self.step, self.filename, self.file_info, self.upload_error = "upload", "", "", ""
        self.mapping_rows, self.mapping_error, self.template_id = [], "", ""
        self.policy, self.counts, self.warnings = "skip", {}, []
        self.error_rows, self.total, self.page = [], 0, 1
        self.batch_id, self.batch_undone, self.busy, self.progress = 0, False, False, 0

    def _failed(self, exc: Exception, errors: str | None) -> Any:
        """Where a failure leaves the wizard (see the module's docstring); the kit then
        reports it (toast, inline errors, login page)."""
        running, self._running = self._running, ""
        self.busy = self.undoing = False
        if isinstance(exc, FileGone | FileTooBig) or (
                running == "read" and isinstance(exc, FileUnreadable)):
            self._restart()
            self.upload_error = exc.message
        elif running in ("check", "import") and isinstance(exc, DomainError | PermissionDenied):
            self.step, self.mapping_error = "mapping", _message(exc)
        return super()._failed(exc, errors)

    async def _off_loop(self, work: Callable[[], T]) -> T:
        """``work`` in a thread; should it fail, nothing stays "busy" (a domain error is then
        placed by ``_failed``, anything else propagates)."""
        done = False
        try:
            result = await rx.run_in_thread(work)
            done = True
            return result
        finally:
            if not done:
                async with self:
                    self.busy = self.undoing = False

    # --- page events ---------------------------------------------------------------------

    @handler(None)
    def open_page(self, ctx: Ctx) -> Any:
        if not has_perm(ctx.user, Perm.IMPORT):
            return [rx.redirect("/leads"), rx.toast.error(t("common.denied"), id="denied")]
        self._load_lists(ctx)
        if self.step not in ("mapping", "preview") or self.busy:
            self._restart()
        return None

    @handler(Perm.IMPORT)
    def restart(self, ctx: Ctx) -> None:
        self._restart()

    @handler(Perm.IMPORT)
    async def upload(self, ctx: Ctx, files: list[rx.UploadFile]) -> Any:
        """Keep the chosen file in the data dir (in pieces, capped), then read it."""
        if not files:
            return
        self._restart()
        self._file, self.filename = await uploads.receive(files[0].read,
                                                          files[0].filename or "")
        self.busy, self.progress_label = True, t("import_ui.reading")
        yield LeadImportState.analyse

    @handler(Perm.IMPORT, background=True)
    async def analyse(self, ctx: Ctx) -> Any:
        async with self:
            token, filename = self._file, self.filename
            self._running, self.busy = "read", True
        info = await self._off_loop(lambda: wizard.analyse(
            session=ctx.session, actor=ctx.user, entity=ENTITY, token=token,
            filename=filename))
        async with self:
            self._running = ""
            self.target_options = [
                *({"value": x.value, "label": t("import_ui.custom_field", label=x.label)
                   if x.custom else x.label} for x in info.targets),
                {"value": IGNORE, "label": t("import_ui.ignore")}]
            self.mapping_rows = [{"header": c.header, "target": c.target, "sample": c.sample,
                                  "warn": ""} for c in info.columns]
            self._set_mapping(self._mapping())
            self.file_info = t("import_ui.file_info_xlsx", rows=number(info.rows)) \
                if info.method == "xlsx" else t(
                    "import_ui.file_info", rows=number(info.rows),
                    encoding=ENCODINGS.get(info.encoding, info.encoding or ""),
                    delimiter=DELIMITERS.get(info.delimiter, "—"))
            self.step, self.busy = "mapping", False

    # --- mapping -------------------------------------------------------------------------

    @rx.event
    def set_target(self, header: str, target: str) -> None:
        self._set_mapping({**self._mapping(), header: target})
        self.template_id, self.mapping_error = "", ""

    @rx.event
    def set_policy(self, value: str) -> None:
        if value in POLICY_KEYS:
            self.policy = value

    @handler(Perm.IMPORT)
    def load_template(self, ctx: Ctx, template_id: str) -> Any:
        tpl, choices = apply_template(
            session=ctx.session, actor=ctx.user, entity=ENTITY,
            template_id=int(template_id) if str(template_id).isdigit() else 0,
            choices=self._mapping())
        self._set_mapping(choices)
        self.template_id = str(template_id)
        return rx.toast.success(t("import_ui.template_loaded", name=tpl.name))

    @rx.event
    def set_template_open(self, value: bool) -> None:
        self.template_open = value
        if value:
            self.template_errors = {}

    set_template_name = setter("template_name")

    @handler(Perm.IMPORT, errors="template_errors")
    def save_template(self, ctx: Ctx) -> Any:
        tpl = save_template(session=ctx.session, actor=ctx.user, entity=ENTITY,
                            name=self.template_name, mapping=self._mapping())
        self._load_lists(ctx)
        self.template_id, self.template_open = str(tpl.id), False
        return rx.toast.success(t("import_ui.template_saved", name=tpl.name))

    @handler(Perm.IMPORT)
    def delete_template(self, ctx: Ctx) -> Any:
        if not self.template_id.isdigit():
            return None
        delete_template(session=ctx.session, actor=ctx.user, template_id=int(self.template_id))
        self._load_lists(ctx)
        self.template_id = ""
        return rx.toast.success(t("import_ui.template_deleted"))

    @rx.event
    def back_to_mapping(self) -> None:
        self.step = "mapping"

    # --- check and import (background) ---------------------------------------------------

    @handler(Perm.IMPORT, background=True)
    async def preview(self, ctx: Ctx) -> Any:
        return await self._check_or_import(ctx, dry_run=True)

    @handler(Perm.IMPORT, background=True)
    async def run_import(self, ctx: Ctx) -> Any:
        return await self._check_or_import(ctx, dry_run=False)

    async def _check_or_import(self, ctx: Ctx, *, dry_run: bool) -> Any:
        async with self:
            if self.busy:
                return None
            token, filename, mapping, policy = (self._file, self.filename, self._mapping(),
                                                self.policy)
            self._running = "check" if dry_run else "import"
            self.busy, self.progress, self.mapping_error = True, 0, ""
            self.progress_label = t("import_ui.previewing" if dry_run else "import_ui.importing")
            if not dry_run:
                self.step = "running"
        done = [0.0]
        task = asyncio.ensure_future(self._off_loop(lambda: wizard.run(
            session=ctx.session, actor=ctx.user, entity=ENTITY, token=token, filename=filename,
            mapping=mapping, on_duplicate=policy, dry_run=dry_run,
            progress=lambda f: done.__setitem__(0, f))))
        while not task.done():
            await asyncio.sleep(0.2)
            async with self:
                self.progress = int(done[0] * 100)
        report = task.result()
        result = report.result
        done_text = t("import_ui.done", created=number(result.created),
                      updated=number(result.updated))
        async with self:
            self._running = ""
            uploads.forget(self._errors_report, self._preview_csv)
            self._errors_report, self._preview_csv = report.errors, report.rejected_csv
            self.counts = {
                "rows": number(result.rows), "created": number(result.created),
                "updated": number(result.updated), "skipped": number(result.skipped),
                "rejected": number(result.rejected), "errors": number(len(result.errors)),
                "owners": ", ".join(f"{name} ({number(n)})" for name, n in report.owners)}
            self.warnings = list(result.warnings)
            self.total, self.page = len(result.errors), 1
            self._show_errors()
            self.progress, self.busy = 100, False
            if dry_run:
                self.step = "preview"
                return None
            self._file = ""  # the service deleted it: the batch ended
            self.batch_id, self.batch_undone, self.step = result.batch_id or 0, False, "result"
            self._load_lists(ctx)
        return rx.toast.success(done_text)

    @handler(Perm.IMPORT)
    def prev_page(self, ctx: Ctx) -> None:
        self.page = max(1, self.page - 1)
        self._show_errors()

    @handler(Perm.IMPORT)
    def next_page(self, ctx: Ctx) -> None:
        self.page = min(self.pages, self.page + 1)
        self._show_errors()

    # --- downloads and undo --------------------------------------------------------------

    @handler(Perm.IMPORT)
    def download_rejected(self, ctx: Ctx, batch_id: str = "") -> Any:
        target = int(batch_id) if str(batch_id).isdigit() else self.batch_id
        data = batch_rejected_csv(session=ctx.session, actor=ctx.user, batch_id=target)
        return rx.download(data=data, filename=t("import_ui.rejected_file", id=target),
                           mime_type="text/csv")

    @handler(Perm.IMPORT)
    def download_preview_errors(self, ctx: Ctx) -> Any:
        return rx.download(data=wizard.rejected_csv(self._preview_csv),
                           filename=t("import_ui.preview_file"), mime_type="text/csv")

    @handler(Perm.IMPORT, background=True)
    async def undo(self, ctx: Ctx, batch_id: str) -> Any:
        """Deleting a batch of 100,000 leads takes seconds: off the event loop."""
        if not str(batch_id).isdigit():
            return None
        target = int(batch_id)
        async with self:
            self.undoing = True
        await self._off_loop(lambda: undo_batch(session=ctx.session, actor=ctx.user,
                                                batch_id=target))
        async with self:
            self.undoing = False
            self._load_lists(ctx)
            if target == self.batch_id:
                self.batch_undone = True
        return rx.toast.success(t("import_ui.undone", id=target))
