"""Importer: precise validation errors, all-or-nothing import, idempotent re-import, export."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from knowledge.bootstrap import seed_files
from knowledge.cli import main as cli
from knowledge.db import open_session
from knowledge.document import ValidationFailed
from knowledge.exporter import export_text
from knowledge.importer import import_files
from knowledge.models import Area, Municipality, Office, OpeningHours
from storage.engine import get_engine
from storage.schema import upgrade

GOOD = """\
municipality:
  key: musterstadt
  name: Musterstadt
  state: NW
  hotline: {phone: 0123 45-0}
  source: https://example.org/musterstadt
  as_of: 2026-11-01
areas:
  - key: nord
    name: Nord
    kind: stadtbezirk
    aliases: [Musterstadt-Nord]
    stadtteile: [Oberdorf]
    postal_codes: {codes: ["12345", "12350-12359"]}
    source: https://example.org/bezirke
    as_of: 2026-11-01
offices:
  - key: buero-nord
    name: Seniorenbüro Nord
    type: seniorenbuero
    address: {street: Hauptstraße 1, postal_code: "12345", city: Musterstadt}
    coordinates: {lat: 51.5, lon: 7.5, precision: address}
    phone: 0123 45-100
    topics: [pflege]
    areas: [nord]
    hours: ["Mo-Fr 09:00-12:00", "Do 14:00-16:00 telefonisch"]
    exceptions: ["2026-12-24..2026-12-31 geschlossen: Betriebsferien"]
    source: https://example.org/buero-nord
    as_of: 2026-11-01
    example: true
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def counts(url: str) -> dict[str, int]:
    with open_session(url) as session:
        return {
            model.__tablename__: session.execute(
                select(func.count()).select_from(model)
            ).scalar_one()
            for model in (Municipality, Area, Office, OpeningHours)
        }


def test_validation_reports_file_line_and_field(tmp_path: Path) -> None:
    bad = (
        GOOD.replace("state: NW", "state: XX")
        .replace('"12345", "12350-12359"', '"1234", "12359-12350"')
        .replace("Mo-Fr 09:00-12:00", "Mo-Fr 12:00-09:00")
        .replace("topics: [pflege]", "topics: [kochen]")
        .replace("areas: [nord]", "areas: [sued]")
        .replace("    phone: 0123 45-100\n", "    phone: 0123 45-100\n    telefon: doppelt\n")
    )
    path = write(tmp_path, "muster.yml", bad)
    with pytest.raises(ValidationFailed) as caught:
        import_files([path], f"sqlite:///{tmp_path / 'x.db'}")
    messages = [str(issue) for issue in caught.value.issues]
    assert messages == [
        "muster.yml:4: municipality.state: 'XX' ist nicht erlaubt "
        "(erlaubt: BW, BY, BE, BB, HB, HH, HE, MV, NI, NW, RP, SL, SN, ST, SH, TH)",
        "muster.yml:14: areas[0].postal_codes.codes[0]: "
        "Postleitzahl '1234' muss genau fünf Ziffern haben",
        "muster.yml:14: areas[0].postal_codes.codes[1]: "
        "'12359-12350': Bereich muss 'von-bis' mit von <= bis sein",
        "muster.yml:24: offices[0].telefon: unbekanntes Feld "
        "(erlaubt: key, name, type, traeger, address, coordinates, phone, phone_more, email, web, "
        "accessibility, languages, topics, areas, hours, "
        "hours_text, hours_caveat, closed_on_holidays, exceptions, notices, source, as_of, "
        "example, notes)",
        "muster.yml:27: offices[0].hours[0]: Ende 09:00 liegt nicht nach Beginn 12:00",
        "muster.yml:25: offices[0].topics[0]: Thema 'kochen' unbekannt (erlaubt: pflege, vorsorge, "
        "wohnen, begegnung, gesundheit, ehrenamt, freizeit, nachbarschaftshilfe, hilfsmittel, "
        "digitales, migration, grundsicherung)",
        "muster.yml:26: offices[0].areas[0]: Gebiet 'sued' ist in 'areas' nicht definiert",
    ]


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    path = write(
        tmp_path, "kaputt.yml", GOOD.replace("  name: Musterstadt", "  name: [Musterstadt")
    )
    with pytest.raises(ValidationFailed) as caught:
        import_files([path], f"sqlite:///{tmp_path / 'x.db'}")
    issue = caught.value.issues[0]
    assert (issue.file, issue.path) == ("kaputt.yml", "(Datei)")
    assert issue.line == 4 and issue.message.startswith("YAML-Syntaxfehler")


