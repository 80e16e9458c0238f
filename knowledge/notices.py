"""Current notices ("Aktuelle Hinweise"): short texts of an office or a whole municipality
that the bot shows while they are valid (date_from to date_to, inclusive, local dates).

They are written like any office data: in the municipality file (`notices:`) or in the
console (knowledge.editing); this module only reads them.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from knowledge.db import open_session
from knowledge.hours import local_zone
from knowledge.models import Municipality, Notice, Office

logger = logging.getLogger(__name__)


def local_date(at: datetime) -> date:
    return at.astimezone(local_zone()).date()


def valid_notices(
    session: Session, municipality_id: int, office_id: int | None, on: date
) -> list[str]:
    """Texts valid on `on`: the municipality's own notices first, then the office's."""
    scope = Notice.office_id.is_(None)
    if office_id is not None:
        scope = or_(scope, Notice.office_id == office_id)
    rows = session.execute(
        select(Notice.text)
        .where(
            Notice.municipality_id == municipality_id,
            scope,
            Notice.date_from <= on,
            Notice.date_to >= on,
        )
        .order_by(Notice.office_id.is_not(None), Notice.date_from, Notice.id)
    ).scalars()
    return list(dict.fromkeys(rows))


def office_notices(session: Session, office: Office, at: datetime) -> list[str]:
    return valid_notices(session, office.municipality_id, office.id, local_date(at))


def notices_on(office: Office, on: date) -> list[str]:
    """Like valid_notices, through the office's relationships (for answer texts)."""
    shared = office.municipality.notices if office.municipality is not None else []
    rows = [*shared, *office.notices]
    return list(dict.fromkeys(row.text for row in rows if row.date_from <= on <= row.date_to))


def handoff_notices(database_url: str, municipality: str, place: str, at: datetime) -> list[str]:
    """Notices for the message when nobody is on duty: those of the office responsible for
    `place` (if the knowledge base can tell) and of the municipality (name or key).
    Best effort: [] when the knowledge base cannot answer."""
    from knowledge.queries import find_offices

    try:
        with open_session(database_url) as session:
            office = None
            if place:
                resolution, hits = find_offices(session, place)
                if hits and resolution.status in ("resolved", "outside", "coordinates"):
                    office = hits[0].office
            if office is not None:
                return office_notices(session, office, at)
            if not municipality:
                return []
            row = session.execute(
                select(Municipality.id).where(
                    or_(Municipality.name == municipality, Municipality.key == municipality)
                )
            ).scalar_one_or_none()
            return [] if row is None else valid_notices(session, row, None, local_date(at))
    except Exception:  # noqa: BLE001 - a notice must never break the handoff
        logger.exception("notice lookup for the handoff failed")
        return []
