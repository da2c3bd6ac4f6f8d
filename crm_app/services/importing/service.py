"""The import: one file -> one ImportBatch, committed whole or not at all, undoable whole.

``import_file`` reads, maps, validates (vectorised), finds duplicates, assigns owners and
bulk-inserts the valid rows in **one transaction** with the ImportBatch row and its audit
event; rejected rows are reported (row as a spreadsheet numbers it, field, Spanish message)
and kept for a downloadable CSV. ``dry_run`` does all of it but writes nothing.

Ownership of imported records:

- a **comercial** owns everything they import (as when they enter a lead by hand: row scoping
  would hide records owned by others from them); an owner column is ignored, with a warning;
- **admin, director, manager**: an owner column (a user's email) wins; a row without one goes
  through the lead assignment rules (leads) or to the importer (accounts, contacts,
  opportunities). A lead no rule and no fallback owner assigns belongs to the importer, so
  every record has an owner, and its team is the owner's team.

Duplicate policy (``on_duplicate``): ``skip`` (default) skips rows matching an existing record
or an earlier row; ``update`` writes the row's non-blank fields over the matching record of
the same entity (the old values are kept in ``ImportBatch.previous_values`` for undo; a match
in another entity or outside the actor's scope is skipped, and each record is updated by its
first matching row only); ``create`` imports duplicates too (they are still reported).
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from crm_app.gcpause import collector_paused
from crm_app.models import (
    Account,
    AssignmentRule,
    Contact,
    ImportBatch,
    ImportStatus,
    Lead,
    LeadStatus,
    Opportunity,
    Pipeline,
    Role,
    Stage,
    StageChange,
    StageKind,
    User,
    utcnow,
)
from crm_app.permissions import Perm, PermissionDenied, require, restrict
from crm_app.services import audit
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.assignment import Assigner
from crm_app.services.defaults import ensure_default_pipeline
from crm_app.services.errors import Conflict, ValidationFailed
from crm_app.services.importing import writer
from crm_app.services.importing.checks import nulls
from crm_app.services.importing.dedup import KEYS, find_duplicates, load_existing
from crm_app.services.importing.limits import ImportLimits
from crm_app.services.importing.mapping import (
    Mapping,
    custom_defs,
    entity_key,
    fields_of,
    get_template,
    resolve_mapping,
)
from crm_app.services.importing.reader import ROW, FileUnreadable, RawTable, read_table
from crm_app.services.importing.validate import OK, Lookups, StageInfo, prepare
from crm_app.services.links import assign_error
from crm_app.services.records import get_existing
from crm_app.services.spain import fold, province_from_postal_code
from crm_app.services.spreadsheet_cells import safe_cell

POLICIES = ("skip", "update", "create")
MODELS: dict[str, type[SQLModel]] = {"lead": Lead, "account": Account, "contact": Contact,
                                     "opportunity": Opportunity}
TEXT_COLUMNS = {
    "lead": ("first_name", "last_name", "company", "nif", "email", "phone", "position",
             "province", "city", "source", "notes", "legal_basis"),
    "account": ("name", "trade_name", "nif", "sector", "size_band", "address", "postal_code",
                "city", "province", "email", "phone", "website", "channel", "notes"),
    "contact": ("first_name", "last_name", "email", "phone", "position", "nif",
                "legal_basis"),
    "opportunity": ("name", "channel", "lost_reason", "description"),
}
# Fields an ``update`` may overwrite (never the creation date, which is history).
UPDATABLE = {
    "lead": (*TEXT_COLUMNS["lead"], "status"),
    "account": (*TEXT_COLUMNS["account"], "country", "recargo_equivalencia"),
    "contact": (*TEXT_COLUMNS["contact"], "account_id"),
    "opportunity": (),
}
UNDO_BLOCKED = ("No se puede deshacer: otros registros creados después dependen de los "
                "importados (actividades, contactos, oportunidades, conversiones…).")

Progress = Callable[[float], None]


@dataclass
class ImportResult:
    entity: str
    batch_id: int | None
    dry_run: bool
    rows: int
    created: int
    updated: int
    skipped: int
    errors: list[dict]
    duplicates: list[dict]
    warnings: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    blank_rows: list[int] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    method: str = ""
    seconds: float = 0.0
    headers: list[str] = field(default_factory=list)
    rejected_values: dict[int, list[str | None]] = field(default_factory=dict)
    owners: dict[int, int] = field(default_factory=dict)  # owner id -> created rows

    @property
    def rejected(self) -> int:
        return len({e["row"] for e in self.errors})

    def summary(self) -> dict[str, Any]:
        """The CLI/API JSON: ``batch_id, rows, created, updated, skipped, errors, duplicates``."""
        return {
            "batch_id": self.batch_id, "rows": self.rows, "created": self.created,
            "updated": self.updated, "skipped": self.skipped,
            "errors": [{"row": e["row"], "field": e["field"], "message": e["message"]}
                       for e in self.errors],
            "duplicates": [{"row": d["row"], "field": d["field"],
                            "existing_id": d["existing_id"]} for d in self.duplicates],
        }

    def rejected_csv(self) -> bytes:
        return rejected_csv_bytes(self.headers, self.errors, self.rejected_values,
                                  self.mapping, self.entity)


# --- entry points ----------------------------------------------------------------------------


@needs_actor
def import_file(*, session: Session, actor: Actor, entity: str, data: bytes, filename: str = "",
                mapping: dict[str, str] | None = None, template_id: int | None = None,
                on_duplicate: str = "skip", dry_run: bool = False,
                progress: Progress | None = None,
                limits: ImportLimits | None = None) -> ImportResult:
    """Import ``data`` (CSV/XLSX bytes) as ``entity`` (leads, accounts, contacts,
    opportunities). Raises ``FileUnreadable`` (nothing imported) when the file is not a
    table or is over the import ``limits`` (``FileTooBig``; ``CRM_IMPORT_*`` by default),
    ``ValidationFailed`` for a bad mapping or policy, ``PermissionDenied``."""
    with collector_paused(), writer.foreign_keys_checked_here(session):
        return _import_file(session=session, actor=actor, entity=entity, data=data,
                            filename=filename, mapping=mapping, template_id=template_id,
                            on_duplicate=on_duplicate, dry_run=dry_run, progress=progress,
                            limits=limits)


def _import_file(*, session: Session, actor: Actor, entity: str, data: bytes, filename: str = "",
                 mapping: dict[str, str] | None = None, template_id: int | None = None,
                 on_duplicate: str = "skip", dry_run: bool = False,
                 progress: Progress | None = None,
                 limits: ImportLimits | None = None) -> ImportResult:
    started = time.perf_counter()
    require(actor, Perm.IMPORT)
    entity = entity_key(entity)
    if on_duplicate not in POLICIES:
        raise ValidationFailed({"on_duplicate": "Política de duplicados no válida: skip, update "
                                                "o create."})
    report = progress or (lambda _f: None)
    report(0.0)
    table = read_table(data, filename, limits)
    report(0.1)
    user_mapping: dict[str, str] = {}
    if template_id is not None:
        tpl = get_template(session=session, actor=actor, template_id=template_id)
        if tpl.entity != entity:
            raise ValidationFailed({"template_id": "La plantilla es de otro tipo de registro."})
        user_mapping.update(tpl.mapping)
    user_mapping.update(mapping or {})
    custom = custom_defs(session, entity)
    resolved = resolve_mapping(entity=entity, headers=table.headers, custom=custom,
                               user_mapping=user_mapping)
    if not resolved.columns:
        expected = ", ".join(s.label for s in list(fields_of(entity).values())[:6])
        raise FileUnreadable("No se reconoce ninguna columna: la primera fila debe tener los "
                             f"títulos ({expected}…) o indica un mapeo de columnas.")
    try:
        lookups = _lookups(session, actor, entity, resolved, custom)
        prepared = prepare(entity=entity, table=table, mapping=resolved, lookups=lookups)
        report(0.3)
        plan = _plan(session, actor, entity, prepared.frame, prepared.fields, on_duplicate)
        report(0.4)
        result = ImportResult(
            entity=entity, batch_id=None, dry_run=dry_run, rows=table.rows,
            created=plan.create.height, updated=len(plan.updates), skipped=plan.skipped,
            errors=prepared.errors, duplicates=plan.duplicates,
            warnings=[*resolved.warnings, *prepared.warnings],
            mapping=resolved.by_header, ignored_columns=resolved.ignored,
            blank_rows=table.blank_rows, encoding=table.encoding, delimiter=table.delimiter,
            method=table.method, headers=table.headers,
            rejected_values=_rejected_values(table, prepared.errors))
        create = _owners(session, actor, entity, plan.create, lookups, resolved, dry_run)
        result.owners = _owner_counts(create)
        if dry_run:
            session.rollback()
            report(1.0)
            result.seconds = time.perf_counter() - started
            return result
        batch = ImportBatch(entity=entity, filename=(filename or "")[-255:],
                            status=ImportStatus.PREVIEW, on_duplicate=on_duplicate,
                            mapping=resolved.by_header, rows=result.rows,
                            created=result.created, updated=result.updated,
                            skipped=result.skipped, errors=_stored_errors(result),
                            duplicates=plan.duplicates, created_by_id=actor.id,
                            created_at=utcnow())
        session.add(batch)
        session.flush()
        result.batch_id = batch.id

        def write_progress(done: int) -> None:
            report(0.4 + 0.55 * done / max(1, create.height))

        _insert(session, actor, entity, create, batch.id, write_progress)
        if plan.updates:
            batch.previous_values = _apply_updates(session, actor, entity, plan.updates,
                                                   resolved, lookups)
        batch.status = ImportStatus.COMMITTED
        session.add(batch)
        audit.record(session=session, actor=actor, entity="import_batch", entity_id=batch.id,
                     action="import",
                     after={"entity": entity, "filename": batch.filename, "rows": result.rows,
                            "created": result.created, "updated": result.updated,
                            "skipped": result.skipped, "rejected": result.rejected,
                            "on_duplicate": on_duplicate})
        writer.commit_bulk(session=session, rows=create.height,
                           table=MODELS[entity].__tablename__)
    except BaseException:
        session.rollback()
        raise
    report(1.0)
    result.seconds = time.perf_counter() - started
    return result


def _own_batch(session: Session, actor: Actor, batch_id: int, *,
               refused: str = "No tienes permiso para esta acción.") -> ImportBatch:
    """A batch its creator or an admin may act on (undo it, download its rejected rows)."""
    require(actor, Perm.IMPORT)
    batch = get_existing(session=session, model=ImportBatch, record_id=batch_id,
                         missing="Importación no encontrada.")
    if batch.created_by_id != actor.id and actor.role != Role.ADMIN:
        raise PermissionDenied(refused)
    return batch


@needs_actor
def undo_batch(*, session: Session, actor: Actor, batch_id: int) -> ImportBatch:
    """Delete what the batch created (and their stage history), restore what it updated,
    mark it undone. Only its creator or an admin; never twice."""
    batch = _own_batch(session, actor, batch_id,
                       refused="Solo quien hizo la importación o un administrador puede "
                               "deshacerla.")
    if batch.status == ImportStatus.UNDONE:
        raise Conflict("Esta importación ya se deshizo.")
    if batch.status != ImportStatus.COMMITTED:
        raise Conflict("Solo se puede deshacer una importación confirmada.")
    model = MODELS[batch.entity]
    table = model.__table__  # type: ignore[attr-defined]
    try:
        if batch.entity == "opportunity":
            ids = select(Opportunity.id).where(Opportunity.import_batch_id == batch.id)
            session.execute(delete(StageChange).where(StageChange.opportunity_id.in_(ids)))
        deleted = session.execute(delete(table).where(table.c.import_batch_id == batch.id))
        restored = _restore(session, model, batch.previous_values or {})
        batch.status = ImportStatus.UNDONE
        batch.undone_at = utcnow()
        session.add(batch)
        audit.record(session=session, actor=actor, entity="import_batch", entity_id=batch.id,
                     action="undo", after={"deleted": deleted.rowcount, "restored": restored})
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(UNDO_BLOCKED) from None
    except BaseException:
        session.rollback()
        raise
    return batch


@needs_actor
def batch_rejected_csv(*, session: Session, actor: Actor, batch_id: int) -> bytes:
    """The rejected rows of a committed batch as CSV (original values + row, field, error)."""
    batch = _own_batch(session, actor, batch_id)
    headers = list(batch.mapping or {})
    stored = batch.errors or []
    values: dict[int, list[str | None]] = {}
    for e in stored:
        if "values" in e:
            values[e["row"]] = [e["values"].get(h) for h in headers]
    return rejected_csv_bytes(headers, stored, values, batch.mapping or {}, batch.entity)


@needs_actor
def list_batches(*, session: Session, actor: Actor, limit: int = 50,
                 entity: str | None = None) -> list[ImportBatch]:
    """Recent imports (of one ``entity`` if given): an admin sees all, anyone else their own."""
    require(actor, Perm.IMPORT)
    stmt = select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)
    if entity is not None:
        stmt = stmt.where(ImportBatch.entity == entity_key(entity))
    if actor.role != Role.ADMIN:
        stmt = stmt.where(ImportBatch.created_by_id == actor.id)
    return list(session.execute(stmt).scalars().all())


def rejected_rows(batch: ImportBatch) -> int:
    """Rows of a batch's file left out for errors (a row with two errors counts once)."""
    return len({e.get("row") for e in batch.errors or []})


