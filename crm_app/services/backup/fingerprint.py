"""What a backup promises to hold: per-table row counts and content checksums, file digests.

The table checksum is computed the same way on SQLite and PostgreSQL, so a manifest written
from one database can be checked against any copy of it:

- every value is first brought to one canonical text form (``canonical``): aware datetimes
  to naive UTC, ``Decimal`` without trailing zeros (SQLite hands back ``10.00`` or ``10`` for
  the same NUMERIC), JSON with sorted keys, bytes as hex;
- a row is the JSON array of its canonical values in column-name order;
- the table checksum is the sum of the rows' SHA-256 digests modulo 2^256, an order-free
  multiset hash: no ``ORDER BY`` (whose collation differs between backends), constant memory
  for any table size, and a changed, missing or extra row changes it.

Values are read through SQLAlchemy with the types reflected from the database itself, so a
table that is not (or no longer) in the models is covered too. JSON columns are read as text
and re-serialised with sorted keys: read as JSON, an SQL NULL and a JSON ``null`` would both
come back as ``None`` and a change between them would go unseen.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import (
    JSON,
    Boolean,
    Integer,
    MetaData,
    String,
    Text,
    cast,
    func,
    select,
)
from sqlalchemy.engine import Connection

_MOD = 2**256
_CHUNK = 1 << 20


@dataclass(frozen=True)
class TableFingerprint:
    rows: int
    checksum: str

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "checksum": self.checksum}


def canonical(value: Any) -> Any:
    """One backend-independent JSON value for a column value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "0") else text
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b16encode(bytes(value)).decode()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return str(value)


_TRIVIAL_JSON = frozenset({"{}", "[]", "null", "true", "false", '""'})


def canonical_json(text: str | None) -> str | None:
    """A JSON column's text with sorted keys and no spaces; SQL NULL stays None."""
    if text is None:
        return None
    if text in _TRIVIAL_JSON:  # most custom-field columns: no need to parse
        return text
    try:
        return json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False,
                          separators=(",", ":"))
    except ValueError:
        return text


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# Column types whose values the drivers already hand back in canonical form (str, int, bool).
_PLAIN_TYPES = (String, Integer, Boolean)


def row_digest(values: list[Any]) -> int:
    """The SHA-256 of one row whose values are already canonical, as an integer."""
    return int.from_bytes(hashlib.sha256(_ENCODE(values).encode()).digest(), "big")


def _converter(column: Any) -> Callable[[Any], Any] | None:
    """How to make a column's values canonical; None for those that already are."""
    if isinstance(column.type, JSON):
        return canonical_json
    if isinstance(column.type, _PLAIN_TYPES):
        return None
    return canonical


def table_fingerprints(conn: Connection) -> dict[str, TableFingerprint]:
    """Row count and checksum of every table of the connection's default schema, by name.

    Read inside the caller's transaction, so a caller holding a snapshot (SQLite copy,
    PostgreSQL exported snapshot) gets the fingerprints of exactly that snapshot.
    """
    meta = MetaData()
    meta.reflect(bind=conn)
    result: dict[str, TableFingerprint] = {}
    for name in sorted(meta.tables):
        table = meta.tables[name]
        columns = sorted(table.columns, key=lambda c: c.name)
        exprs = [cast(c, Text) if isinstance(c.type, JSON) else c for c in columns]
        convert = [(i, f) for i, f in enumerate(map(_converter, columns)) if f is not None]
        total = count = 0
        rows = conn.execution_options(stream_results=True, yield_per=2000).execute(
            select(*exprs))
        for row in rows:
            values = list(row)
            for i, f in convert:
                if values[i] is not None:
                    values[i] = f(values[i])
            total += row_digest(values)
            count += 1
        total %= _MOD
        result[name] = TableFingerprint(count, f"{total:064x}")
    return result


def data_rows(conn: Connection) -> int:
    """Rows in every table but Alembic's bookkeeping: what a restore would overwrite."""
    meta = MetaData()
    meta.reflect(bind=conn)
    return sum(conn.execute(select(func.count()).select_from(table)).scalar_one()
               for name, table in meta.tables.items() if name != "alembic_version")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class HashingReader:
    """A read-only file wrapper that hashes what passes through (tar members in and out)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._digest = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self._digest.update(data)
        self.size += len(data)
        return data

    def hexdigest(self) -> str:
        return self._digest.hexdigest()
