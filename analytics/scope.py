"""Who is looking (``Scope``) and how the data is cut (``Filters``), as SQL conditions.

A ``Scope`` is decided on the server from the user (``crm_app.services.analytics.scope_for``);
the KPI functions only apply it. Filters narrow a scope and can never widen it: every condition
is ANDed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

ScopeKind = Literal["company", "team", "own"]


@dataclass(frozen=True)
class Scope:
    """The rows a KPI may read: the whole company, one team, or one user's own records."""

    kind: ScopeKind = "company"
    team_id: int | None = None
    user_id: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("company", "team", "own"):
            raise ValueError(f"unknown scope kind {self.kind!r}")
        if self.kind == "team" and self.team_id is None:
            raise ValueError("a team scope needs team_id")
        if self.kind == "own" and self.user_id is None:
            raise ValueError("an own scope needs user_id")

    @classmethod
    def company(cls) -> Scope:
        return cls("company")

    @classmethod
    def team(cls, team_id: int) -> Scope:
        return cls("team", team_id=team_id)

    @classmethod
    def own(cls, user_id: int) -> Scope:
        return cls("own", user_id=user_id)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "team_id": self.team_id, "user_id": self.user_id}


@dataclass(frozen=True)
class Filters:
    """Optional cuts, each an exact match: channel, product, owner, team, stage, province."""

    channel: str | None = None
    product_id: int | None = None
    owner_id: int | None = None
    team_id: int | None = None
    stage_id: int | None = None
    province: str | None = None

    def active(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) not in (None, "")}


NO_FILTERS = Filters()

# Which snapshot column answers each filter, per table. ``None``: the table cannot be cut that
# way and the filter is ignored for it (documented on each KPI).
_COLUMNS: dict[str, dict[str, str | None]] = {
    "opportunities": {"channel": "channel", "product_id": "product_id", "owner_id": "owner_id",
                      "team_id": "team_id", "stage_id": "stage_id", "province": "province"},
    # the stays carry only the scope columns; ``kpis._stays`` cuts by the opportunity's others
    "stage_history": {"channel": None, "product_id": None, "owner_id": "owner_id",
                      "team_id": "team_id", "stage_id": None, "province": None},
    "quotes": {"channel": "channel", "product_id": "product_id", "owner_id": "owner_id",
               "team_id": "team_id", "stage_id": "cur_stage_id", "province": "province"},
    "activities": {"channel": "channel", "product_id": "product_id", "owner_id": "owner_id",
                   "team_id": "team_id", "stage_id": "cur_stage_id", "province": "province"},
    "leads": {"channel": "channel", "product_id": None, "owner_id": "owner_id",
              "team_id": "team_id", "stage_id": None, "province": "province"},
}


def where(table: str, scope: Scope, filters: Filters | None = None,
          alias: str = "") -> tuple[list[str], list[Any]]:
    """SQL conditions (with ``?`` parameters) limiting ``table`` to ``scope`` and ``filters``."""
    prefix = f"{alias}." if alias else ""
    conds: list[str] = []
    params: list[Any] = []
    if scope.kind == "team":
        conds.append(f"{prefix}team_id = ?")
        params.append(scope.team_id)
    elif scope.kind == "own":
        conds.append(f"{prefix}owner_id = ?")
        params.append(scope.user_id)
    columns = _COLUMNS[table]
    for name, value in (filters or NO_FILTERS).active().items():
        column = columns.get(name)
        if column is None:
            continue
        conds.append(f"{prefix}{column} = ?")
        params.append(value)
    return conds, params
