"""Lead assignment rules: ordered rules, conditions on any lead or custom field, four actions.

The ``Assigner`` is built once per batch (a form save, an API call, a 100,000-row import) and
then assigns plain dicts in memory: rules are compiled to closures with pre-folded values, and
round-robin cursors and open-lead loads are updated as it goes, so a whole import is assigned
in well under a second. ``persist`` writes the cursors back in the caller's transaction.

A rule matches when **all** its conditions hold (no conditions = always). Its action then picks
an owner among *eligible* users (active and available); if it finds nobody the next rule is
tried; when no rule assigns, the organisation's fallback owner (if active) gets the lead, and
when there is none the lead stays unassigned. The owner's team becomes the lead's team.

Condition: ``{"field": "province", "op": "eq", "value": "Madrid"}``. ``field`` is a Lead field
(``source``, ``province``, ``company``, ``created_at``…) or a custom field (``custom.sector`` or
just ``sector`` when it is not a Lead field). Ops: ``eq``, ``ne``, ``in``, ``not_in``,
``contains`` (text, or any of a list), ``between`` (``[lo, hi]`` numbers or ISO dates,
inclusive, either end may be null), ``province_in`` and ``region_in`` (autonomous communities),
``empty``, ``not_empty``. Text compares ignore case, accents and surrounding blanks. Every op
but ``empty``/``not_empty`` needs a value (a blank one is a field error, never "matches blank").

Actions and their ``config``:
- ``fixed_user``: ``{"user_id": 7}``
- ``round_robin``: ``{"team_id": 2}`` or ``{"user_ids": [3, 5, 8]}``; optional ``"roles"``
  (e.g. ``["comercial"]``) restricts a team's members.
- ``least_loaded``: same candidates as round robin; the one with the fewest open leads (status
  nuevo/contactado/cualificado, not deleted) wins; ties go to the lowest id.
- ``territory``: ``{"territory": {"Madrid": 7, "Barcelona": 9}, "default_user_id": 3}``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, select

from crm_app.models import (
    AssignmentAction,
    AssignmentRule,
    Lead,
    LeadStatus,
    Organisation,
    User,
    utcnow,
)
from crm_app.models.bounds import id_in_range
from crm_app.permissions import Perm, require, restrict
from crm_app.services import audit
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.errors import ValidationFailed
from crm_app.services.records import add_record, get_existing
from crm_app.services.spain import (
    canonical_province,
    canonical_region,
    fold,
    province_key,
    provinces_of_region,
)

OPEN_STATUSES = (LeadStatus.NUEVO.value, LeadStatus.CONTACTADO.value,
                 LeadStatus.CUALIFICADO.value)
OPS = ("eq", "ne", "in", "not_in", "contains", "between", "province_in", "region_in", "empty",
       "not_empty")
ACTIONS = tuple(a.value for a in AssignmentAction)
LEAD_FIELDS = frozenset(Lead.model_fields) - {"custom"}
PROVINCE_FIELDS = frozenset({"province"})
# Actions whose pick depends on the leads assigned before (cursor, loads).
STATEFUL_ACTIONS = frozenset({AssignmentAction.ROUND_ROBIN.value,
                              AssignmentAction.LEAST_LOADED.value})

Result = tuple[int | None, int | None, int | None]


# --- value helpers -------------------------------------------------------------------------


def _getter(name: str) -> Callable[[dict], Any]:
    """A fast accessor for a Lead field or a custom field (``custom.key`` or bare ``key``)."""
    if name.startswith("custom.") or name not in LEAD_FIELDS:
        key = name[7:] if name.startswith("custom.") else name

        def get_custom(lead: dict) -> Any:
            if key in lead and not name.startswith("custom."):
                return lead[key]
            custom = lead.get("custom")
            return custom.get(key) if custom else None

        return get_custom
    return lambda lead: lead.get(name)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return fold(str(value))


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    if "," in text:  # Spanish 1.234,56
        text = text.replace(".", "").replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    for fmt in ("%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    return None


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return list(value)
    if isinstance(value, str) and "," in value:
        return [v.strip() for v in value.split(",") if v.strip()]
    return [value]


def _key_fn(field_name: str) -> Callable[[Any], str]:
    return province_key if field_name in PROVINCE_FIELDS else _text


# --- compiling conditions ------------------------------------------------------------------


def _between(get: Callable[[dict], Any], parse: Callable[[Any], Any], lo: Any,
             hi: Any) -> Callable[[dict], bool]:
    """The ``between`` test: the lead's value, read by ``parse`` (numbers or dates, the same
    as the bounds), is within ``lo``..``hi`` (either may be open); unreadable is outside."""
    def test(lead: dict) -> bool:
        value = parse(get(lead))
        if value is None:
            return False
        return (lo is None or value >= lo) and (hi is None or value <= hi)

    return test


def _compile_condition(cond: dict) -> Callable[[dict], bool]:
    name = str(cond.get("field") or "")
    op = cond.get("op")
    value = cond.get("value")
    key = _key_fn(name)
    get = _getter(name or "province")

    if op in ("eq", "ne", "in", "not_in"):
        wanted = _as_list(value) if op in ("in", "not_in") else [value]
        texts = {key(v) for v in wanted}
        numbers = {n for n in (_number(v) for v in wanted) if n is not None}

        def member(lead: dict) -> bool:
            got = get(lead)
            if numbers and not isinstance(got, str):
                n = _number(got)
                if n is not None and n in numbers:
                    return True
            return key(got) in texts

        if op in ("eq", "in"):
            return member
        return lambda lead: not member(lead)

    if op == "contains":
        needles = [_text(v) for v in _as_list(value) if _text(v)]
        return lambda lead: any(n in _text(get(lead)) for n in needles)

    if op == "between":
        bounds = [*value, None, None] if isinstance(value, (list, tuple)) else [None, None]
        lo, hi = bounds[0], bounds[1]
        lo_n, hi_n = _number(lo), _number(hi)
        numeric = (lo is None or lo == "" or lo_n is not None) and (
            hi is None or hi == "" or hi_n is not None) and not (
            _is_dateish(lo) or _is_dateish(hi))
        if numeric:
            return _between(get, _number, lo_n, hi_n)
        return _between(get, _date, _date(lo), _date(hi))

    if op == "province_in":
        provs = {province_key(v) for v in _as_list(value)}
        return lambda lead: province_key(get(lead)) in provs

    if op == "region_in":
        provs = {province_key(p) for r in _as_list(value) for p in provinces_of_region(str(r))}
        return lambda lead: province_key(get(lead)) in provs

    if op == "empty":
        return lambda lead: _text(get(lead)) == ""
    if op == "not_empty":
        return lambda lead: _text(get(lead)) != ""
    raise ValueError(f"operador desconocido: {op}")


def _is_dateish(value: Any) -> bool:
    if isinstance(value, (date, datetime)):
        return True
    return isinstance(value, str) and len(value) >= 8 and ("-" in value[1:] or "/" in value)


# --- the assigner ----------------------------------------------------------------------------


@dataclass
class _UserInfo:
    id: int
    team_id: int | None
    role: str
    eligible: bool  # active and available


@dataclass
class _Rule:
    index: int
    id: int | None
    name: str
    action: str
    conditions: list[Callable[[dict], bool]]
    candidates: list[int] = field(default_factory=list)  # round robin / least loaded
    user_id: int | None = None  # fixed user
    territory: dict[str, int] = field(default_factory=dict)
    default_user_id: int | None = None
    cursor: int = 0
    start_cursor: int = 0


class Assigner:
    """Assign lead dicts by the ordered rules; build with ``load`` (saved rules) or
    ``from_rules`` (a draft rule set, for the simulator).

    Stable attributes callers may read (the importer memoises stateless answers with them):
    ``loads`` (open leads per user id, advanced by ``assign``; only filled when a
    least-loaded rule exists), ``last_rule_index`` (index in ``rules`` of the rule that
    assigned the last lead, ``None`` for the fallback/nobody) and ``rules[i].action``.
    """

    def __init__(self, *, rules: Iterable[dict | AssignmentRule], users: Iterable[Any],
                 loads: dict[int, int], fallback_owner_id: int | None) -> None:
        users = list(users)
        self.users: dict[int, _UserInfo] = {
            u.id: _UserInfo(u.id, u.team_id, str(u.role), bool(u.active and u.available))
            for u in users
        }
        self.loads: dict[int, int] = {uid: loads.get(uid, 0) for uid in self.users}
        # The fallback is the last resort: it only needs to be an active user.
        active_ids = {u.id for u in users if u.active}
        self.fallback_owner_id = fallback_owner_id if fallback_owner_id in active_ids else None
        self.rules: list[_Rule] = [self._compile(i, r) for i, r in enumerate(rules)]
        self.last_rule_index: int | None = None

    # construction -----------------------------------------------------------------------

    @classmethod
    def load(cls, *, session: Session) -> Assigner:
        """The saved, active rules (by position), users, open-lead loads, the fallback owner."""
        rules = session.exec(select(AssignmentRule).where(AssignmentRule.active == True)  # noqa: E712
                             .order_by(AssignmentRule.position, AssignmentRule.id)).all()
        # Loads cost a GROUP BY over the open leads: only least-loaded rules need them.
        needs_loads = any(r.action == AssignmentAction.LEAST_LOADED for r in rules)
        return cls(rules=rules, users=session.exec(select(User)).all(),
                   loads=open_loads(session=session) if needs_loads else {},
                   fallback_owner_id=fallback_owner_id(session=session))

    @classmethod
    def from_rules(cls, *, session: Session, rules: list[dict],
                   loads: dict[int, int] | None = None) -> Assigner:
        """A draft rule set (dicts, not saved); inactive drafts (``active: False``) are skipped."""
        active = [r for r in rules if r.get("active", True)]
        return cls(rules=active, users=session.exec(select(User)).all(),
                   loads=open_loads(session=session) if loads is None else loads,
                   fallback_owner_id=fallback_owner_id(session=session))

    def _compile(self, index: int, rule: dict | AssignmentRule) -> _Rule:
        data = rule if isinstance(rule, dict) else rule.model_dump()
        config = data.get("config") or {}
        action = str(data.get("action") or "")
        compiled = _Rule(index=index, id=data.get("id"), name=str(data.get("name") or ""),
                         action=action,
                         conditions=[_compile_condition(c) for c in data.get("conditions") or []],
                         cursor=int(data.get("cursor") or 0))
        compiled.start_cursor = compiled.cursor
        if action == AssignmentAction.FIXED_USER:
            compiled.user_id = _int(config.get("user_id"))
        elif action in (AssignmentAction.ROUND_ROBIN, AssignmentAction.LEAST_LOADED):
            compiled.candidates = self._candidates(config)
        elif action == AssignmentAction.TERRITORY:
            compiled.territory = {province_key(k): v for k, v in
                                  ((k, _int(v)) for k, v in (config.get("territory") or {}).items())
                                  if v is not None}
            compiled.default_user_id = _int(config.get("default_user_id"))
        return compiled

    def _candidates(self, config: dict) -> list[int]:
        if config.get("user_ids"):
            ids = [_int(u) for u in config["user_ids"]]
            return [u for u in dict.fromkeys(ids) if u is not None and u in self.users]
        team_id = _int(config.get("team_id"))
        roles = set(config.get("roles") or [])
        if team_id is None:
            return []
        return sorted(u.id for u in self.users.values()
                      if u.team_id == team_id and (not roles or u.role in roles))

    # assigning ----------------------------------------------------------------------------

    def _ok(self, user_id: int | None) -> bool:
        info = self.users.get(user_id) if user_id is not None else None
        return info is not None and info.eligible

    def _pick(self, rule: _Rule, lead: dict) -> int | None:
        action = rule.action
        if action == AssignmentAction.FIXED_USER:
            return rule.user_id if self._ok(rule.user_id) else None
        if action == AssignmentAction.ROUND_ROBIN:
            cands = rule.candidates
            n = len(cands)
            for step in range(n):
                pos = (rule.cursor + step) % n
                if self._ok(cands[pos]):
                    rule.cursor = (pos + 1) % n
                    return cands[pos]
            return None
        if action == AssignmentAction.LEAST_LOADED:
            best, best_load = None, None
            loads = self.loads
            for uid in rule.candidates:
                if self._ok(uid):
                    load = loads.get(uid, 0)
                    if best_load is None or load < best_load:
                        best, best_load = uid, load
            return best
        if action == AssignmentAction.TERRITORY:
            uid = rule.territory.get(province_key(lead.get("province")))
            if self._ok(uid):
                return uid
            return rule.default_user_id if self._ok(rule.default_user_id) else None
        return None

    def route(self, lead: dict) -> tuple[int | None, int | None]:
        """``(rule index, owner)`` that ``assign`` reaches for ``lead``, changing nothing.

        The winning rule depends only on the lead's values and on who is eligible, which does
        not change within a batch; so does the owner of a fixed-user or territory rule and the
        fallback owner. Round robin and least loaded depend on the leads before this one: for
        them the owner is ``None`` and ``take`` picks it. A batch routes each distinct set of
        condition values once and then only ``take``s per lead (the importer does that).
        """
        for rule in self.rules:
            if not all(cond(lead) for cond in rule.conditions):
                continue
            if rule.action in STATEFUL_ACTIONS:
                if any(self._ok(uid) for uid in rule.candidates):
                    return rule.index, None
                continue
            owner = self._pick(rule, lead)
            if owner is not None:
                return rule.index, owner
        return None, self.fallback_owner_id

    def take(self, rule_index: int | None, owner: int | None, status: str | None) -> Result:
        """Finish a ``route``: pick the owner of a round-robin or least-loaded rule (moving
        its cursor), count the lead in its owner's open load, return
        ``(owner_id, team_id, rule_id)``."""
        rule = self.rules[rule_index] if rule_index is not None else None
        if owner is None and rule is not None:
            owner = self._pick(rule, {})
        self.last_rule_index = rule_index
        if owner is None:
            return None, None, None
        if (status or LeadStatus.NUEVO) in OPEN_STATUSES:
            self.loads[owner] = self.loads.get(owner, 0) + 1
        info = self.users.get(owner)
        return owner, info.team_id if info else None, rule.id if rule is not None else None

    def take_all(self, routes: Iterable[tuple[int | None, int | None]],
                 statuses: Iterable[str | None]) -> tuple[list, list, list]:
        """``take`` for many leads in order (an import): the same picks, cursors and loads,
        as one tight loop. Returns the lists of owner ids, team ids and rule ids."""
        pickers = [self._picker(rule) for rule in self.rules]
        loads = self.loads
        open_statuses = frozenset(OPEN_STATUSES)
        default_status = LeadStatus.NUEVO.value
        owners: list[int | None] = []
        rule_idx: list[int | None] = []
        add_owner, add_rule = owners.append, rule_idx.append
        for (index, owner), status in zip(routes, statuses, strict=True):
            if owner is None and index is not None:
                owner = pickers[index]()
            if owner is None:
                add_rule(None)
            else:
                if (status or default_status) in open_statuses:
                    loads[owner] = loads.get(owner, 0) + 1
                add_rule(index)
            add_owner(owner)
        teams = {uid: info.team_id for uid, info in self.users.items()}
        ids = [r.id for r in self.rules]
        return (owners, [teams.get(o) if o is not None else None for o in owners],
                [ids[i] if i is not None else None for i in rule_idx])

    def _picker(self, rule: _Rule) -> Callable[[], int | None]:
        """``_pick`` for a round-robin or least-loaded rule as a closure over who is eligible
        (fixed for the batch); the others never need one (``route`` gave their owner)."""
        cands = rule.candidates
        ok = [self._ok(uid) for uid in cands]
        if rule.action == AssignmentAction.ROUND_ROBIN:
            n = len(cands)

            def round_robin() -> int | None:
                for step in range(n):
                    pos = (rule.cursor + step) % n
                    if ok[pos]:
                        rule.cursor = (pos + 1) % n
                        return cands[pos]
                return None

            return round_robin
        if rule.action == AssignmentAction.LEAST_LOADED:
            eligible = [uid for uid, good in zip(cands, ok, strict=True) if good]
            loads = self.loads

            def least_loaded() -> int | None:
                best, best_load = None, None
                for uid in eligible:  # the first of equals wins: candidate order breaks ties
                    load = loads.get(uid, 0)
                    if best_load is None or load < best_load:
                        best, best_load = uid, load
                return best

            return least_loaded
        return lambda: self._pick(rule, {})

    def assign(self, lead: dict) -> Result:
        """``(owner_id, team_id, rule_id)`` for one lead dict; ``rule_id`` is None for the
        fallback owner or when nobody was found. Updates cursors and loads in memory."""
        rule_index, owner = self.route(lead)
        return self.take(rule_index, owner, lead.get("status"))

    def persist(self, *, session: Session) -> None:
        """Write back the round-robin cursors that moved (no commit: caller's transaction)."""
        for rule in self.rules:
            if rule.id is not None and rule.cursor != rule.start_cursor:
                session.execute(update(AssignmentRule).where(AssignmentRule.id == rule.id)
                                .values(cursor=rule.cursor))
                rule.start_cursor = rule.cursor


def _int(value: Any) -> int | None:
    """An id from rule config; ``None`` when blank, not a number or out of any id's range."""
    try:
        number = int(value) if value is not None and value != "" else None
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number is not None and id_in_range(number) else None


def open_loads(*, session: Session) -> dict[int, int]:
    """Open (nuevo/contactado/cualificado), not deleted leads per owner."""
    stmt = (select(Lead.owner_id, func.count()).where(Lead.status.in_(OPEN_STATUSES))
            .where(Lead.deleted_at.is_(None)).where(Lead.owner_id.is_not(None))
            .group_by(Lead.owner_id))
    return {owner: int(n) for owner, n in session.exec(stmt).all()}


def fallback_owner_id(*, session: Session) -> int | None:
    org = session.exec(select(Organisation).order_by(Organisation.id)).first()
    return org.lead_fallback_owner_id if org else None


# --- rule validation and CRUD --------------------------------------------------------------

NO_VALUE_OPS = ("empty", "not_empty")
_MISSING_VALUE = {
    "in": "Indica al menos un valor.",
    "not_in": "Indica al menos un valor.",
    "province_in": "Indica al menos una provincia.",
    "region_in": "Indica al menos una comunidad autónoma.",
}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())



