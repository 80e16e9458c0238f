"""The human-editable notation for weekly hours and exceptions used in YAML and CSV files.

Weekly slot:  "Mo-Fr 10:00-12:00", "Mo,Mi 10-12 telefonisch", "Mi 9:00-13:00 nur mit Termin"
Exception:    "2026-12-24 geschlossen", "2026-12-27..2026-12-31 geschlossen: Betriebsferien",
              "2026-12-31 10:00-12:00: Silvester, verkürzt"
Notice:       "2026-12-23..2027-01-02: Vom 23.12. bis 2.1. ist das Büro geschlossen."
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time

WEEKDAYS = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
_DAY_INDEX = {name.lower(): index for index, name in enumerate(WEEKDAYS)}
MODE_WORDS = {"telefonisch": "phone", "persönlich": "in_person", "persoenlich": "in_person"}
APPOINTMENT_WORDS = "nur mit termin"

_TIME = r"(\d{1,2})(?::(\d{2}))?"
_SLOT = re.compile(rf"^(?P<days>[A-Za-z,\- ]+?)\s+{_TIME}\s*-\s*{_TIME}(?P<rest>.*)$")
_EXCEPTION = re.compile(
    rf"^(?P<start>\d{{4}}-\d{{2}}-\d{{2}})(?:\.\.(?P<end>\d{{4}}-\d{{2}}-\d{{2}}))?\s+"
    rf"(?:(?P<closed>geschlossen)|{_TIME}\s*-\s*{_TIME})\s*(?::\s*(?P<note>.*))?$"
)


_NOTICE = re.compile(
    r"^(?P<start>\d{4}-\d{2}-\d{2})(?:\.\.(?P<end>\d{4}-\d{2}-\d{2}))?\s*:\s*(?P<text>.+)$"
)
NOTICE_MAX_CHARS = 300  # what the chat widget shows in one short paragraph


class HoursSyntaxError(ValueError):
    """A message in German that says what is wrong and what is expected."""


@dataclass(frozen=True)
class WeeklySlot:
    weekday: int
    opens: time
    closes: time
    mode: str = "in_person"
    appointment_only: bool = False


@dataclass(frozen=True)
class ExceptionEntry:
    date_from: date
    date_to: date
    closed: bool
    opens: time | None = None
    closes: time | None = None
    note: str | None = None


@dataclass(frozen=True)
class NoticeEntry:
    """A short current notice ("Aktueller Hinweis") shown from date_from to date_to."""

    date_from: date
    date_to: date
    text: str


def _time(hours: str, minutes: str | None) -> time:
    h, m = int(hours), int(minutes or 0)
    if h == 24 and m == 0:
        return time(23, 59)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise HoursSyntaxError(f"Uhrzeit {hours}:{minutes or '00'} gibt es nicht")
    return time(h, m)


def _days(text: str) -> list[int]:
    days: list[int] = []
    for part in text.replace(" ", "").split(","):
        bounds = part.split("-")
        try:
            indexes = [_DAY_INDEX[bound.lower()[:2]] for bound in bounds]
        except KeyError:
            raise HoursSyntaxError(
                f"Wochentag {part!r} unbekannt (erlaubt: {', '.join(WEEKDAYS)}, z. B. 'Mo-Fr')"
            ) from None
        if len(indexes) == 1:
            days.append(indexes[0])
        elif len(indexes) == 2 and indexes[0] <= indexes[1]:
            days.extend(range(indexes[0], indexes[1] + 1))
        else:
            raise HoursSyntaxError(f"Tagesbereich {part!r} ist ungültig (z. B. 'Mo-Fr')")
    return days


def _check_order(opens: time, closes: time) -> None:
    if closes <= opens:
        raise HoursSyntaxError(f"Ende {closes:%H:%M} liegt nicht nach Beginn {opens:%H:%M}")


def parse_slot(text: str) -> list[WeeklySlot]:
    match = _SLOT.match(text.strip())
    if not match:
        raise HoursSyntaxError(
            f"{text!r} nicht lesbar; erwartet z. B. 'Mo-Fr 10:00-12:00' oder "
            "'Mi 9:00-13:00 telefonisch nur mit Termin'"
        )
    g = match.groups()
    opens, closes = _time(g[1], g[2]), _time(g[3], g[4])
    _check_order(opens, closes)
    rest = match.group("rest").strip().lower()
    appointment_only = APPOINTMENT_WORDS in rest
    rest = rest.replace(APPOINTMENT_WORDS, "").strip()
    mode = "in_person"
    if rest:
        if rest not in MODE_WORDS:
            raise HoursSyntaxError(
                f"Zusatz {rest!r} unbekannt "
                "(erlaubt: 'telefonisch', 'persönlich', 'nur mit Termin')"
            )
        mode = MODE_WORDS[rest]
    return [
        WeeklySlot(day, opens, closes, mode, appointment_only) for day in _days(match.group("days"))
    ]


def _date_span(match: re.Match[str], text: str) -> tuple[date, date]:
    try:
        start = date.fromisoformat(match.group("start"))
        end = date.fromisoformat(match.group("end") or match.group("start"))
    except ValueError as exc:
        raise HoursSyntaxError(f"Datum in {text!r} gibt es nicht") from exc
    if end < start:
        raise HoursSyntaxError(
            f"Enddatum {end:%d.%m.%Y} liegt vor dem Anfangsdatum {start:%d.%m.%Y}"
        )
    return start, end


def parse_exception(text: str) -> ExceptionEntry:
    match = _EXCEPTION.match(text.strip())
    if not match:
        raise HoursSyntaxError(
            f"{text!r} nicht lesbar; erwartet z. B. '2026-12-24 geschlossen' oder "
            "'2026-12-31 10:00-12:00: Silvester'"
        )
    start, end = _date_span(match, text)
    note = (match.group("note") or "").strip() or None
    if match.group("closed"):
        return ExceptionEntry(start, end, True, note=note)
    g = match.groups()
    opens, closes = _time(g[3], g[4]), _time(g[5], g[6])
    _check_order(opens, closes)
    return ExceptionEntry(start, end, False, opens, closes, note)


def parse_notice(text: str) -> NoticeEntry:
    match = _NOTICE.match(text.strip())
    if not match:
        raise HoursSyntaxError(
            f"{text!r} nicht lesbar; erwartet z. B. "
            "'2026-12-23..2027-01-02: Vom 23.12. bis 2.1. ist das Büro geschlossen.'"
        )
    start, end = _date_span(match, text)
    body = match.group("text").strip()
    if len(body) > NOTICE_MAX_CHARS:
        raise HoursSyntaxError(
            f"Hinweis zu lang ({len(body)} Zeichen, höchstens {NOTICE_MAX_CHARS}); "
            "bitte kürzen Sie ihn"
        )
    return NoticeEntry(start, end, body)


def format_notice(entry: NoticeEntry) -> str:
    span = entry.date_from.isoformat()
    if entry.date_to != entry.date_from:
        span += f"..{entry.date_to.isoformat()}"
    return f"{span}: {entry.text}"


def overlaps(slots: list[tuple[int, WeeklySlot]]) -> list[tuple[int, int]]:
    """(line index, earlier line index) for each slot that overlaps an earlier one of the same
    weekday and mode (in person and by phone may run at the same time)."""
    found: list[tuple[int, int]] = []
    for position, (index, slot) in enumerate(slots):
        for other_index, other in slots[:position]:
            if (
                other_index != index
                and other.weekday == slot.weekday
                and other.mode == slot.mode
                and slot.opens < other.closes
                and other.opens < slot.closes
            ):
                found.append((index, other_index))
                break
    return found


def _hhmm(value: time) -> str:
    return f"{value:%H:%M}"


def format_slots(slots: list[WeeklySlot]) -> list[str]:
    """Inverse of parse_slot: consecutive weekdays with equal times become 'Mo-Fr'."""
    groups: dict[tuple[time, time, str, bool], list[int]] = {}
    for slot in slots:
        groups.setdefault((slot.opens, slot.closes, slot.mode, slot.appointment_only), []).append(
            slot.weekday
        )
    lines = []
    for (opens, closes, mode, appointment), days in sorted(
        groups.items(), key=lambda item: (min(item[1]), item[0][0])
    ):
        suffix = " telefonisch" if mode == "phone" else ""
        suffix += " nur mit Termin" if appointment else ""
        lines.append(f"{_day_ranges(sorted(set(days)))} {_hhmm(opens)}-{_hhmm(closes)}{suffix}")
    return lines


def _day_ranges(days: list[int]) -> str:
    parts: list[str] = []
    start = prev = days[0]
    for day in [*days[1:], None]:
        if day is not None and day == prev + 1:
            prev = day
            continue
        parts.append(WEEKDAYS[start] if start == prev else f"{WEEKDAYS[start]}-{WEEKDAYS[prev]}")
        if day is not None:
            start = prev = day
    return ",".join(parts)


def format_exception(entry: ExceptionEntry) -> str:
    span = entry.date_from.isoformat()
    if entry.date_to != entry.date_from:
        span += f"..{entry.date_to.isoformat()}"
    body = "geschlossen" if entry.closed else f"{_hhmm(entry.opens)}-{_hhmm(entry.closes)}"  # type: ignore[arg-type]
    return f"{span} {body}" + (f": {entry.note}" if entry.note else "")
