"""Small bar charts as inline SVG, drawn on the server: no chart library, no script.

Each function returns markup the template prints with `|safe`; every label is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# One colour per age bucket, from young to old arrears.
BUCKET_COLOURS = ("#93c5fd", "#3b82f6", "#f59e0b", "#b91c1c")


def _num(value: Decimal | float | int) -> str:
    return f"{float(value):,.2f}"


def stacked_bars(
    rows: Sequence[tuple[str, Sequence[Decimal]]],
    *,
    legend: Sequence[str],
    colours: Sequence[str] = BUCKET_COLOURS,
    width: int = 720,
    label_width: int = 140,
    bar_height: int = 18,
    gap: int = 6,
) -> SafeString:
    """Horizontal bars, one per row, stacked by part (the arrears report's age buckets)."""
    rows = list(rows)[:40]
    peak = max((sum(parts, Decimal(0)) for _label, parts in rows), default=Decimal(0)) or Decimal(1)
    plot = width - label_width - 110
    height = len(rows) * (bar_height + gap) + 28
    out = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    x = label_width
    for n, name in enumerate(legend):
        out.append(
            f'<rect x="{x}" y="2" width="10" height="10" fill="{colours[n % len(colours)]}"/>'
            f'<text x="{x + 14}" y="11" font-size="11">{escape(name)}</text>'
        )
        x += 24 + 9 * len(str(name))
    for i, (label, parts) in enumerate(rows):
        y = 22 + i * (bar_height + gap)
        out.append(
            f'<text x="{label_width - 6}" y="{y + bar_height - 5}" font-size="12" '
            f'text-anchor="end">{escape(label)}</text>'
        )
        x0 = float(label_width)
        total = sum(parts, Decimal(0))
        for n, part in enumerate(parts):
            w = float(part / peak) * plot
            if w > 0:
                out.append(
                    f'<rect x="{x0:.1f}" y="{y}" width="{w:.1f}" height="{bar_height}" '
                    f'fill="{colours[n % len(colours)]}"><title>{escape(legend[n])}: '
                    f"{_num(part)}</title></rect>"
                )
            x0 += w
        out.append(
            f'<text x="{x0 + 4:.1f}" y="{y + bar_height - 5}" font-size="11">{_num(total)}</text>'
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped


def month_columns(
    months: Sequence[tuple[str, Decimal | None, Decimal | None]],
    *,
    legend: tuple[str, str],
    width: int = 720,
    height: int = 220,
) -> SafeString:
    """Columns of a rate per month (0–100 %) and a line of the rate to date."""
    left, bottom, top = 36, 24, 22
    plot_h = height - bottom - top
    step = (width - left - 10) / max(len(months), 1)
    out = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg">',
        (
            f'<rect x="{left}" y="4" width="10" height="10" fill="#3b82f6"/>'
            f'<text x="{left + 14}" y="13" font-size="11">{escape(legend[0])}</text>'
            if legend[0]
            else ""
        )
        + f'<line x1="{left + 150}" y1="9" x2="{left + 170}" y2="9" stroke="#b45309" stroke-width="2"/>'
        f'<text x="{left + 174}" y="13" font-size="11">{escape(legend[1])}</text>',
    ]
    for pct in (0, 50, 100):
        y = top + plot_h - plot_h * pct / 100
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#e5e7eb"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{pct}%</text>'
        )
    points = []
    for i, (label, value, to_date) in enumerate(months):
        x = left + i * step
        if value is not None:
            h = plot_h * min(float(value), 100) / 100
            out.append(
                f'<rect x="{x + step * 0.2:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.6:.1f}" '
                f'height="{h:.1f}" fill="#3b82f6"><title>{escape(label)}: {value}%</title></rect>'
            )
        if to_date is not None:
            y = top + plot_h - plot_h * min(float(to_date), 100) / 100
            points.append(f"{x + step / 2:.1f},{y:.1f}")
        out.append(
            f'<text x="{x + step / 2:.1f}" y="{height - 8}" font-size="10" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    if points:
        out.append(
            f'<polyline points="{" ".join(points)}" fill="none" stroke="#b45309" stroke-width="2"/>'
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped
