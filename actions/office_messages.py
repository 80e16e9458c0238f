"""Texts about offices and places, composed from the knowledge base (German, Sie-Form)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from actions.answers import RELATION_PHRASES
from actions.formatting import (
    WEEKDAY_NAMES,
    address,
    capitalize_first,
    clock,
    day_label,
    distance,
    join_and,
    join_or,
    stand_for_people,
    time_range,
)
from bot.content.texts import text as fact_text
from knowledge.hours import Opening, current_opening, day_plan, local_zone, next_opening
from knowledge.locate import Resolution
from knowledge.models import Office
from knowledge.notices import notices_on
from knowledge.queries import Hotline, OfficeHit

EXAMPLE_WARNING = "Achtung: Das sind Beispieldaten – diese Angaben sind nicht bestätigt."
NO_HOURS = "Sprechzeiten: Dazu habe ich keine bestätigten Angaben."
PFLEGETELEFON_LINE = fact_text("pflegetelefon_line")
ASK_PLACE = "Wo wohnen Sie? Nennen Sie bitte Ihren Ort, Stadtteil oder Ihre Postleitzahl."
ASK_HANDOFF_PLACE = (
    "Damit sich die richtige Beratungsstelle bei Ihnen meldet: In welchem Ort oder Stadtteil "
    "wohnen Sie – oder die Person, um die es geht? Eine Postleitzahl hilft auch.")
PLURAL_RELATIONS = {"Eltern"}
MAX_BUTTONS = 6
SHOW_DISTANCE_FROM_KM = 1.5
UPCOMING_EXCEPTION_DAYS = 14


def place_question(relation: object, for_handoff: bool = False) -> str:
    """The place question, addressed to the person it is about when the user asks for a
    relative ("Wo wohnt Ihre Mutter?"), else to the user."""
    # "für Ihren Vater" -> "Ihr Vater" (the relations of actions/answers.py, as the subject)
    phrase = RELATION_PHRASES.get(relation) if isinstance(relation, str) else None
    if phrase is None:
        return ASK_HANDOFF_PLACE if for_handoff else ASK_PLACE
    subject = phrase.replace("Ihren ", "Ihr ", 1)
    verb = "wohnen" if relation in PLURAL_RELATIONS else "wohnt"
    if for_handoff:
        return ("Damit sich die richtige Beratungsstelle bei Ihnen meldet: In welchem Ort oder "
                f"Stadtteil {verb} {subject}? Eine Postleitzahl hilft auch.")
    return f"Wo {verb} {subject}? Nennen Sie bitte den Ort, den Stadtteil oder die Postleitzahl."


def now() -> datetime:
    """The current time (tests replace this)."""
    return datetime.now(timezone.utc)


def local_today(at: datetime) -> date:
    return at.astimezone(local_zone()).date()


# ---- hours ------------------------------------------------------------------------------


def _days_text(days: list[int]) -> str:
    if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
        return f"{WEEKDAY_NAMES[days[0]]} bis {WEEKDAY_NAMES[days[-1]]}"
    return join_and([WEEKDAY_NAMES[day] for day in days])


def _extras(mode: str, appointment_only: bool) -> str:
    extras = (["telefonisch"] if mode == "phone" else []) + (
        ["nur mit Termin"] if appointment_only else []
    )
    return f" ({', '.join(extras)})" if extras else ""


def weekly_lines(office: Office) -> list[str]:
    """'Montag bis Freitag: 10 bis 12 Uhr', 'Donnerstag: 16 bis 18 Uhr (telefonisch)'."""
    groups: dict[tuple, list[int]] = {}
    for slot in office.hours:
        key = (slot.opens, slot.closes, slot.mode, slot.appointment_only)
        groups.setdefault(key, []).append(slot.weekday)
    ordered = sorted(
        groups.items(), key=lambda item: (item[0][2] == "phone", min(item[1]), item[0][0])
    )
    return [
        f"{_days_text(sorted(days))}: {time_range(opens, closes)}{_extras(mode, appointment)}"
        for (opens, closes, mode, appointment), days in ordered
    ]


def _opening_text(opening: Opening, today: date) -> str:
    start = opening.start
    return (
        f"{day_label(start.date(), today)}, {time_range(start, opening.end)}"
        f"{_extras(opening.mode, opening.appointment_only)}"
    )


def status_lines(office: Office, at: datetime) -> list[str]:
    """Whether the office is open now, or when it opens next ('Nächste Sprechstunde: …')."""
    today = local_today(at)
    local = at.astimezone(local_zone())
    lines: list[str] = []
    current = current_opening(office, at, include_phone=True, include_appointment_only=True)
    if current is not None:
        what = "telefonisch erreichbar" if current.mode == "phone" else "geöffnet"
        lines.append(
            f"Jetzt {what}, heute bis {clock(current.end)} Uhr"
            f"{' (nur mit Termin)' if current.appointment_only else ''}."
        )
        if current.mode == "in_person":
            return lines
    plan = day_plan(office, today)
    later = [o for o in plan.openings if o.start > local and o.mode == "in_person"]
    if not lines:
        if later:
            lines.append(
                f"Heute geöffnet von {time_range(later[0].start, later[0].end)}"
                f"{_extras(later[0].mode, later[0].appointment_only)}."
            )
            return lines
        reason = f" ({plan.closed_reason})" if plan.closed_reason else ""
        lines.append(f"Jetzt geschlossen{reason}.")
    upcoming = next_opening(office, at) or next_opening(office, at, include_phone=True)
    if upcoming is not None:
        lines.append(f"Nächste Sprechstunde: {_opening_text(upcoming, today)}.")
    return lines


def day_lines(office: Office, day: date, at: datetime) -> list[str]:
    """The consultation hours of one calendar day, honouring holidays and exceptions."""
    plan = day_plan(office, day)
    label = day_label(day, local_today(at))
    if plan.openings:
        slots = join_and(
            [
                f"{time_range(o.start, o.end)}{_extras(o.mode, o.appointment_only)}"
                for o in plan.openings
            ]
        )
        return [f"{capitalize_first(label)}: {slots}."]
    reason = f" ({plan.closed_reason})" if plan.closed_reason else ""
    return [f"{capitalize_first(label)} ist keine Sprechstunde{reason}."]


def notice_lines(office: Office, at: datetime) -> list[str]:
    """The office's and its municipality's current notices ("Aktuelle Hinweise")."""
    return [f"Aktueller Hinweis: {text}" for text in notices_on(office, local_today(at))]


def exception_lines(office: Office, at: datetime) -> list[str]:
    """Closures and changed hours in the coming days ('Morgen geschlossen (Betriebsausflug).')."""
    today = local_today(at)
    horizon = today + timedelta(days=UPCOMING_EXCEPTION_DAYS)
    lines = []
    for entry in office.exceptions:
        if entry.date_to < today or entry.date_from > horizon:
            continue
        start = max(entry.date_from, today)
        span = day_label(start, today)
        if entry.date_to > start:
            span += f" bis {day_label(entry.date_to, today)}"
        what = "geschlossen" if entry.closed else f"nur {time_range(entry.opens, entry.closes)}"
        note = f" ({entry.note})" if entry.note else ""
        lines.append(f"{capitalize_first(span)} {what}{note}.")
    return lines


def contact_line(office: Office, hotline: Hotline | None) -> str:
    if office.phone:
        return f"Bitte rufen Sie vorher an: {office.phone}."
    if hotline and hotline.phone:
        return f"Bitte fragen Sie bei der Stadt {hotline.municipality} nach: {hotline.phone}."
    return "Eine Telefonnummer habe ich leider nicht."


def hours_lines(office: Office, at: datetime, hotline: Hotline | None) -> list[str]:
    if not office.hours and not office.exceptions:
        lines = [NO_HOURS]
        if office.hours_text:
            lines.append(f"Laut Quelle: {office.hours_text}.".replace("..", "."))
        return [*lines, contact_line(office, hotline)]
    lines = (
        ["Sprechzeiten:", *weekly_lines(office), *status_lines(office, at)]
        if office.hours
        else status_lines(office, at)
    )
    if office.hours_caveat:
        lines.append(office.hours_caveat)
    return lines


# ---- offices ------------------------------------------------------------------------------


def office_block(
    office: Office, at: datetime, hotline: Hotline | None, distance_km: float | None = None
) -> str:
    """Name, address, phone, distance and 'open now' of one office, in short lines."""
    lines = [office.name]
    if office.example:
        lines.append(EXAMPLE_WARNING)
    street = address(office.street, office.postal_code, office.city)
    lines.append(f"Adresse: {street}" if street else "Die genaue Adresse kenne ich leider nicht.")
    if office.phone:
        lines.append(f"Telefon: {office.phone}")
    if office.email:
        lines.append(f"E-Mail: {office.email}")
    if distance_km is not None:
        lines.append(f"Entfernung: {distance(distance_km)} (Luftlinie, ungefähr)")
    lines.extend(hours_lines(office, at, hotline))
    lines.extend(notice_lines(office, at))
    lines.append(stand_for_people(office.as_of))
    return "\n".join(lines)


def hours_block(office: Office, at: datetime, hotline: Hotline | None, day: date | None) -> str:
    """Opening hours of one office: the asked day, open now / next, the weekly plan."""
    lines = [office.name]
    if office.example:
        lines.append(EXAMPLE_WARNING)
    if not office.hours and not office.exceptions:
        lines.extend(hours_lines(office, at, hotline))
    else:
        if day is not None and day != local_today(at):
            lines.extend(day_lines(office, day, at))
        lines.extend(status_lines(office, at))
        if office.hours:
            lines.append("Alle Sprechzeiten:")
            lines.extend(weekly_lines(office))
        lines.extend(exception_lines(office, at))
        if office.hours_caveat:
            lines.append(office.hours_caveat)
    lines.extend(notice_lines(office, at))
    lines.append(stand_for_people(office.as_of))
    return "\n".join(lines)


def _show_distance(hit: OfficeHit) -> float | None:
    if hit.distance_km is None:
        return None
    if hit.responsible and hit.distance_km < SHOW_DISTANCE_FROM_KM:
        return None
    return hit.distance_km


def office_answer(
    resolution: Resolution,
    hits: list[OfficeHit],
    at: datetime,
    hotlines: dict[str, Hotline | None],
    type_label: str | None,
) -> list[str]:
    """All messages that answer an office search (intro, one block per office, extras)."""
    if not hits:
        return [
            f"Für {resolution.label} habe ich leider kein passendes Büro gefunden.",
            PFLEGETELEFON_LINE,
        ]
    blocks = [
        office_block(hit.office, at, hotlines.get(hit.office.municipality.key), _show_distance(hit))
        for hit in hits
    ]
    if hits[0].responsible:
        verb = "ist" if len(hits) == 1 else "sind"
        return [f"Für {resolution.label} {verb} zuständig:", *blocks]
    if resolution.status == "resolved":
        wanted = type_label or "passendes Büro"
        return [
            f"In {resolution.label} kenne ich kein {wanted}. Das nächste in meiner Liste:",
            *blocks,
        ]
    intro = (
        (
            f"Für {resolution.label} habe ich kein Büro in meiner Liste. "
            "Das nächste Büro, das ich kenne:"
        )
        if resolution.status == "outside"
        else "Diese Büros in meiner Liste liegen am nächsten:"
    )
    return [intro, *blocks, PFLEGETELEFON_LINE]


# ---- places -------------------------------------------------------------------------------


def place_buttons(candidates: list[str]) -> list[dict[str, str]]:
    if len(candidates) > MAX_BUTTONS:
        return []
    return [
        {"title": name, "payload": f'/inform_location{{"place": "{name}"}}'} for name in candidates
    ]


def clarification(resolution: Resolution) -> str:
    """A question (never a guess) for an ambiguous, unknown or malformed place."""
    status, label = resolution.status, resolution.label
    if status == "ambiguous":
        choices = join_or(resolution.candidates)
        if resolution.postal_code:
            return (
                f"Die Postleitzahl {resolution.postal_code} gehört zu mehreren Bezirken. "
                f"In welchem Stadtteil wohnen Sie: {choices}?"
            )
        if not resolution.catchments:
            return f"„{label}“ gibt es mehrmals: {choices}. Nennen Sie bitte auch die Stadt."
        if len(resolution.candidates) > MAX_BUTTONS:
            return f"In welchem Stadtbezirk von {label} wohnen Sie? Zur Auswahl: {choices}."
        return f"Meinen Sie {choices}?"
    if status == "invalid_postal_code":
        return (
            f"„{label}“ ist keine gültige Postleitzahl. Eine Postleitzahl hat fünf Ziffern, "
            "zum Beispiel 44263. Oder nennen Sie mir Ihren Stadtteil."
        )
    if status == "unknown_postal_code":
        return (
            f"Zur Postleitzahl {label} habe ich keine Zuordnung. "
            "Nennen Sie mir bitte Ihren Ort oder Stadtteil."
        )
    shown = f"„{label}“" if label else "Diesen Ort"
    return (
        f"{shown} kenne ich leider nicht. Nennen Sie mir bitte Ihre Postleitzahl "
        "oder Ihren Stadtteil, zum Beispiel „44263“ oder „Hörde“."
    )


def give_up_text(hotline: Hotline | None = None) -> str:
    lines = ["Leider konnte ich Ihren Ort nicht zuordnen."]
    if hotline and hotline.phone:
        lines.append(f"Die Stadt {hotline.municipality} hilft Ihnen weiter: {hotline.phone}.")
    lines.append(PFLEGETELEFON_LINE)
    return "\n".join(lines)


def requested_day(value: str | None, at: datetime) -> date | None:
    """'heute', 'morgen', 'übermorgen', 'Dienstag' … -> the date meant (None if unclear)."""
    if not value:
        return None
    word = value.strip().lower().removeprefix("am ").rstrip("s")
    today = local_today(at)
    offsets = {"heute": 0, "jetzt": 0, "gerade": 0, "morgen": 1, "übermorgen": 2, "uebermorgen": 2}
    if word in offsets:
        return today + timedelta(days=offsets[word])
    for index, name in enumerate(WEEKDAY_NAMES):
        if word == name.lower():
            return today + timedelta(days=(index - today.weekday()) % 7)
    return None
