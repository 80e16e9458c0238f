"""Look-up tables of the knowledge base in memory: postal codes, place names, the area graph
and the office coordinates, as one immutable snapshot (`LookupTables`).

This data changes only through an import. Every import that changes something increments
`knowledge_revision.revision` in its own transaction, so any process sees it. A
`LookupCache` keeps the snapshot of the revision it was built from and compares that
revision with the database on every `tables()` call (one primary-key read); a different
revision means it builds a new snapshot. The importer also calls `invalidate()` on the
cache of its own session after the commit.

Ownership: the session factory of a database (knowledge.db) owns one LookupCache and hands
it to its sessions in `Session.info`; a session made elsewhere gets a cache of its own for
its lifetime (`lookup_tables`). There is no module-level cache.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from knowledge.geo import EARTH_RADIUS_KM, bounding_box, haversine_km
from knowledge.models import (
    Area,
    AreaName,
    AreaPostalCode,
    KnowledgeRevision,
    Municipality,
    Office,
    OfficeArea,
    OfficeTopic,
)
from knowledge.normalize import fold

SESSION_INFO_KEY = "knowledge.lookup_cache"
REVISION_ROW_ID = 1
# numpy's and math's sin/cos/asin may differ in the last bits; distances closer than this
# to a decision boundary are always recomputed with knowledge.geo.haversine_km
_DISTANCE_SLACK_KM = 1e-6

_REVISION = select(KnowledgeRevision.revision).where(KnowledgeRevision.id == REVISION_ROW_ID)
_STREET_SUFFIX = re.compile(r"\(.*?\)|\d.*$")


@dataclass(frozen=True)
class AreaInfo:
    id: int
    municipality_id: int
    name: str
    kind: str
    parent_id: int | None
    lat: float | None
    lon: float | None
    rank: int  # position in the database's ORDER BY municipality.name, area.name


@dataclass(frozen=True)
class MunicipalityInfo:
    id: int
    key: str
    name: str
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class StreetEntry:
    """An office address for street look-ups: the folded street and the office's areas."""

    office_id: int
    street: str
    folded: str
    area_ids: tuple[int, ...]  # ordered like Office.areas (by area name)