# --- rejected rows CSV ---------------------------------------------------------------------


def rejected_csv_bytes(headers: list[str], errors: list[dict],
                       values: dict[int, list[str | None]], mapping: dict[str, str],
                       entity: str = "lead") -> bytes:
    """``;``-separated UTF-8 with BOM (opens right in Spanish Excel): ``Fila``, the original
    columns, ``Campo`` (the file's column, else the field's Spanish name), ``Error``; one line
    per rejected row (its messages joined)."""
    by_target = {spec.name: spec.label for spec in fields_of(entity).values()}
    by_target.update({"owner_id": by_target.get("owner", "Propietario"),
                      "stage_id": by_target.get("stage", "Etapa")})
    by_target.update({t: h for h, t in mapping.items() if t and t != "ignore"})
    per_row: dict[int, list[dict]] = {}
    for e in errors:
        per_row.setdefault(int(e["row"]), []).append(e)
    buf = io.StringIO()
    out = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    # The file's own values go back to a spreadsheet: never as formulas (``safe_cell``).
    out.writerow(["Fila", *[safe_cell(h) for h in headers], "Campo", "Error"])
    for row in sorted(per_row):
        errs = per_row[row]
        fields = []
        for e in errs:
            name = by_target.get(e["field"], e["field"])
            if name not in fields:
                fields.append(name)
        original = values.get(row) or [None] * len(headers)
        out.writerow([row, *["" if v is None else safe_cell(v) for v in original],
                      safe_cell(", ".join(fields)),
                      safe_cell(" | ".join(e["message"] for e in errs))])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _rejected_values(table: RawTable, errors: list[dict]) -> dict[int, list[str | None]]:
    rows = sorted({e["row"] for e in errors})
    if not rows:
        return {}
    sub = table.frame.filter(pl.col(ROW).is_in(rows))
    return {r[-1]: list(r[:-1]) for r in sub.select([*table.columns, ROW]).iter_rows()}


