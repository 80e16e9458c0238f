"""The knowledge adapter of the rooms above: who a user can reach, and in which municipality a
place lies. Actions, the handoff and the action guard ask here instead of querying the
knowledge base themselves.

Every function is best effort: when the knowledge base fails it logs and returns an empty
answer, because a handoff or an apology must never break on a lookup. A place is resolved
once per turn: the lookup is remembered for `PLACE_MEMO_SECONDS` (the handoff asks for the
municipality and then for the contact line of the same place within one turn).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select

from knowledge.db import open_session
from knowledge.hours import Opening, next_opening
from knowledge.models import Municipality
from knowledge.queries import Hotline, find_offices, municipality_hotline

logger = logging.getLogger(__name__)

PLACE_MEMO_SECONDS = 5.0
_PLACE_MEMO_SIZE = 256
_RESOLVED = ("resolved", "outside", "coordinates")


@dataclass(frozen=True)
class OfficeContact:
    """The responsible office's phone and next hours, and the city hotline (fields '' or None
    when unknown)."""

    name: str = ""
    phone: str = ""
    next_opening: Opening | None = None
    hotline_name: str = ""
    hotline_phone: str = ""
    hotline_hours: str = ""


@dataclass(frozen=True)
class _Place:
    municipality: str  # name of the municipality of the first office found, '' if none
    municipality_key: str
    resolved: bool  # the place is clear (not ambiguous): the office is the responsible one
    office: OfficeContact  # office fields only; example offices and unclear places stay empty


_memo: dict[tuple[str, str], tuple[float, _Place]] = {}
_memo_lock = threading.Lock()


def _lookup_place(database_url: str, place: str, at: datetime) -> _Place:
    with open_session(database_url) as session:
        resolution, hits = find_offices(session, place)
        if not hits:
            return _Place("", "", False, OfficeContact())
        office = hits[0].office
        resolved = resolution.status in _RESOLVED
        contact = OfficeContact()
        if resolved and office.phone and not office.example:
            contact = OfficeContact(office.name or "", office.phone, next_opening(office, at))
        return _Place(office.municipality.name, office.municipality.key, resolved, contact)


def _place(database_url: str, place: str, at: datetime) -> _Place:
    key = (database_url, place.strip().lower())
    now = time.monotonic()
    with _memo_lock:
        cached = _memo.get(key)
        if cached and now - cached[0] < PLACE_MEMO_SECONDS:
            return cached[1]
    found = _lookup_place(database_url, place, at)
    with _memo_lock:
        if len(_memo) >= _PLACE_MEMO_SIZE:
            _memo.clear()
        _memo[key] = (now, found)
    return found


def forget_places() -> None:
    """Drop the remembered place lookups (after an office edit, and in tests)."""
    with _memo_lock:
        _memo.clear()


def hotline(database_url: str, municipality: str, *, best_effort: bool = True) -> Hotline | None:
    """The municipality's central hotline (by name or key, any case); None when unknown.

    With `best_effort=False` a failing knowledge base raises instead (the action guard
    remembers a failure only briefly, an unknown municipality for longer)."""
    if not municipality.strip():
        return None
    try:
        with open_session(database_url) as session:
            return municipality_hotline(session, municipality)
    except Exception:  # noqa: BLE001 - best effort, see the module docstring
        if not best_effort:
            raise
        logger.exception("hotline lookup failed")
        return None


def office_contact(database_url: str, municipality: str, place: str = "",
                   at: datetime | None = None) -> OfficeContact:
    """The responsible office of the place (or the municipality), with the city hotline; an
    empty OfficeContact when the knowledge base knows nothing."""
    at = at or datetime.now(timezone.utc)
    office, hotline_of = OfficeContact(), municipality
    where = place or municipality
    if where:
        try:
            found = _place(database_url, where, at)
            office = found.office
            if found.resolved:
                hotline_of = found.municipality_key
        except Exception:  # noqa: BLE001
            logger.exception("office lookup failed")
    line = hotline(database_url, hotline_of) if hotline_of else None
    if line is None or not line.phone:
        return office
    return OfficeContact(office.name, office.phone, office.next_opening,
                         line.municipality, line.phone, line.hours or "")


def municipality_for_place(database_url: str, place: str) -> str:
    """The municipality (its name) a place lies in, '' when the knowledge base cannot tell."""
    if not place:
        return ""
    try:
        return _place(database_url, place, datetime.now(timezone.utc)).municipality
    except Exception:  # noqa: BLE001
        logger.exception("place lookup failed")
        return ""


def municipality_names(database_url: str) -> list[str]:
    """Names of the municipalities in the knowledge base (for assigning a request)."""
    try:
        with open_session(database_url) as session:
            return sorted(session.scalars(select(Municipality.name)).all())
    except Exception:  # noqa: BLE001
        logger.exception("municipality list failed")
        return []


def municipality_name(database_url: str, key: str) -> str:
    """The name of a municipality by its key (e.g. from the last office shown), '' if unknown."""
    if not key:
        return ""
    try:
        with open_session(database_url) as session:
            return session.scalar(select(Municipality.name).where(Municipality.key == key)) or ""
    except Exception:  # noqa: BLE001
        logger.exception("municipality lookup failed")
        return ""