def test_missing_source_is_rejected(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ohne_quelle.yml",
        GOOD.replace("    source: https://example.org/buero-nord\n", ""),
    )
    with pytest.raises(ValidationFailed) as caught:
        import_files([path], f"sqlite:///{tmp_path / 'x.db'}")
    assert [str(i) for i in caught.value.issues] == [
        "ohne_quelle.yml:18: offices[0].source: Pflichtfeld fehlt oder ist leer"
    ]


def test_sql_metacharacters_are_stored_as_text(tmp_path: Path, empty_url: str) -> None:
    evil = "Robert'); DROP TABLE office;--"
    path = write(tmp_path, "muster.yml", GOOD.replace("name: Seniorenbüro Nord", f'name: "{evil}"'))
    upgrade(empty_url)
    import_files([path], empty_url)
    with open_session(empty_url) as session:
        assert session.execute(select(Office.name)).scalar_one() == evil


def test_bad_file_changes_nothing(tmp_path: Path, empty_url: str) -> None:
    upgrade(empty_url)
    good = write(tmp_path, "muster.yml", GOOD)
    import_files([good], empty_url)
    before = counts(empty_url)
    changed = write(tmp_path, "muster.yml", GOOD.replace("0123 45-100", "0999 1"))
    broken = write(
        tmp_path,
        "zweite.yml",
        GOOD.replace("key: musterstadt", "key: zweite").replace("kind: stadtbezirk", "kind: dorf"),
    )
    with pytest.raises(ValidationFailed):
        import_files([changed, broken], empty_url)
    assert counts(empty_url) == before
    with open_session(empty_url) as session:
        assert session.execute(select(Office.phone)).scalar_one() == "0123 45-100"


def test_reimport_is_idempotent_and_updates_in_place(tmp_path: Path, empty_url: str) -> None:
    upgrade(empty_url)
    path = write(tmp_path, "muster.yml", GOOD)
    first = import_files([path], empty_url)
    with open_session(empty_url) as session:
        office_id = session.execute(select(Office.id)).scalar_one()
    state = counts(empty_url)
    again = import_files([path], empty_url)
    assert (first.changed, again.changed, again.unchanged) == (["Musterstadt"], [], ["Musterstadt"])
    assert (
        counts(empty_url)
        == state
        == {"municipality": 1, "area": 2, "office": 1, "opening_hours": 6}
    )
    write(tmp_path, "muster.yml", GOOD.replace("Mo-Fr 09:00-12:00", "Mo 09:00-12:00"))
    assert import_files([path], empty_url).changed == ["Musterstadt"]
    with open_session(empty_url) as session:
        assert session.execute(select(Office.id)).scalar_one() == office_id
    assert counts(empty_url)["opening_hours"] == 2


def test_seed_export_round_trips_through_yaml_and_csv(
    tmp_path: Path, seeded_url: str, empty_url: str
) -> None:
    upgrade(empty_url)
    for fmt in ("yaml", "csv"):
        with open_session(seeded_url) as session:
            exported = export_text(session, "oberhausen", fmt)
        path = write(tmp_path, f"oberhausen.{'yml' if fmt == 'yaml' else 'csv'}", exported)
        import_files([path], empty_url)
        with open_session(empty_url) as session:
            assert export_text(session, "oberhausen", "yaml") == export_text(
                open_session(seeded_url), "oberhausen", "yaml"
            )