def _stored_errors(result: ImportResult) -> list[dict]:
    """Errors for ImportBatch: the first error of each row also carries the row's values
    (by header) so the rejected-rows CSV can be rebuilt later."""
    seen: set[int] = set()
    stored = []
    for e in result.errors:
        item = dict(e)
        if e["row"] not in seen:
            seen.add(e["row"])
            vals = result.rejected_values.get(e["row"]) or []
            item["values"] = {h: v for h, v in zip(result.headers, vals, strict=False) if h}
        stored.append(item)
    return stored


# --- lookups -------------------------------------------------------------------------------


def _lookups(session: Session, actor: Actor, entity: str, mapping: Mapping,
             custom: list) -> Lookups:
    lk = Lookups(custom=custom, owner_column_allowed=actor.role != Role.COMERCIAL)
    targets = set(mapping.columns.values())
    if "owner" in targets:
        for u in session.execute(select(User)).scalars():
            lk.users_by_email[u.email.strip().lower()] = (u.id, u.team_id, bool(u.active))
            refused = assign_error(actor, u) if u.active else None
            if refused is not None:
                lk.owner_refused[u.id] = refused
    if entity == "opportunity":
        default = ensure_default_pipeline(session=session)
        lk.default_pipeline_id = default.id
        for p in session.execute(select(Pipeline).where(Pipeline.active == True)).scalars():  # noqa: E712
            lk.pipelines.setdefault(fold(p.name), p.id)
        for st in session.execute(select(Stage).order_by(Stage.position, Stage.id)).scalars():
            lk.stages.setdefault(st.pipeline_id, []).append(
                StageInfo(st.id, st.pipeline_id, st.name, st.kind, st.position))
    if entity in ("contact", "opportunity") and targets & {"account", "account_nif"}:
        stmt = restrict(select(Account.id, Account.name, Account.nif), actor).where(
            Account.deleted_at.is_(None)).order_by(Account.id)
        for acc_id, name, nif in session.execute(stmt).all():
            lk.accounts_by_name.setdefault(fold(name), acc_id)
            if nif:
                lk.accounts_by_nif.setdefault(nif, acc_id)
    return lk