def clean_conditions(conditions: Any, *, prefix: str = "") -> tuple[list[dict], dict[str, str]]:
    """Check and clean a list of conditions (``{"field", "op", "value"}``): known op, a field,
    a value unless the op is ``empty``/``not_empty`` (a blank one is refused, never "matches
    blank"), known provinces and regions. Returns the clean list and the field errors keyed
    ``<prefix>conditions.<i>.<part>``. Automation rules (``services.automation``) use it too."""
    errors: dict[str, str] = {}
    if not isinstance(conditions, list):
        errors[prefix + "conditions"] = "Las condiciones deben ser una lista."
        conditions = []
    clean_conds = []
    for i, cond in enumerate(conditions):
        key = f"{prefix}conditions.{i}"
        if not isinstance(cond, dict):
            errors[key] = "Condición mal formada."
            continue
        op = cond.get("op")
        fld = str(cond.get("field") or "").strip()
        if op not in OPS:
            errors[key + ".op"] = f"Operador desconocido: {op}."
            continue
        if not fld and op not in ("province_in", "region_in"):
            errors[key + ".field"] = "Indica el campo de la condición."
            continue
        value = cond.get("value")
        if op == "between":
            if not isinstance(value, (list, tuple)) or len(value) != 2:
                errors[key + ".value"] = "Un rango necesita [mínimo, máximo]."
                continue
            value = [None if _blank(v) else v for v in value]
            if value == [None, None]:
                errors[key + ".value"] = "Indica el mínimo, el máximo o los dos."
                continue
        elif op not in NO_VALUE_OPS:
            # A blank value is not "matches blank" (that is «está vacío»): the editor's new
            # condition used to be saved as "Provincia es igual a" (nothing).
            filled = [v for v in _as_list(value) if not _blank(v)]
            if not filled:
                errors[key + ".value"] = _MISSING_VALUE.get(op, "Indica el valor de la "
                                                                "condición.")
                continue
            value = filled if isinstance(value, (list, tuple)) else value
        if op == "region_in":
            unknown = [r for r in _as_list(value) if not canonical_region(str(r))]
            if unknown:
                errors[key + ".value"] = "Comunidad autónoma desconocida: " + ", ".join(
                    map(str, unknown))
                continue
        if op == "province_in":
            unknown = [v for v in _as_list(value) if not canonical_province(str(v))]
            if unknown:
                errors[key + ".value"] = "Provincia desconocida: " + ", ".join(map(str, unknown))
                continue
        clean_conds.append({"field": fld or "province", "op": op, "value": value})
    return clean_conds, errors


