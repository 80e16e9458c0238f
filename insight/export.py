"""CSV and XLSX export of the protected report (same numbers as the web view)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from insight.disclosure import Disclosure
from insight.presentation import Table
from insight.report import Report

NOTE = ("Geheimhaltung: Werte unter {m} werden als \"<{m}\" ausgewiesen, alle anderen Zahlen "
        "sind auf Vielfache von {b} gerundet. Summen sind einzeln gerundet.")
SHEET_NAMES = {
    "summary": "Überblick", "series": "Verlauf", "topics": "Themen", "channels": "Kanäle",
    "municipalities": "Kommunen", "offices": "Bürobereiche", "handoff_reasons": "Übergaben",
    "callbacks": "Rückrufe", "wait": "Wartezeit", "ticket_wait": "Wartezeit Übernahme",
    "heatmap": "Wochentag und Uhrzeit", "ratings_topics": "Bewertungen Themen",
    "ratings_answers": "Bewertungen Antworten",
}


def _meta(report: Report, d: Disclosure) -> list[list[str]]:
    f = report.filter
    return [
        ["Quartierslotse – Auswertung der Hotline"],
        ["Zeitraum", f"{f.date_from:%d.%m.%Y} bis {f.date_to:%d.%m.%Y}"],
        ["Kommune", f.municipality or "alle"],
        ["Erstellt (UTC)", report.generated_at],
        [NOTE.format(m=d.min_count, b=d.rounding_base)],
    ]


def to_csv(report: Report, tables: list[Table], d: Disclosure) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for row in _meta(report, d):
        writer.writerow(row)
    for table in tables:
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.header)
        writer.writerows(table.rows)
        if table.note:
            writer.writerow([f"Hinweis: {table.note}"])
    return "\ufeff" + buffer.getvalue()  # BOM: German Excel opens UTF-8 correctly


def to_xlsx(report: Report, tables: list[Table], d: Disclosure) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    info = workbook.active
    info.title = "Info"
    for row in _meta(report, d):
        info.append(row)
    info["A1"].font = Font(bold=True, size=14)
    info.column_dimensions["A"].width = 24
    info.column_dimensions["B"].width = 40
    for table in tables:
        sheet = workbook.create_sheet(SHEET_NAMES.get(table.key, table.key)[:31])
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append(table.header)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(row)
        for row in sheet.iter_rows(min_row=3):
            for cell in row[1:]:
                cell.alignment = Alignment(horizontal="right")
        if table.note:
            sheet.append([])
            sheet.append([f"Hinweis: {table.note}"])
        sheet.column_dimensions["A"].width = 42
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write(report: Report, tables: list[Table], d: Disclosure, fmt: str, out: Path) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        out.write_text(to_csv(report, tables, d), encoding="utf-8", newline="")
    elif fmt == "xlsx":
        out.write_bytes(to_xlsx(report, tables, d))
    else:
        raise ValueError("Format muss csv oder xlsx sein.")
    return out