# --- plan: create / update / skip -----------------------------------------------------------


@dataclass
class _Plan:
    create: pl.DataFrame
    updates: list[tuple[int, dict[str, Any]]]  # (existing id, row dict)
    skipped: int
    duplicates: list[dict]


def _plan(session: Session, actor: Actor, entity: str, frame: pl.DataFrame, fields: list[str],
          policy: str) -> _Plan:
    valid = frame.filter(pl.col(OK)).drop(OK)
    keys = [k for k in KEYS if k in fields]
    if not keys or entity == "opportunity":
        return _Plan(valid, [], 0, [])
    existing = load_existing(session=session, actor=actor, entity=entity,
                             wanted={k: valid[k] for k in keys})
    dups = find_duplicates(valid, existing, keys, policy)
    duplicates = [
        {"row": d[ROW], "field": d["field"],
         "existing_id": d["existing_id"] if d["visible"] else None,
         "existing_entity": d["existing_entity"], "first_row": d["first_row"]}
        for d in dups.iter_rows(named=True)
    ]
    if policy == "create" or dups.height == 0:
        return _Plan(valid, [], 0, duplicates)
    dup_rows = dups[ROW]
    create = valid.filter(~pl.col(ROW).is_in(dup_rows.implode()))
    updates: list[tuple[int, dict[str, Any]]] = []
    if policy == "update":
        targeted: set[int] = set()
        candidates = dups.filter(pl.col("existing_entity") == entity).filter(pl.col("visible"))
        by_row = {r[ROW]: r["existing_id"] for r in candidates.iter_rows(named=True)}
        if by_row:
            rows = valid.filter(pl.col(ROW).is_in(list(by_row)))
            for row in rows.iter_rows(named=True):
                target = by_row[row[ROW]]
                if target in targeted:
                    continue
                targeted.add(target)
                updates.append((target, row))
    return _Plan(create, updates, dups.height - len(updates), duplicates)


