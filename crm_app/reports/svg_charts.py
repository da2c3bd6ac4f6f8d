"""Small vector charts as inline SVG for the PDF reports (no browser, no kaleido).

Grouped vertical bars, horizontal bars and lines; es-ES axis labels; the same accent palette as
the plotly charts (``analytics.charts.PALETTE``). Each function returns an ``<svg>`` string
that WeasyPrint draws as vectors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from html import escape

from analytics.charts import PALETTE
from crm_app.formatting import number

FONT = "DejaVu Sans, sans-serif"
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"

Number = int | float | Decimal


def _nice_max(value: float) -> float:
    """A round axis maximum ≥ value (1, 2, 2.5, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10):  # quarters stay round
        if value <= step * exp:
            return step * exp
    return 10 * exp


def compact(value: float, unit: str = "€") -> str:
    """Axis label: ``950 €``, ``12 mil €``, ``1,5 M€``."""
    suffix = f"\u00a0{unit}" if unit else ""
    if abs(value) >= 1_000_000:
        return number(round(value / 1_000_000, 1), 1).replace(",0", "") + "\u00a0M" + unit
    if abs(value) >= 10_000:
        return number(round(value / 1000)) + "\u00a0mil" + suffix
    return number(round(value)) + suffix


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="{FONT}" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(body)}</svg>')


def _text(x: float, y: float, text: str, *, size: float = 9, anchor: str = "middle",
          color: str = INK, weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="{color}" font-weight="{weight}">{escape(text)}</text>')


def _grid(left: float, right: float, top: float, plot_h: float) -> str:
    """The five horizontal grid lines as one path: WeasyPrint sets up the graphic state of
    each SVG element on its own, and a path's segments cost a fraction of that."""
    d = "".join(f"M{left} {top + plot_h - plot_h * i / 4:.1f}H{right}" for i in range(5))
    return f'<path d="{d}" stroke="{GRID}" stroke-width="0.6" fill="none"/>'


def _legend(series: Sequence[tuple[str, str]], x: float, y: float) -> list[str]:
    out = []
    for name, color in series:
        out.append(f'<rect x="{x:.1f}" y="{y - 7:.1f}" width="9" height="9" fill="{color}"/>')
        out.append(_text(x + 13, y + 1, name, anchor="start", size=8.5, color=MUTED))
        x += 22 + 5.2 * len(name)
    return out


# The margins of the charts over categories (bars by month, lines): room for the value axis on
# the left, the legend on top and the category labels below.
LEFT, RIGHT, TOP, BOTTOM = 58, 10, 26, 34


def _axes(categories: Sequence[str], series: Sequence[tuple[str, Sequence[Number]]], *,
          width: int, height: int, unit: str) -> tuple[list[str], float, float, float]:
    """The frame of a chart over ``categories``: the legend, the grid, the value axis and the
    category labels. Returns the SVG so far, the axis maximum, the width of one category's
    column and the plot's height."""
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    top_value = _nice_max(max([float(v) for _, vals in series for v in vals] + [0]))
    body = _legend([(name, PALETTE[i % len(PALETTE)]) for i, (name, _) in enumerate(series)],
                   LEFT, 12)
    body.append(_grid(LEFT, width - RIGHT, TOP, plot_h))
    for i in range(5):
        y = TOP + plot_h - plot_h * i / 4
        body.append(_text(LEFT - 5, y + 3, compact(top_value * i / 4, unit), anchor="end",
                          size=8, color=MUTED))
    step = plot_w / max(len(categories), 1)
    body += [_text(LEFT + step * (ci + 0.5), height - BOTTOM + 13, cat, size=8, color=MUTED)
             for ci, cat in enumerate(categories)]
    return body, top_value, step, plot_h


def bar_chart(categories: Sequence[str], series: Sequence[tuple[str, Sequence[Number]]], *,
              title: str, width: int = 520, height: int = 220, unit: str = "€") -> str:
    """Grouped vertical bars: one group per category, one bar per series."""
    body, top_value, group_w, plot_h = _axes(categories, series, width=width, height=height,
                                             unit=unit)
    bar_w = group_w * 0.75 / max(len(series), 1)
    for si, (_, values) in enumerate(series):  # one path of bars per series (see _grid)
        d = []
        for ci in range(len(categories)):
            value = float(values[ci]) if ci < len(values) else 0.0
            h = plot_h * value / top_value if top_value else 0
            x = LEFT + ci * group_w + group_w * 0.125 + si * bar_w
            d.append(f"M{x:.1f} {TOP + plot_h - h:.1f}h{bar_w * 0.92:.1f}v{h:.1f}"
                     f"h{-bar_w * 0.92:.1f}z")
        body.append(f'<path d="{"".join(d)}" fill="{PALETTE[si % len(PALETTE)]}"/>')
    return _svg(width, height, body, title)


def line_chart(categories: Sequence[str], series: Sequence[tuple[str, Sequence[Number]]], *,
               title: str, width: int = 520, height: int = 200, unit: str = "€") -> str:
    """Lines with dots, one per series (e.g. the fiscal-year cumulative vs last year)."""
    body, top_value, step, plot_h = _axes(categories, series, width=width, height=height,
                                          unit=unit)

    def xy(i: int, v: Number) -> tuple[float, float]:
        return LEFT + step * (i + 0.5), TOP + plot_h - plot_h * float(v) / top_value

    for si, (_, values) in enumerate(series):
        color = PALETTE[si % len(PALETTE)]
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(values)))
        body.append(f'<polyline points="{points}" fill="none" stroke="{color}" '
                    f'stroke-width="2"/>')
        # the dots (r 2,4) as one path of round-capped dashes of almost no length (see _grid;
        # not of none: some viewers drop those)
        dots = "".join(f"M{x:.1f} {y:.1f}h0.01"
                       for x, y in (xy(i, v) for i, v in enumerate(values)))
        body.append(f'<path d="{dots}" fill="none" stroke="{color}" stroke-width="4.8" '
                    f'stroke-linecap="round"/>')
    return _svg(width, height, body, title)