class OfficePoints:
    """Office coordinates sorted by latitude, for exact nearest-office searches."""

    def __init__(
        self,
        rows: Iterable[tuple[int, float, float, str]],
        topics: dict[str, set[int]],
    ) -> None:
        ordered = sorted(rows, key=lambda row: (row[1], row[0]))
        self.ids = np.array([row[0] for row in ordered], dtype=np.int64)
        self.lat = np.array([row[1] for row in ordered], dtype=np.float64)
        self.lon = np.array([row[2] for row in ordered], dtype=np.float64)
        self._phi = np.radians(self.lat)
        self._cos_phi = np.cos(self._phi)
        types = [row[3] for row in ordered]
        self._type_masks = {
            kind: np.array([t == kind for t in types], dtype=bool) for kind in set(types)
        }
        self._topic_masks = {
            topic: np.isin(self.ids, np.fromiter(ids, dtype=np.int64, count=len(ids)))
            for topic, ids in topics.items()
        }
        self._none = np.zeros(len(ordered), dtype=bool)

    def __len__(self) -> int:
        return len(self.ids)

    def _filter(self, office_type: str | None, topic: str | None) -> np.ndarray | None:
        """Same semantics as queries._filters: empty values do not filter."""
        mask = None
        if office_type:
            mask = self._type_masks.get(office_type, self._none)
        if topic:
            topic_mask = self._topic_masks.get(topic, self._none)
            mask = topic_mask if mask is None else mask & topic_mask
        return mask

    def nearest(
        self,
        lat: float,
        lon: float,
        limit: int,
        radii: Sequence[float],
        max_km: float,
        office_type: str | None = None,
        topic: str | None = None,
    ) -> list[tuple[float, int]]:
        """(distance, office id) pairs, exactly what the bounding-box loop of growing radius
        gives: for each radius the offices inside bounding_box(radius) and within the radius,
        ranked by (haversine_km, id), the first `limit`; stop at `limit` hits or `max_km`."""
        mask = self._filter(office_type, topic)
        ranked: list[tuple[float, int]] = []
        for radius in radii:
            box = bounding_box(lat, lon, radius)
            low = int(np.searchsorted(self.lat, box.min_lat, side="left"))
            high = int(np.searchsorted(self.lat, box.max_lat, side="right"))
            inside = (self.lon[low:high] >= box.min_lon) & (self.lon[low:high] <= box.max_lon)
            if mask is not None:
                inside &= mask[low:high]
            ranked = self._rank(lat, lon, np.flatnonzero(inside) + low, radius, limit)
            if len(ranked) >= limit or radius >= max_km:
                break
        return ranked

    def _rank(
        self, lat: float, lon: float, index: np.ndarray, radius: float, limit: int
    ) -> list[tuple[float, int]]:
        if not len(index):
            return []
        approx = self._approx_km(lat, lon, index)
        keep = approx <= radius + _DISTANCE_SLACK_KM
        index, approx = index[keep], approx[keep]
        if limit < 1:  # the slice [:limit] of the full ranking, whatever it means
            exact = sorted(self._exact(lat, lon, index, radius))
            return exact[:limit]
        order = np.argsort(approx, kind="stable")
        best: list[tuple[float, int]] = []  # sorted (distance, id) within the radius
        for position in order:
            if len(best) >= limit and approx[position] > best[limit - 1][0] + 2 * (
                _DISTANCE_SLACK_KM
            ):
                break  # every further office is farther than the limit-th one found
            i = index[position]
            distance = haversine_km(lat, lon, float(self.lat[i]), float(self.lon[i]))
            if distance <= radius:
                bisect.insort(best, (distance, int(self.ids[i])))
        return best[:limit]

    def _exact(
        self, lat: float, lon: float, index: np.ndarray, radius: float
    ) -> list[tuple[float, int]]:
        pairs = (
            (haversine_km(lat, lon, float(self.lat[i]), float(self.lon[i])), int(self.ids[i]))
            for i in index
        )
        return [(d, oid) for d, oid in pairs if d <= radius]

    def _approx_km(self, lat: float, lon: float, index: np.ndarray) -> np.ndarray:
        """haversine_km, vectorised (equal to it up to rounding in the last bits)."""
        phi1 = math.radians(lat)
        dphi = self._phi[index] - phi1
        dlmb = np.radians(self.lon[index] - lon)
        a = np.sin(dphi / 2) ** 2 + math.cos(phi1) * self._cos_phi[index] * np.sin(dlmb / 2) ** 2
        return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


