"""German, senior-friendly formatting: short lines, "9 bis 12 Uhr", no jargon.

Other action modules (handoff, answers) may import these helpers.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

WEEKDAY_NAMES = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
MONTH_NAMES = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)


def clock(value: time | datetime) -> str:
    """9:00 -> '9', 8:30 -> '8:30'."""
    return f"{value.hour}" if value.minute == 0 else f"{value.hour}:{value.minute:02d}"


def time_range(start: time | datetime, end: time | datetime) -> str:
    """'9 bis 12 Uhr'."""
    return f"{clock(start)} bis {clock(end)} Uhr"


def day_label(day: date, today: date) -> str:
    """'heute', 'morgen', or 'Dienstag, 1. Dezember'."""
    delta = (day - today).days
    if delta == 0:
        return "heute"
    if delta == 1:
        return "morgen"
    return f"{WEEKDAY_NAMES[day.weekday()]}, {day.day}. {MONTH_NAMES[day.month - 1]}"


def capitalize_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def distance(km: float) -> str:
    """'weniger als 1 km', 'etwa 3,5 km', 'etwa 12 km' (straight line)."""
    if km < 1:
        return "weniger als 1 km"
    if km < 10:
        return f"etwa {km:.1f} km".replace(".", ",")
    return f"etwa {round(km)} km"


def address(street: str | None, postal_code: str | None, city: str | None) -> str | None:
    """'Hörder Bahnhofstraße 16, 44263 Dortmund'; None without a street."""
    if not street:
        return None
    town = " ".join(part for part in (postal_code, city) if part)
    return f"{street}, {town}" if town else street


def join_or(items: list[str]) -> str:
    """'A', 'A oder B', 'A, B oder C'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} oder {items[-1]}"


def join_and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} und {items[-1]}"


UNKNOWN_AS_OF = "Wie aktuell diese Angaben sind, weiß ich nicht. Fragen Sie bitte vorher nach."


def stand_for_people(as_of: str | None) -> str:
    """An office's as-of note for users: "2024-03 (Recherche)" -> "Angaben vom März 2024".

    Notes in the knowledge base ("unbekannt (Artikel aus der Corona-Zeit)") are for the
    editors; users only see the date, or that it is unknown.
    """
    text = str(as_of or "").strip()
    month = re.match(r"^(\d{4})-(\d{2})(?:-(\d{2}))?\b", text)
    if month and 1 <= int(month.group(2)) <= 12:
        day = f"{int(month.group(3))}. " if month.group(3) else ""
        return f"Angaben vom {day}{MONTH_NAMES[int(month.group(2)) - 1]} {month.group(1)}"
    year = re.match(r"^(\d{4})\b", text)
    if year:
        return f"Angaben aus dem Jahr {year.group(1)}"
    return UNKNOWN_AS_OF
