"""Server-rendered SVG trend charts of one indicator across checkups (no JavaScript, no CDN).

The chart shows the reference range as a band, the values as a line, and abnormal values as
larger marks coloured by severity. Only presentation attributes are used (no ``style``), so the
page's Content-Security-Policy holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 360, 140
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 12, 14, 26
SEVERITY_CLASS = {"": "pt-normal", "minor": "pt-minor", "major": "pt-major", "critical": "pt-critical"}
SEVERITY_FILL = {"": "#2f6f4f", "minor": "#c98a00", "major": "#d35400", "critical": "#c0392b"}


@dataclass(frozen=True)
class Point:
    date: dt.date
    value: float
    severity: str = ""
    label: str = ""


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def trend_svg(
    points: list[Point],
    *,
    title: str,
    unit: str = "",
    ref_low: float | None = None,
    ref_high: float | None = None,
) -> str:
    """An accessible SVG (``role="img"`` with a title listing every value)."""
    points = sorted(points, key=lambda p: p.date)
    values = [p.value for p in points]
    bounds = [v for v in (ref_low, ref_high) if v is not None]
    lo, hi = min(values + bounds, default=0.0), max(values + bounds, default=1.0)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    margin = (hi - lo) * 0.1
    lo, hi = lo - margin, hi + margin
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM

    def y(v: float) -> float:
        return round(PAD_TOP + (hi - v) / (hi - lo) * plot_h, 1)

    def x(i: int) -> float:
        if len(points) == 1:
            return PAD_LEFT + plot_w / 2
        return round(PAD_LEFT + i * plot_w / (len(points) - 1), 1)

    summary = "; ".join(f"{p.date.isoformat()} {_fmt(p.value)}{unit}" for p in points)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}: {escape(summary)}</title>",
    ]
    if ref_low is not None or ref_high is not None:
        top = y(ref_high) if ref_high is not None else PAD_TOP
        bottom = y(ref_low) if ref_low is not None else PAD_TOP + plot_h
        parts.append(
            f'<rect class="ref-band" x="{PAD_LEFT}" y="{top}" width="{plot_w}" height="{round(bottom - top, 1)}" '
            f'fill="#e3f1e8"/>'
        )
        for bound in (ref_low, ref_high):
            if bound is not None:
                parts.append(
                    f'<text class="ref-label" x="{PAD_LEFT - 4}" y="{y(bound) + 4}" text-anchor="end" '
                    f'font-size="10" fill="#555">{_fmt(bound)}</text>'
                )
    parts.append(
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP + plot_h}" x2="{PAD_LEFT + plot_w}" y2="{PAD_TOP + plot_h}" stroke="#999"/>'
    )
    if len(points) > 1:
        path = " ".join(f"{x(i)},{y(p.value)}" for i, p in enumerate(points))
        parts.append(f'<polyline class="trend-line" points="{path}" fill="none" stroke="#34495e" stroke-width="1.5"/>')
    for i, p in enumerate(points):
        radius = 5 if p.severity else 3
        parts.append(
            f'<circle class="{SEVERITY_CLASS.get(p.severity, "pt-normal")}" cx="{x(i)}" cy="{y(p.value)}" r="{radius}" '
            f'fill="{SEVERITY_FILL.get(p.severity, SEVERITY_FILL[""])}"><title>{p.date.isoformat()} '
            f"{escape(_fmt(p.value))}{escape(unit)}{(' ' + escape(p.label)) if p.label else ''}</title></circle>"
        )
        parts.append(
            f'<text x="{x(i)}" y="{HEIGHT - 8}" text-anchor="middle" font-size="10" fill="#555">'
            f"{p.date:%Y-%m}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
