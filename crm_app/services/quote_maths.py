"""The quote maths: one pure function, exact in ``Decimal``, no I/O.

The rules (issue 4), in order:

1. line base = round-half-up to cents of quantity × unit price × (1 − line discount / 100)
2. base per IVA rate = round-half-up of
   (sum of that rate's line bases × (1 − global discount / 100))
3. IVA per rate = round-half-up of (base × rate / 100)
4. recargo de equivalencia per rate, when the quote applies it, on the same base:
   21 % → 5,2 %, 10 % → 1,4 %, 4 % → 0,5 % (0 % and exento carry none)
5. IRPF = round-half-up of (sum of bases × IRPF / 100)
6. total = bases + IVA + recargo − IRPF

Exempt lines (``tax_exempt``) form their own "exento" group: its base counts in the bases and
in the IRPF base, its IVA is 0 and it is shown as "Exento", not as "0 %".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)

IVA_RATES: tuple[Decimal, ...] = (Decimal(21), Decimal(10), Decimal(4), Decimal(0))
RECARGO_RATES: dict[Decimal, Decimal] = {
    Decimal(21): Decimal("5.2"),
    Decimal(10): Decimal("1.4"),
    Decimal(4): Decimal("0.5"),
}
EXENTO = "exento"


def round_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _dec(value: Any, name: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError(f"{name}: use Decimal or str, never float")
    if value is None:
        return Decimal(0)
    return Decimal(str(value).strip())


def _get(line: Any, name: str, default: Any = None) -> Any:
    if isinstance(line, Mapping):
        return line.get(name, default)
    return getattr(line, name, default)


def _plain_rate(value: Decimal) -> str:
    """``21``, ``5.2``, ``0``: a percentage without trailing zeros."""
    text = f"{value.normalize():f}"
    return "0" if text in {"0", "-0"} else text


@dataclass(frozen=True)
class TaxLine:
    """One row of the breakdown. ``rate`` is the IVA (or recargo) %; ``None`` means exento."""

    rate: Decimal | None
    base: Decimal
    amount: Decimal
    iva_rate: Decimal | None = None  # for recargo rows: the IVA rate they belong to

    @property
    def exempt(self) -> bool:
        return self.rate is None

    @property
    def rate_key(self) -> str:
        """``"21"``, ``"5.2"``, ``"0"`` or ``"exento"`` (API and templates)."""
        if self.rate is None:
            return EXENTO
        return _plain_rate(self.rate)

    def as_dict(self) -> dict[str, str]:
        return {"rate": self.rate_key, "base": str(self.base), "amount": str(self.amount)}


@dataclass(frozen=True)
class Totals:
    line_bases: tuple[Decimal, ...]  # per input line, in input order
    subtotal: Decimal  # sum of line bases, before the global discount
    global_discount_pct: Decimal
    discount: Decimal  # subtotal − base: what the global discount took off
    taxes: tuple[TaxLine, ...]  # per IVA rate, highest first, exento last
    recargo: tuple[TaxLine, ...]  # per IVA rate with recargo (empty when not applied)
    base: Decimal  # sum of the per-rate bases
    tax: Decimal  # sum of IVA
    recargo_total: Decimal
    irpf_pct: Decimal
    irpf: Decimal
    total: Decimal

    def as_dict(self) -> dict[str, Any]:
        """The API shape: decimals as strings."""
        return {
            "subtotal": str(self.subtotal),
            "global_discount_pct": _plain_rate(self.global_discount_pct),
            "discount": str(self.discount),
            "base": str(self.base),
            "taxes": [t.as_dict() for t in self.taxes],
            "tax": str(self.tax),
            "recargo": [{**r.as_dict(), "iva_rate": _plain_rate(r.iva_rate)}
                        for r in self.recargo if r.iva_rate is not None],
            "recargo_total": str(self.recargo_total),
            "irpf_pct": _plain_rate(self.irpf_pct),
            "irpf": str(self.irpf),
            "total": str(self.total),
        }


def line_base(quantity: Any, unit_price: Any, discount_pct: Any = 0) -> Decimal:
    """round-half-up(quantity × unit price × (1 − discount / 100)) to cents."""
    q, p, d = _dec(quantity, "quantity"), _dec(unit_price, "unit_price"), \
        _dec(discount_pct, "discount_pct")
    with localcontext() as ctx:
        ctx.prec = 50
        return round_cents(q * p * (1 - d / HUNDRED))


def _group_key(line: Any) -> Decimal | None:
    if _get(line, "tax_exempt", False):
        return None
    rate = _get(line, "tax_rate", None)
    if isinstance(rate, str) and rate.strip().lower() == EXENTO:
        return None
    return _dec(rate, "tax_rate").quantize(CENT)


def compute_totals(lines: Iterable[Any], *, global_discount_pct: Any = 0,
                   recargo_equivalencia: bool = False, irpf_pct: Any = 0) -> Totals:
    """The quote's totals from its lines (dicts or objects with ``quantity``, ``unit_price``,
    ``discount_pct``, ``tax_rate`` and optionally ``tax_exempt``).

    Pure and exact; the service validates ranges (quantities > 0, discounts 0–100 …) first.
    """
    lines = list(lines)
    g = _dec(global_discount_pct, "global_discount_pct")
    irpf_rate = _dec(irpf_pct, "irpf_pct")
    with localcontext() as ctx:
        ctx.prec = 50
        bases = tuple(line_base(_get(ln, "quantity", 1), _get(ln, "unit_price", 0),
                                _get(ln, "discount_pct", 0)) for ln in lines)
        groups: dict[Decimal | None, Decimal] = {}
        for ln, b in zip(lines, bases, strict=True):
            key = _group_key(ln)
            groups[key] = groups.get(key, ZERO) + b
        factor = 1 - g / HUNDRED
        # Highest rate first, exento last: the order a Spanish invoice shows them.
        ordered = sorted(groups, key=lambda k: (k is None, -(k or 0)))
        taxes: list[TaxLine] = []
        recargo: list[TaxLine] = []
        for key in ordered:
            base = round_cents(groups[key] * factor)
            if key is None:
                taxes.append(TaxLine(None, base, ZERO))
                continue
            taxes.append(TaxLine(key, base, round_cents(base * key / HUNDRED)))
            re_rate = RECARGO_RATES.get(key.normalize())
            if recargo_equivalencia and re_rate is not None:
                recargo.append(TaxLine(re_rate, base, round_cents(base * re_rate / HUNDRED),
                                       iva_rate=key))
        base_total = sum((t.base for t in taxes), ZERO)
        tax_total = sum((t.amount for t in taxes), ZERO)
        recargo_total = sum((r.amount for r in recargo), ZERO)
        irpf = round_cents(base_total * irpf_rate / HUNDRED)
        subtotal = sum(bases, ZERO)
        return Totals(
            line_bases=bases,
            subtotal=subtotal,
            global_discount_pct=g,
            discount=subtotal - base_total,
            taxes=tuple(taxes),
            recargo=tuple(recargo),
            base=base_total,
            tax=tax_total,
            recargo_total=recargo_total,
            irpf_pct=irpf_rate,
            irpf=irpf,
            total=base_total + tax_total + recargo_total - irpf,
        )


__all__ = ["EXENTO", "IVA_RATES", "RECARGO_RATES", "TaxLine", "Totals", "compute_totals",
           "line_base", "round_cents"]
