"""Distance ranking, filters, hotlines and the integrity of the seed data."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from knowledge.db import open_session
from knowledge.geo import haversine_km
from knowledge.importer import import_files
from knowledge.models import Area, AreaPostalCode, Municipality, Office, OpeningHours
from knowledge.queries import contact_for_place, municipality_hotline, nearest_offices
from storage.schema import upgrade

# confirmed office data lives beside the repository in shared/ (never an absolute path)
CONFIRMED = Path(__file__).resolve().parents[3] / "shared" / "data" / "offices_confirmed.yml"

GRID = """\
municipality: {key: raster, name: Raster, state: NW, source: test, as_of: "2026"}
areas: [{key: all, name: Raster, kind: stadt, source: test, as_of: "2026"}]
offices:
"""


def test_haversine_known_distance() -> None:
    assert haversine_km(51.51494, 7.466, 51.47805, 6.8625) == pytest.approx(41.9, abs=0.2)


def test_nearest_offices_are_ranked_by_distance_and_filtered(
    tmp_path: Path, empty_url: str
) -> None:
    rows = []
    for i, (lat, lon, kind, topic) in enumerate(
        [
            (51.50, 7.40, "seniorenbuero", "pflege"),
            (51.60, 7.40, "seniorenbuero", "wohnen"),
            (51.52, 7.40, "quartiersbuero", "pflege"),
            (53.50, 10.0, "seniorenbuero", "pflege"),
            (51.488, 7.40, "wohnberatung", "wohnen"),
        ]
    ):
        rows.append(
            f"  - {{key: o{i}, name: Büro {i}, type: {kind}, areas: [all], topics: [{topic}], "
            f"coordinates: {{lat: {lat}, lon: {lon}}}, source: test, as_of: '2026', example: true}}"
        )
    path = tmp_path / "raster.yml"
    path.write_text(GRID + "\n".join(rows) + "\n", encoding="utf-8")
    upgrade(empty_url)
    import_files([path], empty_url)
    with open_session(empty_url) as session:
        hits = nearest_offices(session, 51.505, 7.40, limit=4)
        assert [h.office.key for h in hits] == ["o0", "o2", "o4", "o1"]
        assert [round(h.distance_km, 1) for h in hits] == [0.6, 1.7, 1.9, 10.6]
        assert [
            h.office.key
            for h in nearest_offices(session, 51.505, 7.40, limit=2, office_type="seniorenbuero")
        ] == ["o0", "o1"]
        assert [
            h.office.key for h in nearest_offices(session, 51.505, 7.40, limit=5, topic="wohnen")
        ] == ["o4", "o1"]
        far = nearest_offices(session, 53.55, 9.99, limit=1)
        assert far[0].office.key == "o3" and far[0].distance_km < 10


def test_seed_holds_42_offices_each_with_source_and_as_of(session) -> None:
    offices = session.execute(select(Office)).scalars().all()
    assert len(offices) == 42
    for record in [
        *offices,
        *session.execute(select(Area)).scalars(),
        *session.execute(select(Municipality)).scalars(),
        *session.execute(select(OpeningHours)).scalars(),
        *session.execute(select(AreaPostalCode)).scalars(),
    ]:
        assert record.source and record.as_of, record
    assert not any(office.example for office in offices)  # all confirmed from public pages


def test_every_confirmed_office_is_in_the_seed_with_its_source(session) -> None:
    confirmed = yaml.safe_load(CONFIRMED.read_text(encoding="utf-8"))
    by_name = {office.name: office for office in session.execute(select(Office)).scalars()}
    for entry in confirmed:
        name = entry["name"].replace("Pflegeberatung(sstelle)", "Pflegeberatung")
        assert name in by_name, name
        assert by_name[name].source == entry["quelle"], name


def test_no_staff_names_in_the_knowledge_base(seeded_url: str) -> None:
    staff = [
        "Hilbig",
        "Schlichting",
        "Zupke",
        "Huesmann",
        "Steinkamp",
        "Meyer",
        "Simmgen",
        "Brandt",
        "Rolfsmeier",
        "Peschke",
        "Grentz",
        "Werner-Keller",
        "Rönsch",
        "Knicker",
        "Kleinschmidt",
        "Bank",
        "Hoppmann",
        "Dahlmann",
        "Höger",
        "Cimen",
        "Mönig",
        "Gedik",
        "Overbeck",
        "Auner",
        "Derin",
        "van de Leest",
        "Kraft-Gerhard",
        "Heipcke",
        "Costecki",
        "Schilling",
        "Schlubat",
        "Bogacz",
        "Haubenreisser",
        "Neven",
        "Schöler",
        "Gaum",
        "Makk",
        "Özcelik",
    ]
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, staff)) + r")\b")
    from knowledge.exporter import export_text

    with open_session(seeded_url) as session:
        for key in ("dortmund", "oberhausen", "krefeld", "hamburg", "doebeln"):
            text = export_text(session, key, "yaml")
            assert not pattern.findall(text.replace("Bankverbindung", "")), key


def test_unknown_hours_stay_empty(session) -> None:
    hoerde = session.execute(
        select(Office).where(Office.key == "seniorenbuero-hoerde")
    ).scalar_one()
    assert hoerde.hours == [] and hoerde.hours_text is None
    osterfeld = session.execute(select(Office).where(Office.key == "qb-osterfeld")).scalar_one()
    assert osterfeld.hours == [] and osterfeld.postal_code is None


def test_conflicts_are_carried_as_notes(session) -> None:
    oberhausen = session.execute(
        select(Municipality).where(Municipality.key == "oberhausen")
    ).scalar_one()
    assert "Schwarzstraße 73" in oberhausen.notes and "Schwartzstraße 73" in oberhausen.notes
    nord = session.execute(select(Office).where(Office.key == "qb-sterkrade-nord")).scalar_one()
    assert "Julius-Brecht-Anger 41" in nord.notes


def test_hotlines_and_contact_for_place(session) -> None:
    assert municipality_hotline(session, "dortmund").phone == "0231 50-0"
    assert municipality_hotline(session, "Oberhausen").phone == "0208 8253967"
    assert municipality_hotline(session, "hamburg").phone is None
    assert municipality_hotline(session, "Atlantis") is None
    at = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)  # Wednesday 13:00 local
    info = contact_for_place(session, "Lirich", at)
    assert info.office_name == "Quartiersbüro Alstaden/Lirich – Standort I Rohlandshof"
    assert info.phone == "0208 97069682"
    assert info.next_opening.start.isoformat() == "2026-11-26T10:00:00+01:00"
    assert info.hotline.phone == "0208 8253967"
    assert contact_for_place(session, "Sterkrade", at) is None