def compile_condition(cond: dict) -> Callable[[dict], bool]:
    """A clean condition as a test over a record dict (custom fields read from ``custom``)."""
    return _compile_condition(cond)


def validate_rule(data: dict, *, session: Session, prefix: str = "") -> dict:
    """Check and clean one rule dict; raise ``ValidationFailed`` with Spanish messages."""
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors[prefix + "name"] = "Pon un nombre a la regla."
    action = str(data.get("action") or "")
    if action not in ACTIONS:
        errors[prefix + "action"] = ("Acción desconocida: usa usuario fijo, reparto rotatorio, "
                                     "menos cargado o territorio.")
    clean_conds, cond_errors = clean_conditions(data.get("conditions") or [], prefix=prefix)
    errors.update(cond_errors)
    config = data.get("config") or {}
    if not isinstance(config, dict):
        errors[prefix + "config"] = "Configuración mal formada."
        config = {}
    user_ids = {u.id for u in session.exec(select(User)).all()}
    if action == AssignmentAction.FIXED_USER and _int(config.get("user_id")) not in user_ids:
        errors[prefix + "config.user_id"] = "Elige el usuario que recibirá los leads."
    if action in (AssignmentAction.ROUND_ROBIN, AssignmentAction.LEAST_LOADED):
        ids = config.get("user_ids")
        if ids:
            bad = [u for u in ids if _int(u) not in user_ids]
            if bad:
                errors[prefix + "config.user_ids"] = "Hay usuarios que no existen."
        elif _int(config.get("team_id")) is None:
            errors[prefix + "config.team_id"] = "Elige un equipo o una lista de usuarios."
    if action == AssignmentAction.TERRITORY:
        territory = config.get("territory")
        if not isinstance(territory, dict) or not territory:
            errors[prefix + "config.territory"] = "Indica qué usuario lleva cada provincia."
        elif any(_int(v) not in user_ids for v in territory.values()):
            errors[prefix + "config.territory"] = "Hay usuarios que no existen en el territorio."
        elif any(not canonical_province(str(k)) for k in territory):
            unknown = [str(k) for k in territory if not canonical_province(str(k))]
            errors[prefix + "config.territory"] = "Provincia desconocida: " + ", ".join(unknown)
        dflt = config.get("default_user_id")
        if dflt not in (None, "") and _int(dflt) not in user_ids:
            errors[prefix + "config.default_user_id"] = "El usuario por defecto no existe."
    if errors:
        raise ValidationFailed(errors)
    return {"name": name[:120], "action": action, "conditions": clean_conds, "config": config,
            "active": bool(data.get("active", True))}


