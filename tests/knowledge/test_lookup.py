"""In-memory look-up tables: exact nearest-office search, revision-based invalidation,
and the 0002 -> 0003 migration that adds the revision (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from pathlib import Path

from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from knowledge.db import open_session
from knowledge.geo import bounding_box, haversine_km
from knowledge.importer import import_files
from knowledge.lookup import LookupCache, OfficePoints, lookup_tables
from knowledge.models import KnowledgeRevision
from knowledge.queries import SEARCH_RADII_KM, find_offices, nearest_offices
from storage.engine import get_engine
from storage.schema import alembic_config, upgrade

TOWN = """\
municipality: {{key: town, name: Town, state: NW, source: test, as_of: "2026"}}
areas:
  - {{key: nord, name: Nord, kind: stadtteil, postal_codes: {{codes: ["12345"]}},
     source: test, as_of: "2026"}}
offices:
  - {{key: one, name: {name}, type: seniorenbuero, areas: [nord],
     coordinates: {{lat: 51.5, lon: 7.4}}, source: test, as_of: "2026", example: true}}
"""


def _reference_nearest(
    rows: list[tuple[int, float, float, str]],
    topics: dict[str, set[int]],
    lat: float,
    lon: float,
    limit: int,
    office_type: str | None,
    topic: str | None,
    max_km: float,
) -> list[tuple[float, int]]:
    """The former SQL algorithm: bounding boxes of growing radius, haversine in Python."""
    ranked: list[tuple[float, int]] = []
    for radius in [r for r in SEARCH_RADII_KM if r <= max_km] or [max_km]:
        box = bounding_box(lat, lon, radius)
        found = [
            (oid, a, b)
            for oid, a, b, kind in rows
            if box.min_lat <= a <= box.max_lat
            and box.min_lon <= b <= box.max_lon
            and (not office_type or kind == office_type)
            and (not topic or oid in topics.get(topic, ()))
        ]
        ranked = sorted((haversine_km(lat, lon, a, b), oid) for oid, a, b in found)
        ranked = [(d, oid) for d, oid in ranked if d <= radius][:limit]
        if len(ranked) >= limit or radius >= max_km:
            break
    return ranked


def test_office_points_match_the_bounding_box_algorithm_exactly() -> None:
    rng = random.Random(3)
    kinds = ("seniorenbuero", "quartiersbuero", "wohnberatung")
    rows = []
    for oid in range(1, 1501):
        if oid % 50 == 0:  # same place twice: ties decided by id
            _, a, b, _ = rows[-1]
        elif oid % 3:  # clustered, like towns
            a, b = 51.5 + rng.gauss(0, 0.3), 7.4 + rng.gauss(0, 0.4)
        else:
            a, b = rng.uniform(47.3, 55.0), rng.uniform(5.9, 15.0)
        rows.append((oid, a, b, kinds[oid % 3]))
    topics = {"pflege": {oid for oid, *_ in rows if oid % 4 == 0}, "wohnen": {1, 2, 3}}
    points = OfficePoints(rows, topics)
    for _ in range(600):
        lat, lon = rng.uniform(44.0, 58.0), rng.uniform(2.0, 19.0)
        limit = rng.choice([1, 2, 3, 5, 25])
        office_type = rng.choice([None, "", "seniorenbuero", "wohnberatung", "sonstiges"])
        topic = rng.choice([None, None, "pflege", "wohnen", "digitales"])
        max_km = rng.choice([SEARCH_RADII_KM[-1], 5.0, 25.0, 100.0, 2000.0])
        radii = [r for r in SEARCH_RADII_KM if r <= max_km] or [max_km]
        expected = _reference_nearest(rows, topics, lat, lon, limit, office_type, topic, max_km)
        got = points.nearest(lat, lon, limit, radii, max_km, office_type, topic)
        assert got == expected, (lat, lon, limit, office_type, topic, max_km)


def _town(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "town.yml"
    path.write_text(TOWN.format(name=name), encoding="utf-8")
    return path


def _revision(url: str) -> int:
    with open_session(url) as session:
        return session.execute(select(KnowledgeRevision.revision)).scalar_one()


def test_import_invalidates_the_tables_here_and_in_other_processes(
    tmp_path: Path, empty_url: str
) -> None:
    upgrade(empty_url)
    assert _revision(empty_url) == 0
    import_files([_town(tmp_path, "Büro Alt")], empty_url)
    elsewhere = LookupCache()  # stands for another process's cache: no import calls it
    with open_session(empty_url) as session:
        before = elsewhere.tables(session)
        assert lookup_tables(session).revision == before.revision == _revision(empty_url) == 1
        assert [hit.office.name for hit in find_offices(session, "12345")[1]] == ["Büro Alt"]
    import_files([_town(tmp_path, "Büro Alt")], empty_url)  # unchanged: nothing to rebuild
    with open_session(empty_url) as session:
        assert elsewhere.tables(session) is before
    path = _town(tmp_path, "Büro Neu")
    path.write_text(path.read_text(encoding="utf-8").replace("12345", "12346"), encoding="utf-8")
    import_files([path], empty_url)
    with open_session(empty_url) as session:
        assert _revision(empty_url) == 2
        assert elsewhere.tables(session).revision == lookup_tables(session).revision == 2
        assert find_offices(session, "12345")[0].status == "unknown_postal_code"
        assert [hit.office.name for hit in find_offices(session, "12346")[1]] == ["Büro Neu"]
        assert [hit.office.name for hit in nearest_offices(session, 51.5, 7.4)] == ["Büro Neu"]


def test_a_session_from_elsewhere_gets_a_cache_of_its_own(tmp_path: Path, empty_url: str) -> None:
    upgrade(empty_url)
    import_files([_town(tmp_path, "Büro")], empty_url)
    with Session(get_engine(empty_url), future=True) as session:
        tables = lookup_tables(session)
        assert lookup_tables(session) is tables
        assert [hit.office.key for hit in nearest_offices(session, 51.5, 7.41)] == ["one"]
    with open_session(empty_url) as first, open_session(empty_url) as second:
        assert lookup_tables(first) is lookup_tables(second)  # one cache per database


def test_upgrade_from_0002_adds_revision_and_indexes(empty_url: str) -> None:
    from alembic import command

    upgrade(empty_url, "0002")
    provenance = "source, as_of, example"
    with get_engine(empty_url).begin() as conn:
        for statement in (
            f"INSERT INTO municipality (id, key, name, state, {provenance}) "
            "VALUES (1, 'town', 'Town', 'NW', 's', '2026', false)",
            f"INSERT INTO area (id, municipality_id, key, name, kind, {provenance}) "
            "VALUES (1, 1, 'nord', 'Nord', 'stadtteil', 's', '2026', false)",
            "INSERT INTO area_name (area_id, name, norm) VALUES (1, 'Nord', 'nord')",
            f"INSERT INTO area_postal_code (area_id, code, {provenance}) "
            "VALUES (1, '12345', 's', '2026', false)",
            f"INSERT INTO office (id, municipality_id, key, name, type, lat, lon, "
            f"closed_on_holidays, {provenance}) "
            "VALUES (1, 1, 'one', 'Büro', 'seniorenbuero', 51.5, 7.4, true, 's', '2026', false)",
            "INSERT INTO office_area (office_id, area_id) VALUES (1, 1)",
        ):
            conn.execute(text(statement))
    upgrade(empty_url)
    engine = get_engine(empty_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, revision FROM knowledge_revision")).all() == [(1, 0)]
    indexes = {
        table: {index["name"] for index in inspect(engine).get_indexes(table)}
        for table in ("area", "area_name", "area_postal_code")
    }
    assert "ix_area_parent_id" in indexes["area"]
    assert "ix_area_name_area_id" in indexes["area_name"]
    assert "ix_area_postal_code_area_id" in indexes["area_postal_code"]
    with open_session(empty_url) as session:
        for place in ("12345", "in Nord"):
            assert [hit.office.key for hit in find_offices(session, place)[1]] == ["one"]
        assert [hit.office.key for hit in nearest_offices(session, 51.5, 7.41)] == ["one"]
    with get_engine(empty_url).begin() as connection:
        command.downgrade(alembic_config(connection), "0002")
    assert "knowledge_revision" not in inspect(engine).get_table_names()
    upgrade(empty_url)
    assert _revision(empty_url) == 0