# --- owners ----------------------------------------------------------------------------------


def _owners(session: Session, actor: Actor, entity: str, frame: pl.DataFrame, lookups: Lookups,
            mapping: Mapping, dry_run: bool) -> pl.DataFrame:
    """Add ``owner_id``, ``team_id`` (and ``assigned_rule_id`` for leads) to the rows to
    create."""
    n = frame.height
    teams = {uid: team for uid, team, _ in lookups.users_by_email.values()}
    if actor.role == Role.COMERCIAL or "owner_id" not in frame.columns:
        owner = nulls(n, pl.Int64, "owner_id")
    else:
        owner = frame["owner_id"]
    rule = nulls(n, pl.Int64, "assigned_rule_id")
    team = owner.replace_strict(teams, default=None, return_dtype=pl.Int64).alias("team_id")
    if actor.role == Role.COMERCIAL:
        owner = pl.repeat(actor.id, n, dtype=pl.Int64, eager=True).alias("owner_id")
        team = pl.repeat(actor.team_id, n, dtype=pl.Int64, eager=True).alias("team_id")
    elif entity == "lead" and owner.null_count():
        owner, team, rule = _assign(session, frame, owner, team, dry_run)
    fill_owner = owner.is_null()
    owner = owner.fill_null(actor.id)
    team = team.zip_with(~fill_owner, pl.repeat(actor.team_id, n, dtype=pl.Int64, eager=True))
    out = frame.drop([c for c in ("owner_id", "team_id") if c in frame.columns])
    out = out.with_columns(owner.alias("owner_id"), team.alias("team_id"))
    if entity == "lead":
        out = out.with_columns(rule.alias("assigned_rule_id"))
    return out