def rule_dict(rule: AssignmentRule) -> dict:
    return {"id": rule.id, "name": rule.name, "position": rule.position, "active": rule.active,
            "conditions": rule.conditions, "action": rule.action, "config": rule.config,
            "cursor": rule.cursor}


@needs_actor
def list_rules(*, session: Session, actor: Actor) -> list[AssignmentRule]:
    require(actor, Perm.RULES_MANAGE)
    return list(session.exec(select(AssignmentRule)
                             .order_by(AssignmentRule.position, AssignmentRule.id)).all())


@needs_actor
def get_rule(*, session: Session, actor: Actor, rule_id: int) -> AssignmentRule:
    require(actor, Perm.RULES_MANAGE)
    return get_existing(session=session, model=AssignmentRule, record_id=rule_id,
                        missing="Regla no encontrada.")


def _add_rule(session: Session, actor: Actor, clean: dict, position: int) -> AssignmentRule:
    return add_record(session=session, actor=actor, entity="assignment_rule", commit=False,
                      record=AssignmentRule(**clean, position=int(position)))


def _change_rule(session: Session, actor: Actor, rule: AssignmentRule, data: dict,
                 clean: dict) -> AssignmentRule:
    before = audit.snapshot(rule)
    for key, value in clean.items():
        setattr(rule, key, value)
    if data.get("position") is not None:
        rule.position = int(data["position"])
    if clean["action"] != before["action"] or clean["config"] != before["config"]:
        rule.cursor = 0
    rule.updated_at = _now()
    session.add(rule)
    old, new = audit.diff(before, audit.snapshot(rule))
    audit.record(session=session, actor=actor, entity="assignment_rule", entity_id=rule.id,
                 action="update", before=old, after=new)
    return rule