def test_cli_validate_import_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    good = write(tmp_path, "muster.yml", GOOD)
    assert cli(["validate", str(good)]) == 0
    assert capsys.readouterr().out == "OK: Musterstadt – 2 Gebiete, 1 Büros\n"
    bad = write(tmp_path, "bad.yml", GOOD.replace("type: seniorenbuero", "type: amt"))
    assert cli(["import", str(bad), "--database-url", url]) == 1
    err = capsys.readouterr().err
    assert "1 Fehler gefunden – nichts wurde geändert:" in err
    assert "bad.yml:20: offices[0].type: 'amt' ist nicht erlaubt" in err
    assert cli(["import", str(good), "--database-url", url]) == 0
    assert (
        cli(["export", "--municipality", "musterstadt", "--format", "csv", "--database-url", url])
        == 0
    )
    out = capsys.readouterr().out
    assert "Mo-Fr 09:00-12:00; Do 14:00-16:00 telefonisch" in out
    assert cli(["export", "--municipality", "Nirgendwo", "--database-url", url]) == 1


def test_ensure_database_is_idempotent_and_seeds_once(empty_url: str) -> None:
    from knowledge.bootstrap import ensure_database

    ensure_database(empty_url)
    first = counts(empty_url)
    ensure_database(empty_url)
    assert counts(empty_url) == first
    assert first["municipality"] == len(seed_files()) == 5
    assert first["office"] == 42


def test_csv_errors_name_the_row(tmp_path: Path) -> None:
    from knowledge.fileformats import CSV_COLUMNS

    header = ",".join(CSV_COLUMNS)
    row = {column: "" for column in CSV_COLUMNS}
    municipality = {
        **row,
        "record": "municipality",
        "key": "m",
        "name": "M",
        "state": "NW",
        "source": "s",
        "as_of": "2026",
    }
    area = {
        **row,
        "record": "area",
        "key": "a",
        "name": "A",
        "type": "stadtteil",
        "postal_codes": "12345; 9999",
        "source": "s",
        "as_of": "2026",
    }
    office = {
        **row,
        "record": "office",
        "key": "o",
        "name": "O",
        "type": "seniorenbuero",
        "areas": "a",
        "hours": "Mo-Fr 9-12; Xx 9-12",
        "source": "s",
        "as_of": "2026",
    }
    lines = [header] + [",".join(r[c] for c in CSV_COLUMNS) for r in (municipality, area, office)]
    path = write(tmp_path, "m.csv", "\n".join(lines) + "\n")
    with pytest.raises(ValidationFailed) as caught:
        import_files([path], f"sqlite:///{tmp_path / 'x.db'}")
    assert [str(issue) for issue in caught.value.issues] == [
        "m.csv:3: areas[0].postal_codes.codes[1]: "
        "Postleitzahl '9999' muss genau fünf Ziffern haben",
        "m.csv:4: offices[0].hours[1]: Wochentag 'Xx' unbekannt "
        "(erlaubt: Mo, Di, Mi, Do, Fr, Sa, So, z. B. 'Mo-Fr')",
    ]


def test_upgrade_in_place_expands_postal_code_ranges(empty_url: str) -> None:
    from sqlalchemy import text

    upgrade(empty_url, "0001")
    with get_engine(empty_url).begin() as conn:
        conn.execute(
            text(
                "INSERT INTO municipality (id, key, name, state, source, as_of, example) "
                "VALUES (1, 'm', 'M', 'NW', 's', '2026', false)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO area (id, municipality_id, key, name, kind, source, as_of, "
                "example) VALUES (1, 1, 'a', 'A', 'stadtteil', 's', '2026', false)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO area_postal_code (area_id, code_from, code_to, source, as_of, "
                "example) VALUES (1, '44263', '44265', 's', '2026', false)"
            )
        )
    upgrade(empty_url)
    with get_engine(empty_url).connect() as conn:
        codes = (
            conn.execute(text("SELECT code FROM area_postal_code ORDER BY code")).scalars().all()
        )
    assert codes == ["44263", "44264", "44265"]
