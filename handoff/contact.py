"""What the bot tells a user when nobody is on duty: the responsible office, its phone and the
next consultation hours (knowledge base), or the municipality's hotline."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from knowledge.hours import Opening

logger = logging.getLogger(__name__)


@dataclass
class OfficeContact:
    name: str = ""
    phone: str = ""
    next_opening: Opening | None = None
    hotline_name: str = ""
    hotline_phone: str = ""
    hotline_hours: str = ""


def office_contact(database_url: str, municipality: str, place: str = "",
                   at: datetime | None = None) -> OfficeContact:
    """Best effort: an empty OfficeContact when the knowledge base knows nothing."""
    from knowledge.db import open_session
    from knowledge.queries import contact_for_place, municipality_hotline

    at = at or datetime.now(timezone.utc)
    contact = OfficeContact()
    try:
        with open_session(database_url) as session:
            info = contact_for_place(session, place or municipality, at) if (
                place or municipality) else None
            hotline = info.hotline if info else None
            if info is not None and info.phone and not info.example:
                contact.name = info.office_name or ""
                contact.phone = info.phone
                contact.next_opening = info.next_opening
            if hotline is None and municipality:
                hotline = municipality_hotline(session, municipality)
            if hotline is not None and hotline.phone:
                contact.hotline_name = hotline.municipality
                contact.hotline_phone = hotline.phone
                contact.hotline_hours = hotline.hours or ""
    except Exception:  # noqa: BLE001 - never break the handoff because of the knowledge base
        logger.exception("office lookup for the handoff failed")
    return contact


def municipality_for_place(database_url: str, place: str) -> str:
    """The municipality (its name) a place lies in, '' when the knowledge base cannot tell."""
    if not place:
        return ""
    from knowledge.db import open_session
    from knowledge.queries import find_offices

    try:
        with open_session(database_url) as session:
            _, hits = find_offices(session, place)
            return hits[0].office.municipality.name if hits else ""
    except Exception:  # noqa: BLE001
        logger.exception("place lookup for the handoff failed")
        return ""


def municipality_names(database_url: str) -> list[str]:
    """Names of the municipalities in the knowledge base (for assigning a request)."""
    from sqlalchemy import select

    from knowledge.db import open_session
    from knowledge.models import Municipality

    try:
        with open_session(database_url) as session:
            return sorted(session.scalars(select(Municipality.name)).all())
    except Exception:  # noqa: BLE001
        logger.exception("municipality list for the handoff failed")
        return []


def municipality_name(database_url: str, key: str) -> str:
    """The name of a municipality by its key (e.g. from the last office shown), '' if unknown."""
    from sqlalchemy import select

    from knowledge.db import open_session
    from knowledge.models import Municipality

    if not key:
        return ""
    try:
        with open_session(database_url) as session:
            return session.scalar(select(Municipality.name).where(Municipality.key == key)) or ""
    except Exception:  # noqa: BLE001
        logger.exception("municipality lookup for the handoff failed")
        return ""