def _merged(rule: AssignmentRule, data: dict) -> dict:
    """A rule's stored fields with the given ones over them (``None`` = keep)."""
    return {**rule_dict(rule), **{k: v for k, v in data.items() if v is not None}}


def _remove_rule(session: Session, actor: Actor, rule: AssignmentRule) -> None:
    snap = audit.snapshot(rule)
    session.execute(update(Lead).where(Lead.assigned_rule_id == rule.id)
                    .values(assigned_rule_id=None))
    session.delete(rule)
    audit.record(session=session, actor=actor, entity="assignment_rule", entity_id=rule.id,
                 action="delete", before=snap)


@needs_actor
def create_rule(*, session: Session, actor: Actor, data: dict) -> AssignmentRule:
    require(actor, Perm.RULES_MANAGE)
    clean = validate_rule(data, session=session)
    position = data.get("position")
    if position is None:
        last = session.exec(select(func.max(AssignmentRule.position))).one()
        position = (last or 0) + 1 if last is not None else 0
    rule = _add_rule(session, actor, clean, int(position))
    session.commit()
    return rule


@needs_actor
def update_rule(*, session: Session, actor: Actor, rule_id: int, data: dict) -> AssignmentRule:
    rule = get_rule(session=session, actor=actor, rule_id=rule_id)
    clean = validate_rule(_merged(rule, data), session=session)
    _change_rule(session, actor, rule, data, clean)
    session.commit()
    return rule