def hbar_chart(labels: Sequence[str], values: Sequence[Number], *, title: str,
               value_labels: Sequence[str] | None = None, width: int = 520,
               bar_height: int = 18, color_index: int = 0,
               secondary: Sequence[Number] | None = None) -> str:
    """Horizontal bars with the label on the left and the figure on the right (pipeline by
    stage, funnel). ``secondary`` draws a second, darker bar inside each one (e.g. the
    weighted amount inside the amount), with a legend."""
    left, right, top = 150, 90, 22 if secondary is not None else 6
    height = top + len(labels) * (bar_height + 8) + 4
    plot_w = width - left - right
    top_value = max([float(v) for v in values] + [0]) or 1.0
    body: list[str] = []
    main = PALETTE[1] if secondary is not None else PALETTE[color_index % len(PALETTE)]
    if secondary is not None:
        body += _legend([("Importe", PALETTE[1]), ("Ponderado", PALETTE[0])], left, 12)
    for i, label in enumerate(labels):
        y = top + i * (bar_height + 8)
        w = plot_w * float(values[i]) / top_value
        body.append(_text(left - 8, y + bar_height * 0.68, label, anchor="end", size=9))
        body.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_height}" '
                    f'fill="{main}" rx="2"/>')
        if secondary is not None:
            ws = plot_w * float(secondary[i]) / top_value
            body.append(f'<rect x="{left}" y="{y + bar_height * 0.25:.1f}" width="{ws:.1f}" '
                        f'height="{bar_height * 0.5:.1f}" fill="{PALETTE[0]}" rx="1"/>')
        text = value_labels[i] if value_labels else number(values[i])
        body.append(_text(left + w + 6, y + bar_height * 0.68, text, anchor="start", size=8.5,
                          color=MUTED))
    return _svg(width, height, body, title)
