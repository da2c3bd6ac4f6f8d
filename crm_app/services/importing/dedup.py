"""Duplicates: same email (trimmed, case-insensitive), NIF or phone (E.164), within the file
(the first occurrence wins) or against records already in the database.

Which tables a row is compared with:

- leads: leads, contacts and accounts (a lead for someone who is already a customer is a
  duplicate too);
- accounts: accounts; contacts: contacts; opportunities: none (no natural key).

Keys are checked in the order email, NIF, phone; a row reports its first match, a match in the
database before one in the file, a same-entity record before another entity. A record outside
the actor's scope is reported without its id (``existing_id: None``), as the duplicate
warning of the lead form does, so an import does not leak other people's records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlmodel import Session

from crm_app.permissions import scope_of
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.importing.reader import ROW

KEYS = ("email", "nif", "phone")
TARGETS = {
    "lead": ("lead", "contact", "account"),
    "account": ("account",),
    "contact": ("contact",),
    "opportunity": (),
}
_SCHEMA = {"key": pl.String, "existing_id": pl.Int64, "existing_entity": pl.String,
           "visible": pl.Boolean, "__prio": pl.Int64}


@dataclass
class Existing:
    """Existing key values per field: ``key, existing_id, existing_entity, visible``."""

    by_field: dict[str, pl.DataFrame]


@needs_actor
def load_existing(*, session: Session, actor: Actor, entity: str,
                  wanted: dict[str, pl.Series]) -> Existing:
    """Existing records (not deleted) whose email/NIF/phone appear in the file.

    The file's distinct values go into a temporary table and the database joins them with
    each target table (indexes on nif/phone), so only the matches travel back."""
    out: dict[str, pl.DataFrame] = {}
    targets = TARGETS[entity]
    wanted = {f: v.drop_nulls().unique() for f, v in wanted.items()}
    wanted = {f: v for f, v in wanted.items() if len(v)}
    if not targets or not wanted:
        return Existing(by_field=out)
    conn = session.connection()
    present = sum(conn.exec_driver_sql(
        f"SELECT count(*) FROM {t} WHERE deleted_at IS NULL").scalar_one()  # noqa: S608
        for t in targets)
    if present == 0:
        return Existing(by_field=out)
    file_values = sum(len(v) for v in wanted.values())
    if present * len(targets) < file_values:
        return _load_all(conn, actor, targets, wanted)
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql("CREATE TEMPORARY TABLE IF NOT EXISTS import_keys_tmp "
                         "(fld VARCHAR(10), k VARCHAR(254))")
    conn.exec_driver_sql("DELETE FROM import_keys_tmp")
    for fld, values in wanted.items():
        conn.exec_driver_sql(f"INSERT INTO import_keys_tmp (fld, k) VALUES ('{fld}', {mark})",
                             [(v,) for v in values.to_list()])
    scope = scope_of(actor)
    try:
        for fld in wanted:
            parts = []
            for prio, table in enumerate(targets):
                col = "lower(trim(x.email))" if fld == "email" else f"x.{fld}"
                sql = (f"SELECT t.k, x.id, x.owner_id, x.team_id FROM import_keys_tmp t "  # noqa: S608
                       f"JOIN {table} x ON {col} = t.k "
                       f"WHERE t.fld = '{fld}' AND x.deleted_at IS NULL")
                rows = conn.exec_driver_sql(sql).fetchall()
                if not rows:
                    continue
                parts.append(_matches(rows, table, prio, scope, actor))
            if parts:
                out[fld] = _first_per_key(parts)
    finally:
        conn.exec_driver_sql("DELETE FROM import_keys_tmp")
    return Existing(by_field=out)


def _load_all(conn: Any, actor: Actor, targets: tuple[str, ...],
              wanted: dict[str, pl.Series]) -> Existing:
    """Few existing records: read their keys and match in memory (no temp table)."""
    out: dict[str, pl.DataFrame] = {}
    scope = scope_of(actor)
    for fld, values in wanted.items():
        parts = []
        for prio, table in enumerate(targets):
            col = "lower(trim(email))" if fld == "email" else fld
            rows = conn.exec_driver_sql(
                f"SELECT {col}, id, owner_id, team_id FROM {table} "  # noqa: S608
                f"WHERE deleted_at IS NULL AND {fld} != ''").fetchall()
            if rows:
                parts.append(_matches(rows, table, prio, scope, actor))
        if parts:
            found = _first_per_key(parts)
            out[fld] = found.filter(pl.col("key").is_in(values.implode()))
    return Existing(by_field=out)


def _matches(rows: list, table: str, prio: int, scope: str, actor: Actor) -> pl.DataFrame:
    key, ids, owners, teams = (list(x) for x in zip(*rows, strict=True))
    if scope == "company":
        visible = [True] * len(ids)
    elif scope == "team" and actor.team_id is not None:
        visible = [o == actor.id or t == actor.team_id for o, t in zip(owners, teams,
                                                                        strict=True)]
    else:
        visible = [o == actor.id for o in owners]
    return pl.DataFrame({"key": key, "existing_id": ids, "existing_entity": [table] * len(ids),
                         "visible": visible, "__prio": [prio] * len(ids)}, schema=_SCHEMA)


def _first_per_key(parts: list[pl.DataFrame]) -> pl.DataFrame:
    frame = pl.concat(parts).sort(["key", "__prio", "existing_id"])
    return frame.unique(subset=["key"], keep="first", maintain_order=True)


def find_duplicates(frame: pl.DataFrame, existing: Existing, fields: list[str],
                    policy: str = "skip") -> pl.DataFrame:
    """One row per duplicate row of ``frame`` (the valid rows, in file order):
    ``__row, field, existing_id, existing_entity, visible, first_row``.

    Database matches are joins. In the file, "the first occurrence wins" means: a row is a
    duplicate when a key of it was already taken by an earlier row that is imported (so a
    row skipped as a duplicate does not make later rows duplicates through its other keys).
    Only rows whose keys repeat in the file can be involved, so that walk is short."""
    keys = [k for k in KEYS if k in fields]
    schema = {ROW: pl.Int64, "field": pl.String, "existing_id": pl.Int64,
              "existing_entity": pl.String, "visible": pl.Boolean, "first_row": pl.Int64}
    if not keys or frame.height == 0:
        return pl.DataFrame(schema=schema)
    db_parts: list[pl.DataFrame] = []
    for rank, key in enumerate(keys):
        db = existing.by_field.get(key)
        if db is None:
            continue
        sub = frame.select(ROW, pl.col(key).alias("key")).filter(pl.col("key").is_not_null())
        db_parts.append(sub.join(db, on="key", how="inner").select(
            ROW, pl.lit(key).alias("field"), "existing_id", "existing_entity", "visible",
            pl.lit(None, dtype=pl.Int64).alias("first_row"), pl.lit(rank).alias("__rank")))
    in_db = (pl.concat(db_parts).sort([ROW, "__rank"]).unique(subset=[ROW], keep="first",
                                                                maintain_order=True)
             .drop("__rank") if db_parts else pl.DataFrame(schema=schema))
    db_rows = set(in_db[ROW].to_list())
    repeated = pl.any_horizontal([pl.col(k).is_not_null() & pl.col(k).is_duplicated()
                                  for k in keys])
    walk = frame.filter(repeated).select(ROW, *keys)
    claimed: dict[str, dict[str, int]] = {k: {} for k in keys}
    file_dups: list[tuple[int, str, int]] = []
    for row, *vals in walk.iter_rows():
        hit = next(((k, claimed[k][v]) for k, v in zip(keys, vals, strict=True)
                    if v is not None and v in claimed[k]), None)
        if hit is not None:
            file_dups.append((row, hit[0], hit[1]))
            if policy != "create":
                continue
        elif row in db_rows and policy == "skip":
            continue
        for k, v in zip(keys, vals, strict=True):
            if v is not None:
                claimed[k].setdefault(v, row)
    in_file = pl.DataFrame(
        {ROW: [r for r, _, _ in file_dups], "field": [f for _, f, _ in file_dups],
         "existing_id": [None] * len(file_dups), "existing_entity": [None] * len(file_dups),
         "visible": [True] * len(file_dups), "first_row": [w for _, _, w in file_dups]},
        schema=schema).filter(~pl.col(ROW).is_in(list(db_rows)))
    return pl.concat([in_db, in_file]).sort(ROW)


__all__ = ["KEYS", "TARGETS", "Existing", "find_duplicates", "load_existing"]