@needs_actor
def delete_rule(*, session: Session, actor: Actor, rule_id: int) -> None:
    rule = get_rule(session=session, actor=actor, rule_id=rule_id)
    _remove_rule(session, actor, rule)
    session.commit()


@needs_actor
def save_rules(*, session: Session, actor: Actor, rules: list[dict],
               deleted: Iterable[int] = ()) -> list[AssignmentRule]:
    """Save an edited rule set in one commit (the settings screen's "Guardar reglas").

    ``rules`` in their new order, each with ``id`` to change a stored rule or without it to
    add one; ``deleted`` the ids removed. Every rule is validated before anything is written
    (errors keyed ``rules.<i>.<field>``, the place on screen); stored rules in neither list
    (added meanwhile by someone else) are kept, after these. Returns the rules in order.
    """
    require(actor, Perm.RULES_MANAGE)
    if not isinstance(rules, list):
        raise ValidationFailed({"rules": "Las reglas deben ser una lista."})
    stored = {r.id: r for r in list_rules(session=session, actor=actor)}
    gone = {_int(i) for i in deleted} - {None}
    errors: dict[str, str] = {}
    plan: list[tuple[AssignmentRule | None, dict, dict]] = []
    for i, data in enumerate(rules):
        data = data if isinstance(data, dict) else {}
        rule_id = _int(data.get("id"))
        rule = stored.get(rule_id) if rule_id is not None else None
        if rule_id is not None and (rule is None or rule_id in gone):
            errors[f"rules.{i}.id"] = "Esta regla ya no existe: descarta los cambios."
            continue
        try:
            clean = validate_rule(_merged(rule, data) if rule else data, session=session,
                                  prefix=f"rules.{i}.")
        except ValidationFailed as exc:
            errors.update(exc.errors)
            continue
        plan.append((rule, data, clean))
    if errors:
        raise ValidationFailed(errors)
    for rule_id in gone & set(stored):
        _remove_rule(session, actor, stored[rule_id])
    saved = []
    for position, (rule, data, clean) in enumerate(plan):
        if rule is None:
            saved.append(_add_rule(session, actor, clean, position))
        else:
            saved.append(_change_rule(session, actor, rule, {**data, "position": position},
                                      clean))
    listed = {r.id for r in saved}
    for position, rule in enumerate((r for r in stored.values()
                                     if r.id not in listed and r.id not in gone),
                                    start=len(saved)):
        rule.position = position
        session.add(rule)
    audit.record(session=session, actor=actor, entity="assignment_rule", entity_id=None,
                 action="reorder", after={"order": [r.id for r in saved]})
    session.commit()
    return saved