class LookupTables:
    """One immutable snapshot of the look-up data at a knowledge-base revision."""

    def __init__(
        self,
        revision: int | None,
        municipalities: dict[int, MunicipalityInfo],
        areas: dict[int, AreaInfo],
        staffed: frozenset[int],
        postal_codes: dict[str, tuple[int, ...]],
        names: dict[str, tuple[int, ...]],
        area_names: dict[int, tuple[tuple[str, str], ...]],
        streets: tuple[StreetEntry, ...],
        points: OfficePoints,
    ) -> None:
        self.revision = revision
        self.municipalities = municipalities
        self.areas = areas
        self.staffed = staffed  # areas with at least one responsible office
        self.postal_codes = postal_codes  # code -> area ids (ascending)
        self.names = names  # normalised name -> area ids (in area_name order)
        self.area_names = area_names  # area id -> (name, norm) pairs
        self.norms = tuple(sorted(names))
        self.streets = streets
        self.points = points
        children: dict[int, list[int]] = {}
        for area in areas.values():
            if area.parent_id is not None:
                children.setdefault(area.parent_id, []).append(area.id)
        self.children = {parent: tuple(ids) for parent, ids in children.items()}

    @classmethod
    def load(cls, session: Session, revision: int | None) -> LookupTables:
        conn = session.connection()
        municipalities = {
            row.id: MunicipalityInfo(row.id, row.key, row.name, row.lat, row.lon)
            for row in conn.execute(
                select(
                    Municipality.id,
                    Municipality.key,
                    Municipality.name,
                    Municipality.lat,
                    Municipality.lon,
                )
            )
        }
        area_rows = conn.execute(
            select(
                Area.id,
                Area.municipality_id,
                Area.name,
                Area.kind,
                Area.parent_id,
                Area.lat,
                Area.lon,
            )
            .join(Municipality, Area.municipality_id == Municipality.id)
            .order_by(Municipality.name, Area.name, Area.id)
        )
        areas = {
            row.id: AreaInfo(
                row.id,
                row.municipality_id,
                row.name,
                row.kind,
                row.parent_id,
                row.lat,
                row.lon,
                rank,
            )
            for rank, row in enumerate(area_rows)
        }
        staffed = frozenset(conn.execute(select(OfficeArea.area_id).distinct()).scalars())
        postal_codes: dict[str, list[int]] = {}
        for code, area_id in conn.execute(
            select(AreaPostalCode.code, AreaPostalCode.area_id)
            .distinct()
            .order_by(AreaPostalCode.code, AreaPostalCode.area_id)
        ):
            postal_codes.setdefault(code, []).append(area_id)
        names: dict[str, list[int]] = {}
        area_names: dict[int, list[tuple[str, str]]] = {}
        for area_id, name, norm in conn.execute(
            select(AreaName.area_id, AreaName.name, AreaName.norm).order_by(AreaName.id)
        ):
            names.setdefault(norm, []).append(area_id)
            area_names.setdefault(area_id, []).append((name, norm))
        office_areas: dict[int, list[int]] = {}
        for office_id, area_id in conn.execute(
            select(OfficeArea.office_id, OfficeArea.area_id)
            .join(Area, OfficeArea.area_id == Area.id)
            .order_by(OfficeArea.office_id, Area.name, Area.id)
        ):
            office_areas.setdefault(office_id, []).append(area_id)
        streets = tuple(
            StreetEntry(
                office_id,
                street,
                fold(_STREET_SUFFIX.sub("", street)),
                tuple(office_areas.get(office_id, ())),
            )
            for office_id, street in conn.execute(
                select(Office.id, Office.street)
                .where(Office.street.is_not(None))
                .order_by(Office.id)
            )
        )
        topics: dict[str, set[int]] = {}
        for office_id, topic in conn.execute(select(OfficeTopic.office_id, OfficeTopic.topic)):
            topics.setdefault(topic, set()).add(office_id)
        points = OfficePoints(
            [
                (row.id, row.lat, row.lon, row.type)
                for row in conn.execute(
                    select(Office.id, Office.lat, Office.lon, Office.type).where(
                        Office.lat.is_not(None), Office.lon.is_not(None)
                    )
                )
            ],
            topics,
        )
        return cls(
            revision,
            municipalities,
            areas,
            staffed,
            {code: tuple(ids) for code, ids in postal_codes.items()},
            {norm: tuple(ids) for norm, ids in names.items()},
            {area_id: tuple(pairs) for area_id, pairs in area_names.items()},
            streets,
            points,
        )


class LookupCache:
    """Holds the LookupTables of one database; thread-safe; see the module docstring."""

    def __init__(self) -> None:
        self._tables: LookupTables | None = None
        self._lock = threading.Lock()

    def tables(self, session: Session) -> LookupTables:
        """The snapshot for the database's current revision (built when it changed)."""
        revision = session.connection().execute(_REVISION).scalar_one_or_none()
        tables = self._tables
        if tables is not None and tables.revision == revision:
            return tables
        with self._lock:
            tables = self._tables
            if tables is None or tables.revision != revision:
                # revision read before the data: an import committed in between only
                # makes the next call rebuild once more
                tables = LookupTables.load(session, revision)
                self._tables = tables
        return tables

    def invalidate(self) -> None:
        with self._lock:
            self._tables = None


def lookup_tables(session: Session) -> LookupTables:
    """The current look-up tables through the cache the session carries (or its own)."""
    cache = session.info.get(SESSION_INFO_KEY)
    if cache is None:
        cache = session.info[SESSION_INFO_KEY] = LookupCache()
    return cache.tables(session)


def invalidate(session: Session) -> None:
    cache = session.info.get(SESSION_INFO_KEY)
    if cache is not None:
        cache.invalidate()


def bump_revision(session: Session) -> None:
    """Mark the knowledge base as changed (inside the importing transaction)."""
    result = session.execute(
        update(KnowledgeRevision)
        .where(KnowledgeRevision.id == REVISION_ROW_ID)
        .values(revision=KnowledgeRevision.revision + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:
        session.add(KnowledgeRevision(id=REVISION_ROW_ID, revision=1))
        session.flush()
