"""The protected report as tables (for the web page, CSV and XLSX) and chart data.

Only this module turns exact `Report` numbers into what people see; every count passes
through `Disclosure`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from insight.disclosure import Disclosure, format_duration, format_int
from insight.report import Report
from insight.topics import (
    CALLBACK_STATUS_LABELS,
    UNKNOWN,
    WEEKDAY_NAMES,
    channel_label,
    reason_label,
    topic_label,
)

PERIOD_LABELS = {"day": "Tag", "week": "Woche", "month": "Monat"}


@dataclass
class Table:
    key: str
    title: str
    header: list[str]
    rows: list[list[Any]]  # display values: str for text/suppressed, int for published counts
    note: str = ""
    chart: list[tuple[str, int | None]] = field(default_factory=list)  # label, value or None


def _count_rows(items: list[tuple[str, int]], label: Any, d: Disclosure,
                merge: bool = False) -> tuple[list[list[Any]], list[tuple[str, int | None]]]:
    merged: dict[str, int] = {}
    for key, n in items:
        name = label(key)
        merged[name] = merged.get(name, 0) + n if merge else n
    ordered = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
    rows = [[name, _cell(d, n)] for name, n in ordered]
    chart = [(name, d.value(n)) for name, n in ordered]
    return rows, chart


def _cell(d: Disclosure, n: int) -> Any:
    shown = d.value(n)
    return d.suppressed_text if shown is None else shown


def display(value: Any) -> str:
    return format_int(value) if isinstance(value, int) else str(value)


def build_tables(report: Report, d: Disclosure) -> list[Table]:
    tables: list[Table] = []
    f = report.filter
    tables.append(Table(
        "summary", "Überblick", ["Kennzahl", "Wert"],
        [
            ["Gespräche", _cell(d, report.conversations)],
            ["Nutzerinnen und Nutzer (verschieden)", _cell(d, report.users)],
            ["Nachrichten von Ratsuchenden", _cell(d, report.messages)],
            ["Gespräche mit Übergabe an einen Menschen", _cell(d, report.handoffs)],
            ["Anteil Gespräche mit Übergabe", d.share_text(report.handoffs, report.conversations)],
            ["Nicht verstandene Nachrichten", _cell(d, report.fallback_messages)],
            ["Anteil nicht verstandener Nachrichten",
             d.share_text(report.fallback_messages, report.messages)],
            ["Offene Nachrichten in der Prüfliste", _cell(d, report.review_open)],
        ],
        note="Gespräch = eine Sitzung im Chat (neue Sitzung nach 60 Minuten Pause).",
    ))
    rows, chart = [], []
    for key, conv, users, msgs in report.series:
        rows.append([key, _cell(d, conv), _cell(d, users), _cell(d, msgs)])
        chart.append((key, d.value(conv)))
    tables.append(Table("series", f"Verlauf je {PERIOD_LABELS[f.period]}",
                        [PERIOD_LABELS[f.period], "Gespräche", "Nutzer/innen", "Nachrichten"],
                        rows, chart=chart))
    rows, chart = _count_rows(report.by_topic, topic_label, d)
    tables.append(Table("topics", "Nachrichten nach Thema", ["Thema", "Nachrichten"], rows,
                        chart=chart,
                        note="Thema aus der erkannten Absicht (Intent) der Nachricht."))
    rows, chart = _count_rows(report.by_channel, channel_label, d, merge=True)
    tables.append(Table("channels", "Gespräche nach Kanal", ["Kanal", "Gespräche"], rows,
                        chart=chart))
    rows, chart = _count_rows(report.by_municipality, lambda k: k or UNKNOWN, d)
    tables.append(Table("municipalities", "Gespräche nach Kommune", ["Kommune", "Gespräche"],
                        rows, chart=chart))
    rows, chart = _count_rows(report.by_office, lambda k: k or "Nicht zugeordnet", d)
    tables.append(Table("offices", "Gespräche nach Bürobereich", ["Büro / Bereich", "Gespräche"],
                        rows, chart=chart))
    source = ("Quelle: Übergaben im Beratungspult" if report.handoff_reason_source == "tickets"
              else "Quelle: Gesprächsverläufe des Bots")
    rows, chart = _count_rows(report.handoff_reasons, reason_label, d)
    tables.append(Table("handoff_reasons", "Übergaben an einen Menschen nach Anlass",
                        ["Anlass", "Übergaben"], rows, chart=chart, note=source))
    if report.callbacks is not None:
        rows, chart = _count_rows(report.callbacks,
                                  lambda k: CALLBACK_STATUS_LABELS.get(k, k or UNKNOWN), d)
        tables.append(Table("callbacks", "Rückrufwünsche nach Ergebnis", ["Ergebnis", "Rückrufe"],
                            rows, chart=chart))
    else:
        tables.append(Table("callbacks", "Rückrufwünsche nach Ergebnis", ["Ergebnis", "Rückrufe"],
                            [], note="Keine Rückrufdaten vorhanden."))
    for key, title, stats, note in (
        ("wait", "Wartezeit bis zur ersten Antwort einer Beraterin / eines Beraters",
         report.wait, "Von der Bitte um Übergabe bis zur ersten Nachricht aus dem Beratungspult."),
        ("ticket_wait", "Wartezeit bis zur Übernahme im Beratungspult", report.ticket_wait,
         "Von der Anlage der Übergabe bis zur Übernahme durch eine Beraterin / einen Berater."),
    ):
        if stats is None:
            continue
        enough = d.allows_statistic(stats.count)
        rows = [["Beantwortete Übergaben", _cell(d, stats.count)],
                ["Median", format_duration(stats.median_seconds) if enough else "–"],
                ["90 % der Fälle höchstens", format_duration(stats.p90_seconds) if enough else "–"]]
        rows += [[label, _cell(d, n)] for label, n in stats.buckets]
        tables.append(Table(key, title, ["Kennzahl", "Wert"], rows, note=note,
                            chart=[(label, d.value(n)) for label, n in stats.buckets]))
    tables += _rating_tables(report, d)
    header = ["Wochentag"] + [f"{h:02d}" for h in range(24)]
    rows = [[WEEKDAY_NAMES[wd]] + [_cell(d, report.heatmap.get((wd, h), 0)) for h in range(24)]
            for wd in range(7)]
    tables.append(Table("heatmap", "Nachfrage nach Wochentag und Uhrzeit (Nachrichten)", header,
                        rows, note="Ortszeit; Stunde 09 = 9:00 bis 9:59 Uhr."))
    return tables


def response_label(response: str | None) -> str:
    """utter_ask_pflegegrad/pflegegeld -> "pflegegrad/pflegegeld"; no name: a text the
    assistant composed itself (office look-up, hours …)."""
    if not response:
        return "Antwort ohne Namen (vom Assistenten zusammengestellt)"
    name = response[len("utter_"):] if response.startswith("utter_") else response
    return name[len("ask_"):] if name.startswith("ask_") else name


def _rating_tables(report: Report, d: Disclosure) -> list[Table]:
    note = ("Bewertungen „hilfreich / nicht hilfreich“ unter den Antworten im Web-Chat. "
            f"Jede Zahl einzeln geschützt (unter {d.min_count}: „<{d.min_count}“, "
            "sonst gerundet).")
    tables = []
    for key, title, first, items, label in (
        ("ratings_topics", "Bewertungen nach Thema", "Thema", report.ratings_by_topic,
         lambda k: topic_label(k) if k else "Ohne Thema"),
        ("ratings_answers", "Bewertungen nach Antwort", "Antwort", report.ratings_by_response,
         response_label),
    ):
        if items is None:
            tables.append(Table(key, title, [first, "hilfreich", "nicht hilfreich"], [],
                                note="Keine Bewertungen vorhanden."))
            continue
        rows = [[label(k), _cell(d, h), _cell(d, n)] for k, h, n in items]
        tables.append(Table(key, title, [first, "hilfreich", "nicht hilfreich"], rows,
                            note=note, chart=[(label(k), d.value(h)) for k, h, _ in items]))
    return tables


def heatmap_values(report: Report, d: Disclosure) -> list[list[int | None]]:
    return [[d.value(report.heatmap.get((wd, h), 0)) for h in range(24)] for wd in range(7)]


def peak_hours(report: Report, d: Disclosure, n: int = 5) -> list[str]:
    """The busiest hours of the week as text ("Mittwoch 15–16 Uhr: 50 Nachrichten")."""
    cells = sorted(((count, wd, h) for (wd, h), count in report.heatmap.items()
                    if d.value(count) is not None), key=lambda x: (-x[0], x[1], x[2]))[:n]
    return [f"{WEEKDAY_NAMES[wd]} {h:02d}–{h + 1:02d} Uhr: {display(d.value(count))} Nachrichten"
            for count, wd, h in cells]
