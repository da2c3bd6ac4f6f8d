"""Column types and mixins shared by every table.

Times are stored as naive UTC and handed back as aware UTC, so SQLite and PostgreSQL behave
the same; money is ``Decimal`` in exact ``NUMERIC`` columns.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Numeric
from sqlalchemy import exc as sa_exc
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# SQLite stores NUMERIC as REAL; SQLAlchemy quantizes it back to the column's scale, which is
# exact for the 14-digit amounts we allow. The warning would otherwise fire on every query.
warnings.filterwarnings("ignore", category=sa_exc.SAWarning, message=".*Decimal objects natively.*")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store times as aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def Money(default: Decimal | None = Decimal("0"), **kw: Any) -> Any:  # noqa: N802
    """An exact money column: 14 digits, 2 decimals."""
    return Field(default=default, sa_type=Numeric(14, 2), **kw)


def Rate(default: Decimal | None = Decimal("0"), **kw: Any) -> Any:  # noqa: N802
    """A percentage such as 21.00 or 5.20."""
    return Field(default=default, sa_type=Numeric(5, 2), **kw)


def Timestamp(nullable: bool = True, index: bool = False, **kw: Any) -> Any:  # noqa: N802
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, index=index, **kw)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, index=index, nullable=False, **kw)


def JSONField(factory: Any = dict) -> Any:  # noqa: N802
    return Field(default_factory=factory, sa_type=JSON)


class Owned(SQLModel):
    """Every owned record carries its owner and team: restrict() scopes on these two columns."""

    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)


class Timestamps(SQLModel):
    created_at: datetime = Timestamp(nullable=False, index=True)
    updated_at: datetime | None = Timestamp()


class SoftDelete(SQLModel):
    """Recycle bin: a deleted record keeps its row until purged, so it can be restored."""

    deleted_at: datetime | None = Timestamp(index=True)
