"""Location resolution and catchment lookup on the seed data (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from knowledge.locate import resolve_location
from knowledge.queries import find_offices


@pytest.mark.parametrize(
    "text",
    ["In Dortmund-Hörde", "hörde", "Hoerde", "HÖRDE", "DO-Hörde", "Wellinghofen", "in Syburg"],
)
def test_hoerde_spellings_and_parts_resolve_to_the_hoerde_office(session, text: str) -> None:
    resolution, hits = find_offices(session, text)
    assert resolution.status == "resolved"
    assert [hit.office.name for hit in hits] == ["Seniorenbüro Hörde"]
    assert hits[0].responsible


@pytest.mark.parametrize(
    ("code", "districts"), [("44263", ["Aplerbeck", "Hörde"]), ("44227", ["Hombruch", "Hörde"])]
)
def test_postal_code_in_two_districts_asks_which(session, code: str, districts: list[str]) -> None:
    resolution = resolve_location(session, code)
    assert (resolution.status, resolution.candidates) == ("ambiguous", districts)


def test_postal_code_of_one_district_resolves(session) -> None:
    resolution, hits = find_offices(session, "Meine PLZ ist 44328")
    assert [hit.office.name for hit in hits] == [
        "Seniorenbüro Scharnhorst",
        "Städtisches Begegnungszentrum Scharnhorst",
    ]


def test_sterkrade_asks_between_its_two_sozialraeume(session) -> None:
    resolution, hits = find_offices(session, "Sterkrade", office_type="quartiersbuero")
    assert (resolution.status, resolution.candidates, hits) == (
        "ambiguous",
        ["Sterkrade-Mitte", "Sterkrade-Nord"],
        [],
    )


def test_alstaden_gives_both_sites_of_the_alstaden_lirich_office(session) -> None:
    resolution, hits = find_offices(
        session, "Gibt es ein Quartiersbüro in Alstaden?", office_type="quartiersbuero"
    )
    assert resolution.status == "resolved"
    assert [hit.office.key for hit in hits] == [
        "qb-alstaden-lirich-kewerstrasse",
        "qb-alstaden-lirich-bebelstrasse",
    ]


def test_mitte_alone_is_ambiguous_across_cities(session) -> None:
    resolution = resolve_location(session, "Mitte")
    assert resolution.status == "ambiguous"
    assert resolution.candidates == ["Mitte (Berlin)", "Mitte (Niedersachsen)"]


def test_whole_city_asks_for_the_district(session) -> None:
    resolution = resolve_location(session, "Oberhausen")
    assert resolution.status == "ambiguous"
    assert len(resolution.candidates) == 6


def test_city_wide_service_answers_without_district(session) -> None:
    resolution, hits = find_offices(session, "Dortmund", office_type="wohnberatung")
    assert [hit.office.key for hit in hits] == ["wohnberatung-kreuzviertel-verein"]


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("4426", "invalid_postal_code"),
        ("PLZ 123456", "invalid_postal_code"),
        ("99999", "unknown_postal_code"),
        ("Xyzzyhausen", "unknown"),
        ("'; DROP TABLE office; --", "unknown"),
        ("", "unknown"),
    ],
)
def test_bad_input_is_reported_not_guessed(session, text: str, status: str) -> None:
    resolution, hits = find_offices(session, text)
    assert (resolution.status, hits) == (status, [])


def test_place_outside_served_cities_gets_nearest_office_with_distance(session) -> None:
    resolution, hits = find_offices(session, "Ich wohne in Bochum")
    assert (resolution.status, resolution.label) == ("outside", "Bochum")
    assert [hit.office.name for hit in hits][0] in {
        "Seniorenbüro Lütgendortmund",
        "Städtisches Begegnungszentrum Lütgendortmund",
    }
    assert 8 < hits[0].distance_km < 11
    assert not hits[0].responsible


def test_coordinates_and_street_address(session) -> None:
    resolution, hits = find_offices(session, "51.4837, 7.5003")
    assert resolution.status == "coordinates"
    assert hits[0].office.name == "Seniorenbüro Hörde"
    resolution, hits = find_offices(session, "Kewerstraße 56, 46049 Oberhausen")
    assert resolution.status == "resolved"
    assert {hit.office.key for hit in hits} == {
        "qb-alstaden-lirich-kewerstrasse",
        "qb-alstaden-lirich-bebelstrasse",
    }


def test_typo_is_tolerated(session) -> None:
    resolution, hits = find_offices(session, "Aplerbek")
    assert [hit.office.name for hit in hits] == ["Seniorenbüro Aplerbeck"]
