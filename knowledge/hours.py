"""Opening-hour logic in local time (Europe/Berlin by default): exceptions, holidays, DST.

Weekly slots are wall-clock times; they are turned into aware datetimes per calendar day,
so a slot "9–12" stays 9–12 local time on both sides of a DST change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from knowledge.models import Office

DEFAULT_HORIZON_DAYS = 28


@dataclass(frozen=True)
class Opening:
    start: datetime
    end: datetime
    mode: str = "in_person"
    appointment_only: bool = False
    note: str | None = None


@dataclass(frozen=True)
class DayPlan:
    day: date
    openings: tuple[Opening, ...]
    closed_reason: str | None = None  # holiday name or exception note when closed


@lru_cache(maxsize=1)
def local_zone() -> ZoneInfo:
    from quartierslotse.settings import get_settings

    return ZoneInfo(get_settings().timezone)


@lru_cache(maxsize=64)
def _holidays(state: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("DE", subdiv=state, years=year, language="de")


def holiday_name(day: date, state: str) -> str | None:
    return _holidays(state, day.year).get(day)


def _at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock).replace(tzinfo=zone)


def day_plan(office: Office, day: date, zone: ZoneInfo | None = None) -> DayPlan:
    zone = zone or local_zone()
    for exception in office.exceptions:
        if exception.date_from <= day <= exception.date_to:
            if exception.closed:
                return DayPlan(day, (), exception.note or "geschlossen")
            opening = Opening(
                _at(day, exception.opens, zone),
                _at(day, exception.closes, zone),
                note=exception.note,
            )
            return DayPlan(day, (opening,))
    if office.closed_on_holidays:
        name = holiday_name(day, office.municipality.state)
        if name:
            return DayPlan(day, (), name)
    openings = tuple(
        Opening(
            _at(day, slot.opens, zone),
            _at(day, slot.closes, zone),
            slot.mode,
            slot.appointment_only,
        )
        for slot in office.hours
        if slot.weekday == day.weekday()
    )
    return DayPlan(day, tuple(sorted(openings, key=lambda o: o.start)))


def _counts(opening: Opening, include_phone: bool, include_appointment_only: bool) -> bool:
    return (include_phone or opening.mode == "in_person") and (
        include_appointment_only or not opening.appointment_only
    )


def current_opening(
    office: Office,
    at: datetime,
    include_phone: bool = False,
    include_appointment_only: bool = False,
) -> Opening | None:
    """The slot the office is in at `at` (aware datetime), or None."""
    zone = local_zone()
    local = at.astimezone(zone)
    for opening in day_plan(office, local.date(), zone).openings:
        if opening.start <= local < opening.end and _counts(
            opening, include_phone, include_appointment_only
        ):
            return opening
    return None


def is_open(
    office: Office,
    at: datetime,
    include_phone: bool = False,
    include_appointment_only: bool = False,
) -> bool:
    """Open for walk-in visitors at `at` (optionally counting phone/appointment slots)."""
    return current_opening(office, at, include_phone, include_appointment_only) is not None


def next_opening(
    office: Office,
    after: datetime,
    include_phone: bool = False,
    include_appointment_only: bool = True,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> Opening | None:
    """The first slot starting after `after`, honouring exceptions and holidays."""
    if not office.hours and not office.exceptions:
        return None
    zone = local_zone()
    local = after.astimezone(zone)
    for offset in range(horizon_days + 1):
        plan = day_plan(office, local.date() + timedelta(days=offset), zone)
        for opening in plan.openings:
            if opening.start > local and _counts(opening, include_phone, include_appointment_only):
                return opening
    return None
