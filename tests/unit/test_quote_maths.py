"""The quote maths: worked examples computed by hand, then properties checked by hypothesis."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_app.services.quotes import compute_totals, line_base

D = Decimal


def L(qty, price, rate="21", disc="0", exempt=False):  # noqa: N802
    return {"quantity": D(qty), "unit_price": D(price), "discount_pct": D(disc),
            "tax_rate": D(rate), "tax_exempt": exempt}


def breakdown(rows):
    return [(r.rate_key, str(r.base), str(r.amount)) for r in rows]


# --- worked examples ------------------------------------------------------------------------


def test_mixed_rates_global_discount_exento_and_irpf():
    t = compute_totals(
        [
            L("3", "19.99", "21"),             # 3 × 19,99 = 59,97
            L("2", "12.345", "10", "10"),      # 2 × 12,345 × 0,90 = 22,221 → 22,22
            L("1", "100", exempt=True),        # 100,00, exento
        ],
        global_discount_pct=D("5"), recargo_equivalencia=False, irpf_pct=D("15"),
    )
    assert t.line_bases == (D("59.97"), D("22.22"), D("100.00"))
    assert t.subtotal == D("182.19")
    # 21 %: 59,97 × 0,95 = 56,9715 → 56,97; IVA 56,97 × 0,21 = 11,9637 → 11,96
    # 10 %: 22,22 × 0,95 = 21,109 → 21,11; IVA 21,11 × 0,10 = 2,111 → 2,11
    # exento: 100 × 0,95 = 95,00; IVA 0 (shown as exento, last)
    assert breakdown(t.taxes) == [("21", "56.97", "11.96"), ("10", "21.11", "2.11"),
                                  ("exento", "95.00", "0.00")]
    assert t.recargo == ()
    assert t.base == D("173.08")        # 56,97 + 21,11 + 95,00
    assert t.discount == D("9.11")      # 182,19 − 173,08
    assert t.tax == D("14.07")          # 11,96 + 2,11
    assert t.irpf == D("25.96")         # 173,08 × 0,15 = 25,962 → 25,96
    assert t.total == D("161.19")       # 173,08 + 14,07 − 25,96


def test_recargo_de_equivalencia_per_rate():
    t = compute_totals(
        [
            L("10", "4.35", "21"),  # 43,50
            L("7", "1.15", "4"),    # 8,05
            L("3", "2.50", "10"),   # 7,50
            L("1", "20", "0"),      # 20,00 at 0 %: IVA 0, no recargo
        ],
        global_discount_pct=D("0"), recargo_equivalencia=True, irpf_pct=D("0"),
    )
    # IVA  21 %: 43,50 × 0,21 = 9,135 → 9,14 (half up, not to even)
    #      10 %: 7,50 × 0,10 = 0,75
    #       4 %: 8,05 × 0,04 = 0,322 → 0,32
    assert breakdown(t.taxes) == [("21", "43.50", "9.14"), ("10", "7.50", "0.75"),
                                  ("4", "8.05", "0.32"), ("0", "20.00", "0.00")]
    # Recargo 21→5,2 %: 43,50 × 0,052 = 2,262 → 2,26
    #         10→1,4 %: 7,50 × 0,014 = 0,105 → 0,11
    #          4→0,5 %: 8,05 × 0,005 = 0,04025 → 0,04
    assert breakdown(t.recargo) == [("5.2", "43.50", "2.26"), ("1.4", "7.50", "0.11"),
                                    ("0.5", "8.05", "0.04")]
    assert [f"{r.iva_rate.normalize():f}" for r in t.recargo] == ["21", "10", "4"]
    assert t.base == D("79.05")
    assert t.tax == D("10.21")
    assert t.recargo_total == D("2.41")
    assert t.total == D("91.67")  # 79,05 + 10,21 + 2,41


def test_line_base_rounds_half_up_before_summing():
    assert line_base("1", "0.125") == D("0.13")        # banker's rounding would give 0,12
    assert line_base("2.5", "0.05") == D("0.13")       # 0,125 → 0,13
    assert line_base("3", "10", "33.33") == D("20.00")  # 30 × 0,6667 = 20,001 → 20,00
    # Each line is rounded first: 0,333 → 0,33 twice = 0,66 (not 0,666 → 0,67)
    t = compute_totals([L("1", "0.333"), L("1", "0.333")])
    assert t.base == D("0.66")
    assert t.tax == D("0.14")  # 0,66 × 0,21 = 0,1386 → 0,14
    assert t.total == D("0.80")


def test_global_discount_applies_to_each_rate_group_sum():
    # 10,01 + 10,01 = 20,02 at 21 %; × 0,5 = 10,01 (rounded once per group, not per line:
    # per line it would be 5,005 → 5,01 twice = 10,02)
    t = compute_totals([L("1", "10.01"), L("1", "10.01")], global_discount_pct=D("50"))
    assert t.base == D("10.01")
    assert t.tax == D("2.10")  # 10,01 × 0,21 = 2,1021 → 2,10
    assert t.total == D("12.11")


def test_exento_is_not_zero_rate_and_gets_no_recargo_or_iva():
    t = compute_totals([L("1", "50", "0"), L("1", "50", "21", exempt=True)],
                       recargo_equivalencia=True, irpf_pct=D("7"))
    assert breakdown(t.taxes) == [("0", "50.00", "0.00"), ("exento", "50.00", "0.00")]
    assert t.recargo == ()
    assert t.irpf == D("7.00")  # 100 × 0,07: exempt bases count for IRPF
    assert t.total == D("93.00")


def test_tax_rate_given_as_exento_string_and_empty_quote():
    t = compute_totals([{"quantity": "2", "unit_price": "5", "tax_rate": "exento"}])
    assert breakdown(t.taxes) == [("exento", "10.00", "0.00")]
    empty = compute_totals([])
    assert (empty.base, empty.tax, empty.total) == (D("0.00"), D("0.00"), D("0.00"))
    assert empty.taxes == ()


def test_as_dict_is_the_api_shape():
    t = compute_totals([L("1", "100", "21")], recargo_equivalencia=True, irpf_pct=D("15"))
    d = t.as_dict()
    assert d["base"] == "100.00"
    assert d["taxes"] == [{"rate": "21", "base": "100.00", "amount": "21.00"}]
    assert d["recargo"] == [{"rate": "5.2", "base": "100.00", "amount": "5.20",
                             "iva_rate": "21"}]
    assert d["irpf"] == "15.00"
    assert d["total"] == "111.20"  # 100 + 21 + 5,20 − 15


def test_floats_are_refused():
    with pytest.raises(TypeError):
        compute_totals([{"quantity": 1.0, "unit_price": D("1"), "tax_rate": D("21")}])


# --- properties -----------------------------------------------------------------------------

qty = st.decimals(min_value=D("0.001"), max_value=D("10000"), places=3)
price = st.decimals(min_value=D("0"), max_value=D("100000"), places=4)
pct = st.decimals(min_value=D("0"), max_value=D("100"), places=2)
rate = st.sampled_from(["21", "10", "4", "0", "exento"])


@st.composite
def quote_lines(draw):
    n = draw(st.integers(min_value=0, max_value=8))
    out = []
    for _ in range(n):
        r = draw(rate)
        out.append({"quantity": draw(qty), "unit_price": draw(price),
                    "discount_pct": draw(pct),
                    "tax_rate": D(0) if r == "exento" else D(r), "tax_exempt": r == "exento"})
    return out


def amounts(t):
    return [t.base, t.tax, t.recargo_total, t.irpf, t.total, t.subtotal, t.discount,
            *t.line_bases, *[x.base for x in t.taxes + t.recargo],
            *[x.amount for x in t.taxes + t.recargo]]


@settings(max_examples=200, deadline=None)
@given(quote_lines(), pct, st.booleans(), st.sampled_from([D(0), D(7), D(15), D(19), D(100)]))
def test_properties(lines, g, recargo, irpf):
    t = compute_totals(lines, global_discount_pct=g, recargo_equivalencia=recargo, irpf_pct=irpf)
    # total is exactly bases + IVA + recargo − IRPF, and the parts add up
    assert t.total == t.base + t.tax + t.recargo_total - t.irpf
    assert t.base == sum((x.base for x in t.taxes), D(0))
    assert t.tax == sum((x.amount for x in t.taxes), D(0))
    assert t.recargo_total == sum((x.amount for x in t.recargo), D(0))
    # every amount has exactly two decimals and none is negative
    for a in amounts(t):
        assert a.as_tuple().exponent == -2, a
        assert a >= 0, a
    assert t.total >= 0
    # the global discount never takes off more than asked, give or take a cent per group
    assert abs(t.base - t.subtotal * (1 - g / 100)) <= D("0.005") * len(t.taxes)
    # invariance under line order
    again = compute_totals(list(reversed(lines)), global_discount_pct=g,
                           recargo_equivalencia=recargo, irpf_pct=irpf)
    assert (again.taxes, again.recargo, again.total) == (t.taxes, t.recargo, t.total)
    assert again.line_bases == tuple(reversed(t.line_bases))


@settings(max_examples=100, deadline=None)
@given(quote_lines(), st.booleans())
def test_discount_100_gives_zero(lines, recargo):
    full = compute_totals(lines, global_discount_pct=D(100), recargo_equivalencia=recargo,
                          irpf_pct=D(15))
    assert full.base == full.tax == full.recargo_total == full.irpf == full.total == D("0.00")
    for line in lines:
        line["discount_pct"] = D(100)
    each = compute_totals(lines, recargo_equivalencia=recargo, irpf_pct=D(15))
    assert each.total == D("0.00") and all(b == 0 for b in each.line_bases)