@needs_actor
def reorder_rules(*, session: Session, actor: Actor,
                  ordered_ids: list[int]) -> list[AssignmentRule]:
    rules = {r.id: r for r in list_rules(session=session, actor=actor)}
    if set(ordered_ids) != set(rules):
        raise ValidationFailed({"ids": "La lista debe contener todas las reglas una vez."})
    for pos, rid in enumerate(ordered_ids):
        rules[rid].position = pos
        session.add(rules[rid])
    audit.record(session=session, actor=actor, entity="assignment_rule", entity_id=None,
                 action="reorder", after={"order": list(ordered_ids)})
    session.commit()
    return [rules[r] for r in ordered_ids]


def _now() -> datetime:
    return utcnow()


# --- simulator -----------------------------------------------------------------------------


@needs_actor
def simulate(*, session: Session, actor: Actor, rules: list[dict], last_n: int = 200) -> dict:
    """Where the last ``last_n`` leads would go under a DRAFT rule set (nothing is saved),
    beside where they went (their current owners).

    Leads are replayed oldest first, from the open-lead loads as they were before them (current
    loads minus these leads), so round robin and least-loaded behave as they would have.
    Returns ``{"n", "changed", "per_user": [...], "per_rule": [...], "rows": [first 50]}``.
    """
    require(actor, Perm.RULES_MANAGE)
    if not isinstance(rules, list):
        raise ValidationFailed({"rules": "Las reglas deben ser una lista."})
    clean = []
    errors: dict[str, str] = {}
    for i, rule in enumerate(rules):
        try:
            clean.append({**validate_rule(rule if isinstance(rule, dict) else {}, session=session,
                                          prefix=f"rules.{i}."), "id": rule.get("id")
                          if isinstance(rule, dict) else None})
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    last_n = max(1, min(int(last_n or 200), 10_000))
    stmt = restrict(select(Lead), actor).where(Lead.deleted_at.is_(None)).order_by(
        Lead.created_at.desc(), Lead.id.desc()).limit(last_n)
    leads = list(reversed(session.exec(stmt).all()))
    loads = open_loads(session=session)
    for lead in leads:
        if lead.owner_id is not None and lead.status in OPEN_STATUSES:
            loads[lead.owner_id] = max(0, loads.get(lead.owner_id, 0) - 1)
    assigner = Assigner.from_rules(session=session, rules=clean, loads=loads)
    users = {u.id: u for u in session.exec(select(User)).all()}

    def uname(uid: int | None) -> str:
        return users[uid].name if uid in users else "Sin asignar"

    per_user: dict[int | None, dict] = {}
    per_rule: dict[int | None, int] = {}
    rows: list[dict] = []
    changed = 0
    active_rules = [r for r in clean if r.get("active", True)]
    for lead in leads:
        data = lead.model_dump()
        owner, _team, _rid = assigner.assign(data)
        idx = assigner.last_rule_index
        per_rule[idx] = per_rule.get(idx, 0) + 1
        for uid, key in ((owner, "simulated"), (lead.owner_id, "actual")):
            entry = per_user.setdefault(uid, {"user_id": uid, "name": uname(uid),
                                              "simulated": 0, "actual": 0})
            entry[key] += 1
        if owner != lead.owner_id:
            changed += 1
        if len(rows) < 50:
            rows.append({
                "lead_id": lead.id,
                "name": f"{lead.first_name} {lead.last_name}".strip(),
                "company": lead.company, "province": lead.province, "source": lead.source,
                "created_at": lead.created_at.isoformat() if lead.created_at else None,
                "actual_owner_id": lead.owner_id, "actual_owner_name": uname(lead.owner_id),
                "simulated_owner_id": owner, "simulated_owner_name": uname(owner),
                "rule_index": idx,
                "rule_name": active_rules[idx]["name"] if idx is not None else (
                    "Responsable por defecto" if owner is not None else "Ninguna"),
                "changed": owner != lead.owner_id,
            })
    per_user_list = sorted(per_user.values(), key=lambda e: (e["user_id"] is None, e["name"]))
    for entry in per_user_list:
        entry["delta"] = entry["simulated"] - entry["actual"]
    per_rule_list = [
        {"rule_index": idx,
         "rule_name": active_rules[idx]["name"] if idx is not None else "Sin regla (por defecto)",
         "count": n}
        for idx, n in sorted(per_rule.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    ]
    return {"n": len(leads), "changed": changed, "per_user": per_user_list,
            "per_rule": per_rule_list, "rows": rows}


__all__ = ["ACTIONS", "OPEN_STATUSES", "OPS", "Assigner", "clean_conditions", "compile_condition",
           "create_rule", "delete_rule",
           "fallback_owner_id", "get_rule", "list_rules", "open_loads", "reorder_rules",
           "rule_dict", "simulate", "update_rule", "validate_rule"]
