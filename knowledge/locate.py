"""Location resolution: postal code, place name (with spelling variants), street address
in a known city, coordinates — to catchment areas, or to coordinates outside them.

Unknown or ambiguous input is reported as such (with candidates) so the bot can ask back
instead of guessing. Postal codes, names, the area graph and office streets come from the
in-memory look-up tables (knowledge.lookup), current for the database's import revision.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.orm import Session

from knowledge import gazetteer
from knowledge.lookup import AreaInfo, LookupTables, lookup_tables
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


# ---- area graph helpers (on the in-memory look-up tables) ------------------------------


def _areas_with_offices(tables: LookupTables, area_ids: set[int]) -> set[int]:
    return area_ids & tables.staffed


def _children(tables: LookupTables, area_ids: set[int]) -> set[int]:
    return {child for area_id in area_ids for child in tables.children.get(area_id, ())}


def _descendant_catchments(tables: LookupTables, area_id: int, depth: int = 4) -> set[int]:
    found: set[int] = set()
    frontier = {area_id}
    for _ in range(depth):
        frontier = _children(tables, frontier)
        if not frontier:
            break
        staffed = _areas_with_offices(tables, frontier)
        found |= staffed
        frontier -= staffed
    return found


def catchment_ids(tables: LookupTables, area: AreaInfo) -> set[int]:
    """Walk up from `area` to the first level with responsible offices (self, or below)."""
    node: AreaInfo | None = area
    while node is not None:
        staffed = node.id in tables.staffed
        if staffed and node.kind != "stadt":
            return {node.id}
        below = _descendant_catchments(tables, node.id)
        if below:
            return below  # a whole city: its districts decide (the bot asks which one)
        if staffed:
            return {node.id}
        node = tables.areas.get(node.parent_id) if node.parent_id is not None else None
    return set()


def _catchment(tables: LookupTables, area: AreaInfo) -> Catchment:
    municipality = tables.municipalities[area.municipality_id]
    return Catchment(area.id, area.name, area.kind, municipality.key, municipality.name)


def _catchments(tables: LookupTables, ids: set[int]) -> list[Catchment]:
    """In the database's order of municipality name, area name (its collation)."""
    areas = sorted((tables.areas[i] for i in ids if i in tables.areas), key=lambda a: a.rank)
    return [_catchment(tables, area) for area in areas]


def area_point(tables: LookupTables, area: AreaInfo) -> tuple[float | None, float | None]:
    node: AreaInfo | None = area
    while node is not None:
        if node.lat is not None:
            return node.lat, node.lon
        node = tables.areas.get(node.parent_id) if node.parent_id is not None else None
    municipality = tables.municipalities[area.municipality_id]
    return municipality.lat, municipality.lon


def _without_enclosing_cities(areas: list[AreaInfo]) -> list[AreaInfo]:
    """A whole city yields to its parts when a part matched as well."""
    finer = {area.municipality_id for area in areas if area.kind != "stadt"}
    return [area for area in areas if not (area.kind == "stadt" and area.municipality_id in finer)]


def _from_areas(
    tables: LookupTables,
    query: str,
    areas: list[AreaInfo],
    label: str,
    postal_code: str | None = None,
) -> Resolution:
    areas = _without_enclosing_cities(areas)
    staffed = _areas_with_offices(tables, {area.id for area in areas})
    ids: set[int] = set()
    direct: dict[int, AreaInfo] = {}
    for area in areas:
        if area.id in staffed and area.kind != "stadt":
            ids.add(area.id)
            direct[area.id] = area
        else:
            ids |= catchment_ids(tables, area)
    if ids <= direct.keys():  # the common case
        catchments = sorted(
            (_catchment(tables, a) for a in direct.values()),
            key=lambda c: (c.municipality_name, c.name),
        )
    else:
        catchments = _catchments(tables, ids)
    point = area_point(tables, areas[0])
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


def _by_postal_code(tables: LookupTables, text: str) -> Resolution | None:
    match = _POSTAL.search(text)
    if not match:
        digits = _DIGIT_RUN.search(text)
        if digits and (
            text.strip().isdigit() or "plz" in text.lower() or "postleitzahl" in text.lower()
        ):
            return Resolution("invalid_postal_code", text, label=digits.group(1))
        return None
    code = match.group(1)
    areas = [tables.areas[area_id] for area_id in tables.postal_codes.get(code, ())]
    if areas:
        return _from_areas(tables, text, areas, code, postal_code=code)
    return Resolution("unknown_postal_code", text, label=code, postal_code=code)


def _ngrams(words: list[str]) -> list[str]:
    grams: list[str] = []
    for size in range(min(MAX_NGRAM, len(words)), 0, -1):
        grams.extend(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))
    return grams


def _most_specific(matches: list[tuple[str, AreaInfo]]) -> list[AreaInfo]:
    """Longest names win ('sterkrade mitte' over 'sterkrade'); a city yields to its parts."""
    names = [norm for norm, _ in matches]
    kept = [
        (norm, area)
        for norm, area in matches
        if not any(other != norm and f" {norm} " in f" {other} " for other in names)
    ]
    return list(dict.fromkeys(_without_enclosing_cities([area for _, area in kept])))


def _name_matches(tables: LookupTables, norms: Iterable[str]) -> list[tuple[str, AreaInfo]]:
    """(norm, area) for every area name among `norms`, ordered by norm, then name entry."""
    return [
        (norm, tables.areas[area_id])
        for norm in sorted(set(norms))
        for area_id in tables.names.get(norm, ())
    ]


def _by_area_name(tables: LookupTables, text: str) -> Resolution | None:
    words = fold(text).split()
    if not words:
        return None
    matches = _name_matches(tables, _ngrams(words))
    if not matches and len(words) <= MAX_NGRAM:
        close = difflib.get_close_matches(" ".join(words), tables.norms, n=3, cutoff=FUZZY_CUTOFF)
        if close:
            matches = _name_matches(tables, [close[0]])
    if not matches:
        return None
    areas = _most_specific(matches)
    label = next(
        (name for name, norm in tables.area_names.get(areas[0].id, ()) if norm == matches[0][0]),
        areas[0].name,
    )
    return _from_areas(tables, text, areas, label if len(areas) == 1 else strip_preposition(text))


def _by_street(tables: LookupTables, text: str) -> Resolution | None:
    if not _STREET.search(text):
        return None
    folded = fold(text)
    for entry in tables.streets:
        if entry.folded and entry.folded in folded and entry.area_ids:
            areas = [tables.areas[area_id] for area_id in entry.area_ids]
            return _from_areas(tables, text, areas, entry.street or text)
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
    return resolve_with(lookup_tables(session), text, geocoder_url)


def resolve_with(tables: LookupTables, text: str, geocoder_url: str | None = None) -> Resolution:
    """resolve_location on look-up tables already at hand."""
    text = (text or "").strip()[:300]
    if not strip_preposition(text):
        return Resolution("unknown", text)
    postal_miss: Resolution | None = None
    for strategy in (
        _by_coordinates,
        lambda t: _by_street(tables, t),
        lambda t: _by_postal_code(tables, t),
        lambda t: _by_area_name(tables, t),
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
