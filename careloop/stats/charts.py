"""Charts of the statistics, described once (``Chart``) and drawn twice: as SVG for the pages (server-side,
presentation attributes only, so the CSP holds) and with fpdf2 primitives for the PDF report."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from itertools import pairwise
from typing import Any

PALETTE = ("#2f6f4f", "#3b7dd8", "#c98a00", "#c0392b", "#8e44ad", "#7f8c8d")


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]
    color: str = ""


@dataclass(frozen=True)
class Chart:
    kind: str  # line | stacked | funnel
    title: str
    labels: list[str]
    series: list[Series] = field(default_factory=list)

    def colored(self) -> list[Series]:
        return [Series(s.name, s.values, s.color or PALETTE[i % len(PALETTE)]) for i, s in enumerate(self.series)]


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _nice_max(v: float) -> float:
    if v <= 4:
        return 4.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000,
                 200000, 500000, 1000000, 2000000, 5000000, 10000000):
        if v <= step * 5:
            return float(step * 5)
    return v


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float


def _layout(chart: Chart, w: float, h: float, legend_h: float) -> tuple[Box, float]:
    plot = Box(44, 22, w - 56, h - 22 - 26 - legend_h)
    if chart.kind == "funnel":
        plot = Box(8, 22, w - 16, h - 30)
    top = max((sum(vals) for vals in zip(*(s.values for s in chart.series), strict=False)), default=0.0) \
        if chart.kind == "stacked" else max((max(s.values, default=0) for s in chart.series), default=0.0)
    return plot, _nice_max(top)


def primitives(chart: Chart, w: float = 640, h: float = 240) -> list[tuple[str, dict[str, Any]]]:
    """The chart as drawing primitives (rect, line, polyline, text) in a w × h box, y down."""
    legend_h = 16 if chart.kind != "funnel" and len(chart.series) > 1 else 0
    plot, top = _layout(chart, w, h, legend_h)
    ops: list[tuple[str, dict[str, Any]]] = [("text", {"x": 4, "y": 14, "text": chart.title, "size": 13, "anchor": "start"})]
    series = chart.colored()
    n = max(len(chart.labels), 1)
    if chart.kind == "funnel":
        values = series[0].values if series else []
        first = max(values[0] if values else 0, 1)
        row_h = plot.h / max(len(values), 1)
        for i, (label, value) in enumerate(zip(chart.labels, values, strict=False)):
            bw = max(plot.w * 0.6 * value / first, 2)
            x = plot.x + (plot.w * 0.6 - bw) / 2
            y = plot.y + i * row_h + 2
            share = f" ({_fmt(100 * value / first)}%)" if i else ""
            ops.append(("rect", {"x": x, "y": y, "w": bw, "h": row_h - 4, "fill": PALETTE[i % len(PALETTE)]}))
            ops.append(("text", {"x": plot.x + plot.w * 0.62, "y": y + row_h / 2 + 2,
                                 "text": f"{label} {int(value)}{share}", "size": 11, "anchor": "start"}))
        return ops
    for k in range(5):  # grid and y labels
        v = top * k / 4
        y = plot.y + plot.h - plot.h * k / 4
        ops.append(("line", {"x1": plot.x, "y1": y, "x2": plot.x + plot.w, "y2": y, "stroke": "#dddddd"}))
        ops.append(("text", {"x": plot.x - 4, "y": y + 3, "text": _fmt(v), "size": 9, "anchor": "end"}))
    step = max(1, (n + 11) // 12)
    slot = plot.w / n
    for i, label in enumerate(chart.labels):
        if i % step == 0:
            ops.append(("text", {"x": plot.x + slot * (i + 0.5), "y": plot.y + plot.h + 13, "text": label, "size": 9,
                                 "anchor": "middle"}))
    if chart.kind == "stacked":
        for i in range(n):
            base = 0.0
            for s in series:
                v = s.values[i] if i < len(s.values) else 0
                if v:
                    bh = plot.h * v / top
                    y = plot.y + plot.h - plot.h * (base + v) / top
                    ops.append(("rect", {"x": plot.x + slot * i + slot * 0.15, "y": y, "w": slot * 0.7, "h": bh,
                                         "fill": s.color, "title": f"{chart.labels[i]} {s.name} {int(v)}"}))
                base += v
    else:
        for s in series:
            pts = [(plot.x + slot * (i + 0.5), plot.y + plot.h - plot.h * v / top) for i, v in enumerate(s.values)]
            ops.append(("polyline", {"points": pts, "stroke": s.color}))
    if legend_h:
        x = plot.x
        for s in series:
            ops.append(("rect", {"x": x, "y": h - 12, "w": 10, "h": 10, "fill": s.color}))
            ops.append(("text", {"x": x + 14, "y": h - 3, "text": s.name, "size": 10, "anchor": "start"}))
            x += 24 + 11 * len(s.name)
    return ops


def svg(chart: Chart, w: int = 640, h: int = 240) -> str:
    """An accessible SVG: ``role="img"``, a title, and a ``<title>`` on every bar."""
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" '
             f'aria-label="{escape(chart.title)}" class="chart"><title>{escape(chart.title)}</title>']
    for op, a in primitives(chart, w, h):
        if op == "rect":
            tip = f"<title>{escape(a['title'])}</title>" if a.get("title") else ""
            parts.append(f'<rect x="{a["x"]:.1f}" y="{a["y"]:.1f}" width="{a["w"]:.1f}" height="{a["h"]:.1f}" '
                         f'fill="{a["fill"]}">{tip}</rect>')
        elif op == "line":
            parts.append(f'<line x1="{a["x1"]:.1f}" y1="{a["y1"]:.1f}" x2="{a["x2"]:.1f}" y2="{a["y2"]:.1f}" '
                         f'stroke="{a["stroke"]}" stroke-width="1"/>')
        elif op == "polyline":
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in a["points"])
            parts.append(f'<polyline points="{pts}" fill="none" stroke="{a["stroke"]}" stroke-width="2"/>')
        elif op == "text":
            parts.append(f'<text x="{a["x"]:.1f}" y="{a["y"]:.1f}" font-size="{a["size"]}" '
                         f'text-anchor="{a["anchor"]}" fill="#333333">{escape(str(a["text"]))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def draw_pdf(pdf: Any, chart: Chart, x: float, y: float, w: float, h: float, font: str) -> None:
    """The same primitives drawn on an fpdf2 page: the box (x, y, w, h) in mm; 640 × 240 units scaled into it."""
    sx, sy = w / 640, h / 240
    for op, a in primitives(chart, 640, 240):
        if op == "rect":
            pdf.set_fill_color(*_rgb(a["fill"]))
            pdf.rect(x + a["x"] * sx, y + a["y"] * sy, a["w"] * sx, a["h"] * sy, style="F")
        elif op == "line":
            pdf.set_draw_color(*_rgb(a["stroke"]))
            pdf.set_line_width(0.1)
            pdf.line(x + a["x1"] * sx, y + a["y1"] * sy, x + a["x2"] * sx, y + a["y2"] * sy)
        elif op == "polyline":
            pdf.set_draw_color(*_rgb(a["stroke"]))
            pdf.set_line_width(0.5)
            pts = a["points"]
            for (x1, y1), (x2, y2) in pairwise(pts):
                pdf.line(x + x1 * sx, y + y1 * sy, x + x2 * sx, y + y2 * sy)
        elif op == "text":
            size = a["size"] * 0.75
            pdf.set_font(font, size=size)
            text = str(a["text"])
            tw = pdf.get_string_width(text)
            tx = x + a["x"] * sx - (tw if a["anchor"] == "end" else tw / 2 if a["anchor"] == "middle" else 0)
            pdf.text(tx, y + a["y"] * sy, text)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
