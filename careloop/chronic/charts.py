"""Each indicator's readings against its target band as a server-rendered SVG (the approach of
careloop/checkups/charts.py: band, line, marks, presentation attributes only so the CSP holds), with
time on the x axis, the alarm thresholds as dashed lines and a few date labels."""

from __future__ import annotations

from html import escape

from django.utils import timezone

from careloop.chronic.selectors import Trend

WIDTH, HEIGHT = 640, 170
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 12, 12, 24
FILL = {"": "#2f6f4f", "low": "#c98a00", "high": "#c98a00", "alarm_low": "#c0392b", "alarm_high": "#c0392b"}
LABELS = 6


def _fmt(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


def trend_chart(trend: Trend) -> str:
    ind, readings = trend.indicator, trend.readings
    if not readings:
        return ""
    unit = ind.unit or ""
    values = [r.value for r in readings]
    marks = [b for b in (ind.target_low, ind.target_high, ind.alarm_low, ind.alarm_high) if b is not None]
    in_view = [b for b in marks if min(values) - 0.5 * (max(values) - min(values) + 1) <= b
               <= max(values) + 0.5 * (max(values) - min(values) + 1)]
    lo, hi = min(values + in_view), max(values + in_view)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    lo, hi = lo - (hi - lo) * 0.08, hi + (hi - lo) * 0.08
    t0, t1 = readings[0].at.timestamp(), readings[-1].at.timestamp()
    span = (t1 - t0) or 1.0
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM

    def y(v: float) -> float:
        return round(PAD_TOP + (hi - min(max(v, lo), hi)) / (hi - lo) * plot_h, 1)

    def x(ts: float) -> float:
        return round(PAD_LEFT + (ts - t0) / span * plot_w, 1) if t1 > t0 else PAD_LEFT + plot_w / 2

    summary = "; ".join(f"{timezone.localtime(r.at):%m-%d} {_fmt(r.value)}" for r in readings[-20:])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="trend" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(ind.name)}">',
             f"<title>{escape(ind.name)}: {escape(summary)}</title>"]
    if ind.target_low is not None or ind.target_high is not None:
        top = y(ind.target_high) if ind.target_high is not None else PAD_TOP
        bottom = y(ind.target_low) if ind.target_low is not None else PAD_TOP + plot_h
        parts.append(f'<rect x="{PAD_LEFT}" y="{top}" width="{plot_w}" height="{round(bottom - top, 1)}" fill="#e3f1e8"/>')
    for bound, colour in ((ind.target_low, "#555"), (ind.target_high, "#555"), (ind.alarm_low, "#c0392b"),
                          (ind.alarm_high, "#c0392b")):
        if bound is not None and bound in in_view:
            parts.append(f'<text x="{PAD_LEFT - 4}" y="{y(bound) + 4}" text-anchor="end" font-size="10" '
                         f'fill="{colour}">{_fmt(bound)}</text>')
            if colour != "#555":
                parts.append(f'<line x1="{PAD_LEFT}" y1="{y(bound)}" x2="{PAD_LEFT + plot_w}" y2="{y(bound)}" '
                             f'stroke="{colour}" stroke-dasharray="4 3"/>')
    parts.append(f'<line x1="{PAD_LEFT}" y1="{PAD_TOP + plot_h}" x2="{PAD_LEFT + plot_w}" y2="{PAD_TOP + plot_h}" '
                 f'stroke="#999"/>')
    if len(readings) > 1:
        path = " ".join(f"{x(r.at.timestamp())},{y(r.value)}" for r in readings)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#34495e" stroke-width="1.5"/>')
    for r in readings:
        radius = 4.5 if r.flag else 2.5
        parts.append(f'<circle cx="{x(r.at.timestamp())}" cy="{y(r.value)}" r="{radius}" fill="{FILL.get(r.flag, "#2f6f4f")}">'
                     f"<title>{timezone.localtime(r.at):%Y-%m-%d %H:%M} {escape(_fmt(r.value))}{escape(unit)}"
                     f"{(' ' + escape(str(r.get_flag_display()))) if r.flag else ''}</title></circle>")
    step = max(1, len(readings) // LABELS)
    for r in readings[::step]:
        parts.append(f'<text x="{x(r.at.timestamp())}" y="{HEIGHT - 6}" text-anchor="middle" font-size="10" '
                     f'fill="#555">{timezone.localtime(r.at):%m-%d}</text>')
    parts.append("</svg>")
    return "".join(parts)
