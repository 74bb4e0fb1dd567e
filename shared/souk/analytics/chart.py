"""An SVG chart of a metric's points (pure: no AWS), fixed size, every text escaped.

Revenue and counts are bars; topProducts charts the units of each bucket's top products summed.
"""

from __future__ import annotations

from html import escape

from souk.analytics.schemas import AnalyticsOut, Point
from souk.money import Money

WIDTH, HEIGHT = 640, 320
MARGIN = 40


def value_of(point: Point) -> int:
    if isinstance(point.value, Money):
        return point.value.amount
    if isinstance(point.value, list):
        return sum(p.quantity for p in point.value)
    return int(point.value)


def render(out: AnalyticsOut, title: str) -> str:
    """The chart as an SVG document (``title`` is escaped, so are the labels)."""
    values = [value_of(p) for p in out.points]
    top = max(values, default=0) or 1
    plot_w, plot_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    step = plot_w / max(len(values), 1)
    bar = max(step * 0.8, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title, quote=True)}">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{MARGIN}" y="24" font-family="sans-serif" font-size="14">{escape(title)}</text>',
        f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN}" y2="{HEIGHT - MARGIN}" stroke="#999"/>',
        f'<text x="4" y="{MARGIN + 4}" font-family="sans-serif" font-size="10">{top}</text>',
    ]
    for index, (point, value) in enumerate(zip(out.points, values, strict=True)):
        height = plot_h * value / top
        x = MARGIN + index * step
        label = escape(f"{point.start.isoformat()}: {value}")
        parts.append(f'<rect x="{x:.1f}" y="{HEIGHT - MARGIN - height:.1f}" width="{bar:.1f}" '
                     f'height="{height:.1f}" fill="#3b82f6"><title>{label}</title></rect>')  # fmt: skip
    if out.points:
        parts.append(f'<text x="{MARGIN}" y="{HEIGHT - 12}" font-family="sans-serif" font-size="10">'
                     f"{escape(out.points[0].start.isoformat())}</text>")  # fmt: skip
        parts.append(f'<text x="{WIDTH - MARGIN}" y="{HEIGHT - 12}" text-anchor="end" font-family="sans-serif" '
                     f'font-size="10">{escape(out.points[-1].start.isoformat())}</text>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def title_of(out: AnalyticsOut, scope_label: str) -> str:
    return f"{out.metric} per {out.interval} ({scope_label})"
