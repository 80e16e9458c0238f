"""Server-side SVG charts: no JavaScript, no third-party requests, accessible (role="img",
<title> and <desc> with a text summary; each chart has the same data as a table next to it).
Suppressed cells (None) are drawn as a hatched stub labelled "<5"."""

from __future__ import annotations

import itertools
from html import escape

from markupsafe import Markup

from insight.disclosure import format_int

_ids = itertools.count(1)
BAR = "#1f5f8b"
TEXT = "#1a1a1a"
GRID = "#c8c8c8"
FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Arial, sans-serif\""

HATCH = ('<defs><pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse" '
         'patternTransform="rotate(45)"><rect width="6" height="6" fill="#e8e8e8"/>'
         '<line x1="0" y1="0" x2="0" y2="6" stroke="#8a8a8a" stroke-width="2"/></pattern></defs>')


def _open(width: int, height: int, title: str, desc: str) -> tuple[str, str]:
    n = next(_ids)
    tid, did, pid = f"chart-t{n}", f"chart-d{n}", f"hatch{n}"
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="100%" role="img" aria-labelledby="{tid} {did}" class="chart" {FONT}>'
            f'<title id="{tid}">{escape(title)}</title><desc id="{did}">{escape(desc)}</desc>'
            + HATCH.format(pid=pid))
    return head, pid


def _label(value: int | None) -> str:
    return "<5" if value is None else format_int(value)


def _summary(data: list[tuple[str, int | None]], unit: str) -> str:
    shown = [f"{label}: {_label(value)}" for label, value in data[:12]]
    more = f" und {len(data) - 12} weitere" if len(data) > 12 else ""
    return f"{unit} – " + "; ".join(shown) + more if data else "Keine Daten im gewählten Zeitraum."


