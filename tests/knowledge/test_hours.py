"""is_open / next_opening in Europe/Berlin: DST changes, public holidays, exceptions."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest

from knowledge.hours import holiday_name, is_open, next_opening
from knowledge.hoursyntax import parse_exception, parse_slot
from knowledge.models import Municipality, Office, OfficeException, OpeningHours

UTC = timezone.utc


def office(
    hours: list[str], exceptions: list[str] = (), state: str = "NW", closed_on_holidays: bool = True
) -> Office:
    """An in-memory office (no database needed for the hour logic)."""
    row = Office(name="Testbüro", closed_on_holidays=closed_on_holidays)
    row.municipality = Municipality(key="test", name="Test", state=state)
    row.hours = [
        OpeningHours(
            weekday=s.weekday,
            opens=s.opens,
            closes=s.closes,
            mode=s.mode,
            appointment_only=s.appointment_only,
        )
        for text in hours
        for s in parse_slot(text)
    ]
    row.exceptions = [
        OfficeException(
            date_from=e.date_from,
            date_to=e.date_to,
            closed=e.closed,
            opens=e.opens,
            closes=e.closes,
            note=e.note,
        )
        for e in map(parse_exception, exceptions)
    ]
    return row


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_wall_clock_hours_hold_across_spring_dst_change() -> None:
    weekday = office(["Mo-Fr 09:00-12:00"])
    # Friday 27 March 2026, 9:30 CET = 8:30 UTC; Monday 30 March 9:30 CEST = 7:30 UTC
    assert is_open(weekday, utc(2026, 3, 27, 8, 30))
    assert not is_open(weekday, utc(2026, 3, 30, 6, 30))  # 8:30 local, not yet open
    assert is_open(weekday, utc(2026, 3, 30, 7, 30))
    nxt = next_opening(weekday, utc(2026, 3, 27, 12, 0))
    assert nxt.start.astimezone(UTC) == utc(2026, 3, 30, 7, 0)


def test_wall_clock_hours_hold_across_autumn_dst_change() -> None:
    sunday_night = office(["So 01:00-04:00"], closed_on_holidays=False)
    # 25 Oct 2026: clocks go back at 3:00 CEST -> 2:00 CET; the slot lasts 4 real hours
    nxt = next_opening(sunday_night, utc(2026, 10, 24, 12, 0))
    assert nxt.start.astimezone(UTC) == utc(2026, 10, 24, 23, 0)
    assert nxt.end.astimezone(UTC) == utc(2026, 10, 25, 3, 0)
    assert is_open(sunday_night, utc(2026, 10, 25, 2, 30))  # 3:30 CET local
    assert not is_open(sunday_night, utc(2026, 10, 25, 3, 0))  # 4:00 CET local


def test_state_public_holidays_close_the_office() -> None:
    nw = office(["Mo-Fr 09:00-12:00"], state="NW")
    sn = office(["Mo-Fr 09:00-12:00"], state="SN")
    # Monday 2 Nov 2026 normal; Sunday 1 Nov (Allerheiligen) is a holiday in NW, not SN
    assert holiday_name(date(2026, 11, 1), "NW") == "Allerheiligen"
    assert holiday_name(date(2026, 11, 1), "SN") is None
    # Reformationstag Sat 31 Oct 2026 is a holiday in SN only; Buß- und Bettag 18 Nov 2026 in SN
    assert holiday_name(date(2026, 11, 18), "SN") == "Buß- und Bettag"
    assert is_open(nw, utc(2026, 11, 18, 9, 0))
    assert not is_open(sn, utc(2026, 11, 18, 9, 0))
    assert next_opening(sn, utc(2026, 11, 17, 12, 0)).start.date() == date(2026, 11, 19)
    # Fronleichnam 4 June 2026 (Thursday) in NW
    assert not is_open(nw, utc(2026, 6, 4, 8, 0))
    assert is_open(sn, utc(2026, 6, 4, 8, 0))


def test_christmas_and_new_year_are_skipped() -> None:
    nw = office(["Mo-Fr 09:00-12:00"])
    nxt = next_opening(nw, utc(2026, 12, 24, 12, 0))  # Thu 24 Dec after closing
    assert nxt.start.date() == date(2026, 12, 28)  # 25 Dec Fri holiday, weekend
    assert next_opening(nw, utc(2026, 12, 31, 12, 0)).start.date() == date(2027, 1, 4)


def test_exceptions_close_or_change_hours() -> None:
    row = office(
        ["Mo-Fr 09:00-12:00"],
        ["2026-12-21..2026-12-23 geschlossen: Betriebsferien", "2026-12-30 10:00-11:00: verkürzt"],
    )
    assert not is_open(row, utc(2026, 12, 22, 9, 0))
    assert next_opening(row, utc(2026, 12, 20, 12, 0)).start.date() == date(2026, 12, 24)
    assert not is_open(row, utc(2026, 12, 30, 8, 30))  # 9:30 local, special hours from 10
    assert is_open(row, utc(2026, 12, 30, 9, 30))
    assert next_opening(row, utc(2026, 12, 29, 12, 0)).start.time() == time(10, 0)


def test_phone_and_appointment_slots_are_not_walk_in_hours() -> None:
    row = office(["Mo 09:00-12:00 telefonisch", "Di 09:00-12:00 nur mit Termin"])
    monday, tuesday = utc(2026, 11, 23, 9, 0), utc(2026, 11, 24, 9, 0)
    assert not is_open(row, monday) and is_open(row, monday, include_phone=True)
    assert not is_open(row, tuesday) and is_open(row, tuesday, include_appointment_only=True)
    nxt = next_opening(row, utc(2026, 11, 22, 12, 0))
    assert (nxt.start.date(), nxt.appointment_only) == (date(2026, 11, 24), True)


def test_office_without_hours_has_no_next_opening() -> None:
    assert next_opening(office([]), utc(2026, 11, 23, 9, 0)) is None
    assert not is_open(office([]), utc(2026, 11, 23, 9, 0))


@pytest.mark.parametrize("text", ["Mo-Fr 9-12", "Mo,Mi 10:00-12:00", "Sa 8:30-9:15 persönlich"])
def test_slot_syntax_round_trip(text: str) -> None:
    from knowledge.hoursyntax import format_slots

    slots = parse_slot(text)
    assert parse_slot(format_slots(slots)[0]) == slots