def _assign(session: Session, frame: pl.DataFrame, owner: pl.Series, team: pl.Series,
            dry_run: bool) -> tuple[pl.Series, pl.Series, pl.Series]:
    """The lead assignment rules in file order (round robin and least-loaded depend on the
    order), for the rows without an owner."""
    assigner = Assigner.load(session=session)
    wanted = {"province", "status", "source"}
    for r in session.execute(select(AssignmentRule).where(AssignmentRule.active == True)  # noqa: E712
                             ).scalars():
        for cond in r.conditions or []:
            wanted.add(str(cond.get("field") or "province"))
    custom_cols = [c for c in frame.columns if c.startswith("custom.")]
    cols = [c for c in frame.columns if c in wanted]
    need = owner.is_null()
    picked = frame.filter(need)
    key_cols = [*cols, *custom_cols]
    names = [c[7:] for c in custom_cols]
    # Rows with the same condition values go to the same rule (and, for a fixed user, a
    # territory or the fallback, to the same owner): each distinct key is routed once and
    # joined back to its rows, then every row ``take``s its owner in file order (round
    # robin, least loaded and the open-lead loads depend on that order).
    if key_cols:
        distinct = picked.select(key_cols).unique(maintain_order=True)
        routes = []
        for values in distinct.rows():
            lead = dict(zip(cols, values[: len(cols)], strict=True))
            if lead.get("status") is None:
                lead["status"] = LeadStatus.NUEVO.value
            if custom_cols:
                lead["custom"] = {k: json.loads(v) for k, v in
                                  zip(names, values[len(cols):], strict=True) if v is not None}
            routes.append(assigner.route(lead))
        distinct = distinct.with_columns(
            pl.Series("__rule", [r[0] for r in routes], dtype=pl.Int64),
            pl.Series("__owner", [r[1] for r in routes], dtype=pl.Int64))
        routed = picked.select(key_cols).join(distinct, on=key_cols, how="left",
                                              nulls_equal=True, maintain_order="left")
        per_row = zip(routed["__rule"].to_list(), routed["__owner"].to_list(), strict=True)
    else:
        per_row = iter([assigner.route({"status": LeadStatus.NUEVO.value})] * picked.height)
    statuses = (picked["status"].to_list() if "status" in picked.columns
                else [None] * picked.height)
    owners, teams, rules = assigner.take_all(per_row, statuses)
    if not dry_run:
        assigner.persist(session=session)
    idx = need.arg_true()
    new_owner = owner.scatter(idx, pl.Series(owners, dtype=pl.Int64)) if len(idx) else owner
    new_team = team.scatter(idx, pl.Series(teams, dtype=pl.Int64)) if len(idx) else team
    rule = nulls(frame.height, pl.Int64, "assigned_rule_id")
    if len(idx):
        rule = rule.scatter(idx, pl.Series(rules, dtype=pl.Int64))
    return new_owner, new_team, rule


def _owner_counts(frame: pl.DataFrame) -> dict[int, int]:
    if frame.height == 0:
        return {}
    counts = frame.group_by("owner_id").len()
    return {int(r[0]): int(r[1]) for r in counts.iter_rows() if r[0] is not None}


# --- writing ---------------------------------------------------------------------------------


def _custom_dicts(frame: pl.DataFrame) -> list[dict] | None:
    custom_cols = [c for c in frame.columns if c.startswith("custom.")]
    if not custom_cols:
        return None
    names = [c[7:] for c in custom_cols]
    return [{k: json.loads(v) for k, v in zip(names, vals, strict=True) if v is not None}
            for vals in frame.select(custom_cols).iter_rows()]