def hbar_chart(title: str, data: list[tuple[str, int | None]], unit: str = "Anzahl") -> Markup:
    """Horizontal bars, one per category (topics, channels, municipalities …)."""
    label_w, bar_w, row_h, top = 285, 280, 30, 8
    width = label_w + bar_w + 70
    height = top * 2 + max(1, len(data)) * row_h
    head, pid = _open(width, height, title, _summary(data, unit))
    parts = [head]
    top_value = max([v for _, v in data if v is not None] or [1])
    if not data:
        parts.append(f'<text x="10" y="24" fill="{TEXT}" font-size="14">Keine Daten</text>')
    for i, (label, value) in enumerate(data):
        y = top + i * row_h
        text = label if len(label) <= 30 else label[:28] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + 20}" text-anchor="end" font-size="15" '
                     f'fill="{TEXT}">{escape(text)}</text>')
        if value is None:
            parts.append(f'<rect x="{label_w}" y="{y + 4}" width="14" height="{row_h - 8}" '
                         f'fill="url(#{pid})" stroke="#8a8a8a"/>')
            w = 14
        else:
            w = max(2, round(bar_w * value / top_value))
            parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="{row_h - 8}" '
                         f'fill="{BAR}"/>')
        parts.append(f'<text x="{label_w + w + 6}" y="{y + 20}" font-size="15" fill="{TEXT}">'
                     f'{escape(_label(value))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(title: str, data: list[tuple[str, int | None]], unit: str = "Anzahl") -> Markup:
    """Vertical columns over time (series per day/week/month)."""
    left, right, top, bottom = 64, 12, 14, 70
    plot_h = 220
    width = 900  # fixed drawing width: the chart scales with the page, not with the data
    n = max(1, len(data))
    col_w = (width - left - right) / n
    height = top + plot_h + bottom
    head, pid = _open(width, height, title, _summary(data, unit))
    parts = [head]
    top_value = max([v for _, v in data if v is not None] or [1])
    for frac in (0, 0.5, 1):
        y = top + plot_h - plot_h * frac
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                     f'stroke="{GRID}"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="13" '
                     f'fill="{TEXT}">{format_int(round(top_value * frac))}</text>')
    step = max(1, -(-n // 16))  # at most 16 axis labels
    for i, (label, value) in enumerate(data):
        x = left + i * col_w
        if value is None:
            h = 6.0
            fill = f"url(#{pid})"
        else:
            h = max(1, plot_h * value / top_value)
            fill = BAR
        gap = min(6.0, col_w * 0.15)
        parts.append(f'<rect x="{x + gap / 2:.1f}" y="{top + plot_h - h:.1f}" '
                     f'width="{col_w - gap:.1f}" '
                     f'height="{h:.1f}" fill="{fill}"><title>{escape(label)}: '
                     f'{escape(_label(value))}</title></rect>')
        if i % step == 0:
            lx, ly = x + col_w / 2, top + plot_h + 12
            parts.append(f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="13" fill="{TEXT}" '
                         f'text-anchor="end" transform="rotate(-45 {lx:.1f} {ly:.1f})">'
                         f'{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _blue(frac: float) -> str:
    # from light (#eef4f9) to dark (#0b3c5d); dark cells get white text
    lo, hi = (0xEE, 0xF4, 0xF9), (0x0B, 0x3C, 0x5D)
    r, g, b = (round(a + (z - a) * frac) for a, z in zip(lo, hi, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(title: str, rows: list[str], values: list[list[int | None]],
            unit: str = "Nachrichten") -> Markup:
    """Weekday x hour grid; darker = more demand."""
    left, top, cell_w, cell_h = 90, 24, 30, 28
    width = left + 24 * cell_w + 10
    height = top + len(rows) * cell_h + 40
    flat = [(rows[r], h, v) for r, row in enumerate(values) for h, v in enumerate(row)]
    known = [v for _, _, v in flat if v is not None]
    top_value = max(known or [1])
    busiest = sorted(((day, h, v) for day, h, v in flat if v is not None),
                     key=lambda x: -x[2])[:3]
    desc = ("Die meiste Nachfrage: " + "; ".join(
        f"{day} {h:02d}–{h + 1:02d} Uhr ({format_int(v)} {unit})" for day, h, v in busiest)
        if busiest else "Keine Daten im gewählten Zeitraum.")
    head, pid = _open(width, height, title, desc)
    parts = [head]
    for h in range(24):
        parts.append(f'<text x="{left + h * cell_w + cell_w / 2}" y="{top - 8}" font-size="11" '
                     f'text-anchor="middle" fill="{TEXT}">{h:02d}</text>')
    for r, name in enumerate(rows):
        y = top + r * cell_h
        parts.append(f'<text x="{left - 8}" y="{y + cell_h / 2 + 4}" text-anchor="end" '
                     f'font-size="13" fill="{TEXT}">{escape(name)}</text>')
        for h, value in enumerate(values[r]):
            x = left + h * cell_w
            if value is None:
                fill, label, color = f"url(#{pid})", "", TEXT
            else:
                frac = value / top_value
                fill, color = _blue(frac), "#ffffff" if frac > 0.55 else TEXT
                label = format_int(value) if cell_w >= 30 and value < 10000 else ""
            parts.append(f'<rect x="{x}" y="{y}" width="{cell_w - 1}" height="{cell_h - 1}" '
                         f'fill="{fill}"><title>{escape(name)} {h:02d}–{h + 1:02d} Uhr: '
                         f'{escape(_label(value))}</title></rect>')
            if label:
                parts.append(f'<text x="{x + cell_w / 2 - 0.5}" y="{y + cell_h / 2 + 4}" '
                             f'font-size="10" text-anchor="middle" fill="{color}">{label}</text>')
    ly = top + len(rows) * cell_h + 22
    parts.append(f'<rect x="{left}" y="{ly - 11}" width="14" height="14" fill="url(#{pid})" '
                 f'stroke="#8a8a8a"/><text x="{left + 20}" y="{ly}" font-size="12" fill="{TEXT}">'
                 f'weniger als 5 (nicht ausgewiesen)</text>')
    parts.append(f'<rect x="{left + 260}" y="{ly - 11}" width="14" height="14" '
                 f'fill="{_blue(0.1)}"/><text x="{left + 280}" y="{ly}" font-size="12" '
                 f'fill="{TEXT}">wenig</text><rect x="{left + 330}" y="{ly - 11}" width="14" '
                 f'height="14" fill="{_blue(1)}"/><text x="{left + 350}" y="{ly}" font-size="12" '
                 f'fill="{TEXT}">viel Nachfrage</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
