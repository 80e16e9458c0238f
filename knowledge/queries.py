"""Read API of the knowledge base for actions and other packages (handoff, console).

All functions take an open Session (see knowledge.db.open_session) and return plain
dataclasses, so callers never hold ORM objects beyond the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from knowledge.geo import haversine_km
from knowledge.hours import Opening, current_opening, day_plan, next_opening
from knowledge.locate import Resolution, resolve_location, resolve_with
from knowledge.lookup import LookupTables, lookup_tables
from knowledge.models import Municipality, Office, OfficeArea, OfficeTopic

SEARCH_RADII_KM = (10.0, 25.0, 60.0, 150.0, 400.0, 900.0)

# what answers need (hours for "open now", the municipality for holidays and hotline);
# topics and areas load lazily when someone asks for them
_OFFICE_LOAD = (
    joinedload(Office.municipality),
    joinedload(Office.hours),
    joinedload(Office.exceptions),
)


@dataclass(frozen=True)
class Hotline:
    municipality: str
    phone: str | None
    hours: str | None
    note: str | None


@dataclass(frozen=True)
class OfficeHit:
    office: Office
    distance_km: float | None = None
    responsible: bool = False  # True: the place lies in the office's catchment area


def municipality_hotline(session: Session, key_or_name: str) -> Hotline | None:
    """The central hotline of a municipality (by key or name, any case), None if unknown."""
    wanted = key_or_name.strip().lower()
    row = session.execute(
        select(Municipality).where(
            (func.lower(Municipality.key) == wanted) | (func.lower(Municipality.name) == wanted)
        )
    ).scalars().first()
    if row is None:
        return None
    return Hotline(row.name, row.hotline_phone, row.hotline_hours, row.hotline_note)


def office_by_key(session: Session, municipality_key: str, office_key: str) -> Office | None:
    return session.execute(
        select(Office)
        .join(Municipality)
        .options(*_OFFICE_LOAD)
        .where(Municipality.key == municipality_key, Office.key == office_key)
    ).unique().scalar_one_or_none()


def _filters(office_type: str | None, topic: str | None) -> list:
    filters = []
    if office_type:
        filters.append(Office.type == office_type)
    if topic:
        filters.append(
            Office.id.in_(select(OfficeTopic.office_id).where(OfficeTopic.topic == topic))
        )
    return filters


def responsible_offices(
    session: Session,
    resolution: Resolution,
    office_type: str | None = None,
    topic: str | None = None,
) -> list[Office]:
    """Offices whose catchment contains the resolved place (empty unless status 'resolved')."""
    return _responsible(session, None, resolution, office_type, topic)


def _responsible(
    session: Session,
    tables: LookupTables | None,
    resolution: Resolution,
    office_type: str | None,
    topic: str | None,
) -> list[Office]:
    if resolution.status != "resolved":
        return []
    area_ids = {catchment.area_id for catchment in resolution.catchments}
    offices = _offices_in(session, area_ids, office_type, topic)
    if not offices and (office_type or topic):
        # city-wide services (e.g. one Wohnberatung for the whole city)
        tables = tables or lookup_tables(session)
        offices = _offices_in(session, _ancestor_ids(tables, area_ids), office_type, topic)
    return offices


def _offices_in(
    session: Session, area_ids: set[int], office_type: str | None, topic: str | None
) -> list[Office]:
    if not area_ids:
        return []
    query = (
        select(Office)
        .join(OfficeArea, OfficeArea.office_id == Office.id)
        .where(OfficeArea.area_id.in_(area_ids), *_filters(office_type, topic))
        .options(*_OFFICE_LOAD)
        .order_by(Office.name)
    )
    return list(session.execute(query).unique().scalars())


def _ancestor_ids(tables: LookupTables, area_ids: set[int]) -> set[int]:
    found: set[int] = set()
    frontier = area_ids
    while frontier:
        parents = {
            area.parent_id
            for area in (tables.areas.get(area_id) for area_id in frontier)
            if area is not None and area.parent_id is not None
        } - found
        found |= parents
        frontier = parents
    return found


def nearest_offices(
    session: Session,
    lat: float,
    lon: float,
    limit: int = 3,
    office_type: str | None = None,
    topic: str | None = None,
    max_km: float = SEARCH_RADII_KM[-1],
) -> list[OfficeHit]:
    """Offices by straight-line distance, the nearest `limit` within the largest search
    radius up to `max_km` (radii grow through SEARCH_RADII_KM; see OfficePoints.nearest)."""
    return _nearest(session, lookup_tables(session), lat, lon, limit, office_type, topic, max_km)


def _nearest(
    session: Session,
    tables: LookupTables,
    lat: float,
    lon: float,
    limit: int,
    office_type: str | None,
    topic: str | None,
    max_km: float = SEARCH_RADII_KM[-1],
) -> list[OfficeHit]:
    radii = [r for r in SEARCH_RADII_KM if r <= max_km] or [max_km]
    ranked = tables.points.nearest(lat, lon, limit, radii, max_km, office_type, topic)
    if not ranked:
        return []
    offices = {
        o.id: o
        for o in session.execute(
            select(Office).where(Office.id.in_([oid for _, oid in ranked])).options(*_OFFICE_LOAD)
        )
        .unique()
        .scalars()
    }
    return [OfficeHit(offices[oid], distance) for distance, oid in ranked]


def find_offices(
    session: Session,
    place: str,
    office_type: str | None = None,
    topic: str | None = None,
    geocoder_url: str | None = None,
    limit: int = 3,
) -> tuple[Resolution, list[OfficeHit]]:
    """Responsible offices for a place text (catchment first, then the nearest ones)."""
    tables = lookup_tables(session)
    resolution = resolve_with(tables, place, geocoder_url)
    offices = _responsible(session, tables, resolution, office_type, topic)
    if resolution.status == "ambiguous" and (office_type or topic) and resolution.catchments:
        # one city-wide service of the wanted kind answers without asking for the district
        ids = {c.area_id for c in resolution.catchments}
        offices = _offices_in(session, _ancestor_ids(tables, ids), office_type, topic)
    if offices:
        return resolution, [_hit(o, resolution) for o in offices]
    if resolution.status == "resolved" and office_type is None and topic is None:
        return resolution, []
    lat, lon = resolution.lat, resolution.lon
    if (
        lat is not None
        and lon is not None
        and resolution.status in ("resolved", "outside", "coordinates")
    ):
        return resolution, _nearest(session, tables, lat, lon, limit, office_type, topic)
    return resolution, []


def _hit(office: Office, resolution: Resolution) -> OfficeHit:
    if None in (office.lat, office.lon, resolution.lat, resolution.lon):
        return OfficeHit(office, responsible=True)
    distance = haversine_km(resolution.lat, resolution.lon, office.lat, office.lon)  # type: ignore[arg-type]
    return OfficeHit(office, distance, responsible=True)


@dataclass(frozen=True)
class ContactInfo:
    """What a human advisor needs to pass on: who, which phone, when next reachable."""

    office_name: str | None
    phone: str | None
    next_opening: Opening | None
    hotline: Hotline | None
    example: bool


def contact_for_place(session: Session, place: str, at: datetime) -> ContactInfo | None:
    """Responsible office's phone and next consultation hours for a place, with the city hotline."""
    resolution, hits = find_offices(session, place)
    if resolution.status not in ("resolved", "outside", "coordinates") or not hits:
        return None
    office = hits[0].office
    return ContactInfo(
        office.name,
        office.phone,
        next_opening(office, at),
        municipality_hotline(session, office.municipality.key),
        office.example,
    )


__all__ = [
    "ContactInfo",
    "Hotline",
    "OfficeHit",
    "Opening",
    "contact_for_place",
    "current_opening",
    "day_plan",
    "find_offices",
    "municipality_hotline",
    "nearest_offices",
    "next_opening",
    "office_by_key",
    "resolve_location",
    "responsible_offices",
]