def _insert(session: Session, actor: Actor, entity: str, frame: pl.DataFrame, batch_id: int,
            progress: Callable[[int], None]) -> None:
    if frame.height == 0:
        return
    model = MODELS[entity]
    now = utcnow()
    constants: dict[str, Any] = {"import_batch_id": batch_id}
    # Entity-specific derived columns first.
    if entity == "account" and "postal_code" in frame.columns:
        from_cp = frame["postal_code"].replace_strict(
            {v: province_from_postal_code(v) or None
             for v in frame["postal_code"].drop_nulls().unique().to_list()},
            default=None, return_dtype=pl.String)
        prov = frame["province"] if "province" in frame.columns else nulls(frame.height,
                                                                            pl.String)
        frame = frame.with_columns(prov.fill_null(from_cp).alias("province"))
    if entity == "opportunity":
        frame = _opportunity_columns(session, frame, now)
    cols: list[pl.Expr] = []
    for name in TEXT_COLUMNS[entity]:
        if name in frame.columns:
            cols.append(pl.col(name).fill_null(""))
    if "created_at" in frame.columns:
        cols.append(pl.col("created_at").fill_null(now))
    else:
        constants["created_at"] = now
    for name in ("owner_id", "team_id", "assigned_rule_id", "account_id"):
        if name in frame.columns:
            cols.append(pl.col(name))
    if entity == "lead" and "status" in frame.columns:
        cols.append(pl.col("status").fill_null(LeadStatus.NUEVO.value))
    if entity == "account":
        if "country" in frame.columns:
            cols.append(pl.col("country").fill_null("ES"))
        if "recargo_equivalencia" in frame.columns:
            cols.append(pl.col("recargo_equivalencia").fill_null(False))
    if entity == "opportunity":
        cols += [pl.col(c) for c in ("amount", "stage_id", "pipeline_id", "closed_at",
                                     "stage_entered_at", "expected_close")
                 if c in frame.columns]
    out = frame.select(cols)
    custom = _custom_dicts(frame)
    if custom is not None:
        out = out.with_columns(pl.Series("custom", custom, dtype=pl.Object))
    if "consent" in frame.columns:  # RGPD: the consent object built by ``validate.prepare``
        out = out.with_columns(pl.Series("consent", [json.loads(v) if v else {}
                                                     for v in frame["consent"].to_list()],
                                         dtype=pl.Object))
    writer.insert_rows(session=session, model=model, frame=out, constants=constants,
                       progress=progress)
    if entity == "opportunity":
        _stage_history(session, actor, frame, batch_id, now)


def _opportunity_columns(session: Session, frame: pl.DataFrame, now: datetime) -> pl.DataFrame:
    """Exact money, the stage's pipeline, the close date (won/lost only) and when the
    opportunity entered its current stage."""
    amounts = [_money(v) for v in frame["amount"].to_list()]
    pipeline_of = {st: p for p, stages in _stages_by_pipeline(session).items() for st in stages}
    frame = frame.with_columns(
        pl.Series("amount", amounts, dtype=pl.Object),
        pl.col("stage_id").replace_strict(pipeline_of, default=None,
                                          return_dtype=pl.Int64).alias("pipeline_id"),
    )
    created = (pl.col("created_at").fill_null(now) if "created_at" in frame.columns
               else pl.lit(now, dtype=pl.Datetime("us", "UTC")))
    closing_at = (pl.col("closed_at").fill_null(created) if "closed_at" in frame.columns
                  else created)
    frame = frame.with_columns(
        pl.when(pl.col("__closing")).then(closing_at).otherwise(None).alias("closed_at"))
    return frame.with_columns(pl.coalesce(pl.col("closed_at"), created).alias(
        "stage_entered_at"))


