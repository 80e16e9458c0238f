"""Location resolution: postal code, place name (with spelling variants), street address
in a known city, coordinates — to catchment areas, or to coordinates outside them.

Unknown or ambiguous input is reported as such (with candidates) so the bot can ask back
instead of guessing.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from knowledge import gazetteer
from knowledge.models import Area, AreaName, AreaPostalCode, Municipality, Office, OfficeArea
from knowledge.normalize import fold, strip_preposition

Status = Literal[
    "resolved",
    "ambiguous",
    "unknown",
    "invalid_postal_code",
    "unknown_postal_code",
    "outside",
    "coordinates",
]

_COORDS = re.compile(r"(-?\d{1,2}[.,]\d{2,})\s*[,;/ ]\s*(-?\d{1,3}[.,]\d{2,})")
_POSTAL = re.compile(r"(?<!\d)(\d{5})(?!\d)")
_DIGIT_RUN = re.compile(r"(?<![\d.,])(\d{3,7})(?![\d.,])")
_STREET = re.compile(
    r"(stra(ss|ß)e|str\.|weg\b|platz\b|allee\b|ring\b|gasse\b|damm\b|anger\b)", re.IGNORECASE
)
MAX_NGRAM = 4
FUZZY_CUTOFF = 0.84


@dataclass(frozen=True)
class Catchment:
    """An area that has responsible offices."""

    area_id: int
    name: str
    kind: str
    municipality_key: str
    municipality_name: str

    @property
    def label(self) -> str:
        return self.name


@dataclass
class Resolution:
    status: Status
    query: str
    catchments: list[Catchment] = field(default_factory=list)
    lat: float | None = None
    lon: float | None = None
    label: str = ""
    postal_code: str | None = None
    candidates: list[str] = field(default_factory=list)  # for a clarifying question

    @property
    def municipality_keys(self) -> set[str]:
        return {c.municipality_key for c in self.catchments}


# ---- area graph helpers ---------------------------------------------------------------


def _areas_with_offices(session: Session, area_ids: set[int]) -> set[int]:
    if not area_ids:
        return set()
    rows = session.execute(select(OfficeArea.area_id).where(OfficeArea.area_id.in_(area_ids)))
    return set(rows.scalars())


def _children(session: Session, area_ids: set[int]) -> set[int]:
    rows = session.execute(select(Area.id).where(Area.parent_id.in_(area_ids)))
    return set(rows.scalars())


def _descendant_catchments(session: Session, area_id: int, depth: int = 4) -> set[int]:
    found: set[int] = set()
    frontier = {area_id}
    for _ in range(depth):
        frontier = _children(session, frontier)
        if not frontier:
            break
        staffed = _areas_with_offices(session, frontier)
        found |= staffed
        frontier -= staffed
    return found


def catchment_ids(session: Session, area: Area) -> set[int]:
    """Walk up from `area` to the first level with responsible offices (self, or below)."""
    node: Area | None = area
    while node is not None:
        staffed = bool(_areas_with_offices(session, {node.id}))
        if staffed and node.kind != "stadt":
            return {node.id}
        below = _descendant_catchments(session, node.id)
        if below:
            return below  # a whole city: its districts decide (the bot asks which one)
        if staffed:
            return {node.id}
        node = node.parent
    return set()


def _catchments(session: Session, ids: set[int]) -> list[Catchment]:
    rows = session.execute(
        select(Area.id, Area.name, Area.kind, Municipality.key, Municipality.name)
        .join(Municipality, Area.municipality_id == Municipality.id)
        .where(Area.id.in_(ids))
        .order_by(Municipality.name, Area.name)
    )
    return [Catchment(*row) for row in rows]


def area_point(area: Area) -> tuple[float | None, float | None]:
    node: Area | None = area
    while node is not None:
        if node.lat is not None:
            return node.lat, node.lon
        node = node.parent
    municipality = area.municipality
    return municipality.lat, municipality.lon


def _without_enclosing_cities(areas: list[Area]) -> list[Area]:
    """A whole city yields to its parts when a part matched as well."""
    finer = {area.municipality_id for area in areas if area.kind != "stadt"}
    return [area for area in areas if not (area.kind == "stadt" and area.municipality_id in finer)]


def _from_areas(
    session: Session, query: str, areas: list[Area], label: str, postal_code: str | None = None
) -> Resolution:
    areas = _without_enclosing_cities(areas)
    staffed = _areas_with_offices(session, {area.id for area in areas})
    ids: set[int] = set()
    direct: dict[int, Area] = {}
    for area in areas:
        if area.id in staffed and area.kind != "stadt":
            ids.add(area.id)
            direct[area.id] = area
        else:
            ids |= catchment_ids(session, area)
    if ids <= direct.keys():  # the common case: no second query needed
        catchments = sorted(
            (
                Catchment(a.id, a.name, a.kind, a.municipality.key, a.municipality.name)
                for a in direct.values()
            ),
            key=lambda c: (c.municipality_name, c.name),
        )
    else:
        catchments = _catchments(session, ids)
    point = area_point(areas[0])
    if len(catchments) == 1:
        return Resolution(
            "resolved", query, catchments, *point, label=label, postal_code=postal_code
        )
    if not catchments:
        return Resolution("unknown", query, label=label, postal_code=postal_code)
    several_cities = len({c.municipality_key for c in catchments}) > 1
    candidates = [
        f"{c.name} ({c.municipality_name})" if several_cities else c.name for c in catchments
    ]
    return Resolution(
        "ambiguous",
        query,
        catchments,
        *point,
        label=label,
        postal_code=postal_code,
        candidates=candidates,
    )


# ---- individual strategies ------------------------------------------------------------


def _by_coordinates(text: str) -> Resolution | None:
    match = _COORDS.search(text)
    if not match:
        return None
    lat, lon = (float(value.replace(",", ".")) for value in match.groups())
    if not (47.0 <= lat <= 55.2 and 5.8 <= lon <= 15.1):
        return Resolution("unknown", text, label=f"{lat:.4f}, {lon:.4f}")
    return Resolution("coordinates", text, lat=lat, lon=lon, label=f"{lat:.4f}, {lon:.4f}")


def _by_postal_code(session: Session, text: str) -> Resolution | None:
    match = _POSTAL.search(text)
    if not match:
        digits = _DIGIT_RUN.search(text)
        if digits and (
            text.strip().isdigit() or "plz" in text.lower() or "postleitzahl" in text.lower()
        ):
            return Resolution("invalid_postal_code", text, label=digits.group(1))
        return None
    code = match.group(1)
    areas = list(
        session.execute(
            select(Area)
            .join(AreaPostalCode)
            .where(AreaPostalCode.code == code)
            .options(joinedload(Area.municipality))
            .order_by(Area.id)
        )
        .unique()
        .scalars()
    )
    if areas:
        return _from_areas(session, text, areas, code, postal_code=code)
    return Resolution("unknown_postal_code", text, label=code, postal_code=code)


def _ngrams(words: list[str]) -> list[str]:
    grams: list[str] = []
    for size in range(min(MAX_NGRAM, len(words)), 0, -1):
        grams.extend(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))
    return grams


def _most_specific(session: Session, matches: list[tuple[str, Area]]) -> list[Area]:
    """Longest names win ('sterkrade mitte' over 'sterkrade'); a city yields to its parts."""
    names = [norm for norm, _ in matches]
    kept = [
        (norm, area)
        for norm, area in matches
        if not any(other != norm and f" {norm} " in f" {other} " for other in names)
    ]
    return list(dict.fromkeys(_without_enclosing_cities([area for _, area in kept])))


def _by_area_name(session: Session, text: str) -> Resolution | None:
    words = fold(text).split()
    if not words:
        return None
    grams = _ngrams(words)
    rows = session.execute(
        select(AreaName.norm, Area)
        .join(Area, AreaName.area_id == Area.id)
        .where(AreaName.norm.in_(grams))
        .options(joinedload(Area.municipality))
    ).all()
    matches = [(norm, area) for norm, area in rows]
    if not matches and len(words) <= MAX_NGRAM:
        all_norms = list(session.execute(select(AreaName.norm).distinct()).scalars())
        close = difflib.get_close_matches(" ".join(words), all_norms, n=3, cutoff=FUZZY_CUTOFF)
        if close:
            rows = session.execute(
                select(AreaName.norm, Area)
                .join(Area, AreaName.area_id == Area.id)
                .where(AreaName.norm == close[0])
                .options(joinedload(Area.municipality))
            ).all()
            matches = [(norm, area) for norm, area in rows]
    if not matches:
        return None
    areas = _most_specific(session, matches)
    label = next((n.name for n in areas[0].names if n.norm == matches[0][0]), areas[0].name)
    return _from_areas(session, text, areas, label if len(areas) == 1 else strip_preposition(text))


def _by_street(session: Session, text: str) -> Resolution | None:
    if not _STREET.search(text):
        return None
    folded = fold(text)
    rows = session.execute(select(Office).where(Office.street.is_not(None))).scalars()
    for office in rows:
        street = fold(re.sub(r"\(.*?\)|\d.*$", "", office.street or ""))
        if street and street in folded and office.areas:
            return _from_areas(session, text, list(office.areas), office.street or text)
    return None


def _by_gazetteer(text: str) -> Resolution | None:
    words = fold(text).split()
    named_states = {code for code, name in gazetteer.STATE_NAMES.items() if fold(name) in words}
    for gram in _ngrams(words):
        places = gazetteer.lookup(gram)
        if named_states:  # "Mitte (Berlin)": the state given with the name decides
            places = [place for place in places if place.state in named_states] or places
        if not places:
            continue
        states = {place.state for place in places}
        if len(places) == 1 or (
            len(states) == 1 and places[0].population > 10 * places[1].population
        ):
            place = places[0]
            return Resolution("outside", text, lat=place.lat, lon=place.lon, label=place.name)
        candidates = [
            f"{places[0].name} ({gazetteer.STATE_NAMES.get(p.state, p.state)})" for p in places[:5]
        ]
        return Resolution(
            "ambiguous", text, label=places[0].name, candidates=list(dict.fromkeys(candidates))
        )
    return None


def _by_geocoder(text: str, geocoder_url: str) -> Resolution | None:
    from knowledge.geocoder import geocode

    point = geocode(text, geocoder_url)
    if point is None:
        return None
    return Resolution(
        "coordinates", text, lat=point[0], lon=point[1], label=strip_preposition(text)
    )


def resolve_location(session: Session, text: str, geocoder_url: str | None = None) -> Resolution:
    """Resolve free text: 'in Dortmund-Hörde', '44263', 'Kewerstraße 56 Oberhausen', '51.5, 7.4'."""
    text = (text or "").strip()[:300]
    if not strip_preposition(text):
        return Resolution("unknown", text)
    postal_miss: Resolution | None = None
    for strategy in (
        _by_coordinates,
        lambda t: _by_street(session, t),
        lambda t: _by_postal_code(session, t),
        lambda t: _by_area_name(session, t),
    ):
        result = strategy(text)
        if result is not None and result.status == "unknown_postal_code":
            postal_miss = result
        elif result is not None:
            return result
    if geocoder_url and _STREET.search(text):
        geocoded = _by_geocoder(text, geocoder_url)
        if geocoded is not None:
            return geocoded
    if postal_miss is not None:
        return postal_miss
    return _by_gazetteer(text) or Resolution("unknown", text, label=strip_preposition(text))