def _money(value: str | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _stages_by_pipeline(session: Session) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for st in session.execute(select(Stage).order_by(Stage.position, Stage.id)).scalars():
        out.setdefault(st.pipeline_id, []).append(st.id)
    return out


def _stage_history(session: Session, actor: Actor, frame: pl.DataFrame, batch_id: int,
                   now: datetime) -> None:
    """Stage history consistent with the imported state: created -> first open stage of the
    pipeline at ``created_at``; a won/lost opportunity then moves to its final stage at
    ``closed_at`` (one change straight to the final stage when it closed on creation day or
    the pipeline has no open stage)."""
    ids = [r[0] for r in session.execute(
        select(Opportunity.id).where(Opportunity.import_batch_id == batch_id)
        .order_by(Opportunity.id)).all()]
    stages = {st.id: st for st in session.execute(select(Stage)).scalars()}
    first_open: dict[int, int] = {}
    for st in sorted(stages.values(), key=lambda s: (s.position, s.id)):
        if st.kind == StageKind.OPEN:
            first_open.setdefault(st.pipeline_id, st.id)
    created = frame["created_at"].to_list() if "created_at" in frame.columns else [None] * len(
        ids)
    rows: dict[str, list[Any]] = {k: [] for k in ("opportunity_id", "from_stage_id",
                                                 "to_stage_id", "changed_at", "owner_id",
                                                 "team_id")}

    def add(opp: int, frm: int | None, to: int, at: datetime, owner: int | None,
            team: int | None) -> None:
        rows["opportunity_id"].append(opp)
        rows["from_stage_id"].append(frm)
        rows["to_stage_id"].append(to)
        rows["changed_at"].append(at)
        rows["owner_id"].append(owner)
        rows["team_id"].append(team)

    for opp, stage_id, closed_at, created_at, owner, team in zip(
            ids, frame["stage_id"].to_list(), frame["closed_at"].to_list(), created,
            frame["owner_id"].to_list(), frame["team_id"].to_list(), strict=True):
        start = created_at or now
        st = stages[stage_id]
        opener = first_open.get(st.pipeline_id)
        if st.kind != StageKind.OPEN and opener is not None and closed_at is not None \
                and closed_at > start:
            add(opp, None, opener, start, owner, team)
            add(opp, opener, stage_id, closed_at, owner, team)
        else:
            add(opp, None, stage_id, closed_at if st.kind != StageKind.OPEN and closed_at
                else start, owner, team)
    history = pl.DataFrame({
        "opportunity_id": pl.Series(rows["opportunity_id"], dtype=pl.Int64),
        "from_stage_id": pl.Series(rows["from_stage_id"], dtype=pl.Int64),
        "to_stage_id": pl.Series(rows["to_stage_id"], dtype=pl.Int64),
        "changed_at": pl.Series(rows["changed_at"], dtype=pl.Datetime("us", "UTC")),
        "owner_id": pl.Series(rows["owner_id"], dtype=pl.Int64),
        "team_id": pl.Series(rows["team_id"], dtype=pl.Int64),
    })
    writer.insert_rows(session=session, model=StageChange, frame=history,
                       constants={"changed_by_id": actor.id})


# --- updates and undo ------------------------------------------------------------------------


def _apply_updates(session: Session, actor: Actor, entity: str,
                   updates: list[tuple[int, dict[str, Any]]], mapping: Mapping,
                   lookups: Lookups) -> dict[str, dict[str, Any]]:
    """Write non-blank mapped fields over the existing records; return their old values."""
    model = MODELS[entity]
    allowed = set(UPDATABLE[entity])
    owner_allowed = actor.role != Role.COMERCIAL and "owner" in mapping.columns.values()
    teams = {uid: team for uid, team, _ in lookups.users_by_email.values()}
    ids = [i for i, _ in updates]
    current: dict[int, Any] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for rec in session.execute(select(model).where(model.id.in_(chunk))).scalars():
            current[rec.id] = rec
    previous: dict[str, dict[str, Any]] = {}
    changes: list[dict[str, Any]] = []
    now = utcnow()
    for rec_id, row in updates:
        rec = current.get(rec_id)
        if rec is None:
            continue
        new: dict[str, Any] = {}
        for name, value in row.items():
            if name in allowed and value is not None and value != "":
                new[name] = value
        if getattr(rec, "status", None) == LeadStatus.CONVERTIDO:
            new.pop("status", None)  # a converted lead keeps its state
        custom = {k[7:]: json.loads(v) for k, v in row.items()
                  if k.startswith("custom.") and v is not None}
        if custom:
            new["custom"] = {**(rec.custom or {}), **custom}
        if row.get("consent"):
            new["consent"] = {**(rec.consent or {}), **json.loads(row["consent"])}
        if owner_allowed and row.get("owner_id") is not None:
            new["owner_id"] = row["owner_id"]
            new["team_id"] = teams.get(row["owner_id"])
        changed = {k: v for k, v in new.items() if getattr(rec, k) != v}
        if not changed:
            continue
        previous[str(rec_id)] = {k: writer.to_json(getattr(rec, k)) for k in changed}
        previous[str(rec_id)]["updated_at"] = writer.to_json(rec.updated_at)
        changes.append({"id": rec_id, **changed, "updated_at": now})
    writer.update_rows(session=session, model=model, changes=changes)
    for rec in current.values():
        session.expire(rec)
    return previous


def _restore(session: Session, model: type[SQLModel], previous: dict[str, dict]) -> int:
    changes = []
    for rec_id, values in previous.items():
        changes.append({"id": int(rec_id),
                        **{k: writer.from_json(model, k, v) for k, v in values.items()}})
    writer.update_rows(session=session, model=model, changes=changes)
    return len(changes)


__all__ = ["MODELS", "POLICIES", "ImportResult", "batch_rejected_csv", "import_file",
           "list_batches", "rejected_csv_bytes", "rejected_rows", "undo_batch"]
