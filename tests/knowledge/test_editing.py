"""Console edits of office data (knowledge.editing): the importer's validation, revisions,
undo, conflicts, notices, and export/re-import of the edited state."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from knowledge.bootstrap import ensure_database
from knowledge.db import open_session
from knowledge.editing import (
    EditConflict,
    EditRejected,
    OfficeEdit,
    edit_municipality_notices,
    edit_office,
    office_document,
    revisions,
    undo,
)
from knowledge.exporter import export_document, export_text
from knowledge.importer import import_files
from knowledge.models import Municipality
from knowledge.notices import handoff_notices, valid_notices
from knowledge.queries import office_by_key

TODAY = date(2026, 12, 1)
TOMORROW = TODAY + timedelta(days=1)


@pytest.fixture
def url(empty_url: str) -> str:
    """A seeded database per test, on SQLite and PostgreSQL."""
    ensure_database(empty_url)
    return empty_url


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    ensure_database(url)
    return url


@pytest.fixture(scope="module")
def unchanged_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Shared by tests whose edits are all refused (they check that nothing changes)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.db'}"
    ensure_database(url)
    return url


def _form(url: str, office_key: str = "seniorenbuero-hoerde") -> tuple[OfficeEdit, int]:
    """The form as the console fills it from the stored office."""
    with open_session(url) as session:
        office = office_document(session, "dortmund", office_key)
        version = office_by_key(session, "dortmund", office_key).version
    address = office.get("address", {})
    return (
        OfficeEdit(
            phone=office.get("phone", ""),
            email=office.get("email", ""),
            web=office.get("web", ""),
            street=address.get("street", ""),
            postal_code=address.get("postal_code", ""),
            city=address.get("city", ""),
            accessibility=office.get("accessibility", ""),
            topics=list(office.get("topics", [])),
            languages=list(office.get("languages", [])),
            hours=list(office.get("hours", [])),
            exceptions=list(office.get("exceptions", [])),
            notices=list(office.get("notices", [])),
            areas=list(office.get("areas", [])),
        ),
        version,
    )


def _export(url: str) -> str:
    with open_session(url) as session:
        return export_text(session, "dortmund", "yaml")


def test_edit_is_stored_confirmed_revisioned_and_undone(url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    original = _export(url)
    form, version = _form(url)
    form.hours = ["Di 09:00-12:00"]
    form.exceptions = [f"{TOMORROW} geschlossen: Betriebsausflug"]
    form.notices = [f"{TOMORROW}..{TOMORROW}: Morgen ist das Büro geschlossen."]
    result = edit_office(url, "dortmund", "seniorenbuero-hoerde", version, "anna", form, TODAY)
    assert result.summary == "Geändert: Sprechzeiten, Ausnahmen, Aktuelle Hinweise"

    with open_session(url) as session:
        office = office_by_key(session, "dortmund", "seniorenbuero-hoerde")
        assert [(h.weekday, f"{h.opens:%H:%M}", f"{h.closes:%H:%M}") for h in office.hours] == [
            (1, "09:00", "12:00")
        ]
        assert office.exceptions[0].date_from == TOMORROW and office.exceptions[0].closed
        assert office.source == "eingegeben von anna in der Konsole"
        assert office.as_of == "2026-12-01" and office.example is False
        assert office.version == version + 1
        assert office.phone == "0231 5023311"  # untouched fields stay
        assert valid_notices(session, office.municipality_id, office.id, TOMORROW) == [
            "Morgen ist das Büro geschlossen."
        ]
        assert valid_notices(session, office.municipality_id, office.id, TODAY) == []
        history = revisions(session, office.municipality_id, "seniorenbuero-hoerde")
    assert [change.label for change in history[0].changes] == [
        "Sprechzeiten", "Ausnahmen", "Aktuelle Hinweise", "Quelle", "Stand",
    ]
    hours = history[0].changes[0]
    assert (hours.before, hours.after) == ("–", "Di 09:00-12:00")

    # the export reproduces the edit; importing it changes nothing
    edited = _export(url)
    assert "Di 09:00-12:00" in edited and "eingegeben von anna in der Konsole" in edited
    exported = tmp_path / "dortmund.yml"
    exported.write_text(edited, encoding="utf-8")
    report = import_files([exported], url)
    assert report.changed == [] and report.unchanged == ["Dortmund"]
    assert _export(url) == edited
    # and into a fresh database it gives the same state
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    ensure_database(fresh)
    import_files([exported], fresh)
    with open_session(fresh) as session:
        assert export_text(session, "dortmund", "yaml") == edited

    undone = undo(url, "dortmund", history[0].id, version + 1, "berta")
    assert undone.summary.startswith(f"Änderung Nr. {history[0].id} zurückgenommen")
    assert _export(url) == original
    with open_session(url) as session:
        history = revisions(session, _municipality_id(session), "seniorenbuero-hoerde")
    assert history[0].reverts_id == history[1].id and history[1].reverted_by_id == history[0].id
    with pytest.raises(EditConflict, match="schon zurückgenommen"):
        undo(url, "dortmund", history[1].id, None, "berta")


def _municipality_id(session) -> int:  # type: ignore[no-untyped-def]
    return session.query(Municipality.id).filter_by(key="dortmund").scalar()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"hours": ["Di 09:00-12:00", "Di 11:00-13:00"]}, "hours.1", "überschneidet sich"),
        ({"hours": ["Di 12:00-09:00"]}, "hours.0", "Ende 09:00 liegt nicht nach Beginn 12:00"),
        (
            {"exceptions": ["2026-12-05..2026-12-02 geschlossen"]},
            "exceptions.0",
            "Enddatum 02.12.2026 liegt vor dem Anfangsdatum 05.12.2026",
        ),
        ({"phone": "bitte anrufen"}, "phone", "ist keine Telefonnummer"),
        ({"postal_code": "1010"}, "address.postal_code", "genau fünf Ziffern"),
        ({"postal_code": "00123"}, "address.postal_code", "gibt es in Deutschland nicht"),
        ({"email": "buero(at)dortmund"}, "email", "keine E-Mail-Adresse"),
        ({"notices": [f"{TODAY}: " + "x" * 301]}, "notices.0", "Hinweis zu lang"),
        ({"topics": ["kochen"]}, "topics.0", "Thema 'kochen' unbekannt"),
    ],
)
def test_bad_input_is_rejected_field_by_field_and_nothing_is_saved(
    unchanged_url: str, change: dict, field: str, message: str
) -> None:
    url = unchanged_url
    before = _export(url)
    form, version = _form(url)
    form.hours = ["Mo 10:00-12:00"]  # a valid change in the same form is not half-saved
    for key, value in change.items():
        setattr(form, key, value)
    with pytest.raises(EditRejected) as caught:
        edit_office(url, "dortmund", "seniorenbuero-hoerde", version, "anna", form, TODAY)
    assert [(e.field, message in e.message) for e in caught.value.errors] == [(field, True)]
    assert _export(url) == before


def test_markup_is_stored_verbatim(sqlite_url: str) -> None:
    url = sqlite_url
    form, version = _form(url)
    form.accessibility = "<script>alert('x')</script> Rampe"
    edit_office(url, "dortmund", "seniorenbuero-hoerde", version, "anna", form, TODAY)
    with open_session(url) as session:
        office = office_by_key(session, "dortmund", "seniorenbuero-hoerde")
        assert office.accessibility == "<script>alert('x')</script> Rampe"


def test_stale_form_gets_a_conflict_not_an_overwrite(url: str) -> None:
    first, version = _form(url)
    second, _ = _form(url)
    first.phone = "0231 50-11111"
    edit_office(url, "dortmund", "seniorenbuero-hoerde", version, "anna", first, TODAY)
    second.phone = "0231 50-22222"
    with pytest.raises(EditConflict, match="inzwischen von anna"):
        edit_office(url, "dortmund", "seniorenbuero-hoerde", version, "berta", second, TODAY)
    with open_session(url) as session:
        assert office_by_key(session, "dortmund", "seniorenbuero-hoerde").phone == "0231 50-11111"


def test_undo_refuses_when_the_field_changed_again(sqlite_url: str) -> None:
    url = sqlite_url
    form, version = _form(url)
    form.phone = "0231 50-11111"
    first = edit_office(url, "dortmund", "seniorenbuero-hoerde", version, "anna", form, TODAY)
    form.phone = "0231 50-22222"
    edit_office(url, "dortmund", "seniorenbuero-hoerde", version + 1, "anna", form, TODAY)
    with pytest.raises(EditConflict, match="Telefon"):
        undo(url, "dortmund", first.revision_id, None, "anna")  # type: ignore[arg-type]


def test_catchment_postal_codes_and_new_stadtteil(sqlite_url: str) -> None:
    url = sqlite_url
    form, version = _form(url)
    form.postal_codes = {"hoerde": ["44263-44265", "44287"]}
    with open_session(url) as session:
        areas = export_document(session, "dortmund")["areas"]
    area = next(a for a in areas if a["key"] == "hoerde")
    form.stadtteile = {"hoerde": [*area.get("stadtteile", []), "Phoenix-See"]}
    result = edit_office(url, "dortmund", "seniorenbuero-hoerde", version, "anna", form, TODAY)
    assert result.new_places == ["Phoenix-See"]
    with open_session(url) as session:
        from knowledge.locate import resolve_location

        shared = resolve_location(session, "44287")  # also Aplerbeck's: now ambiguous
        assert "Hörde" in [catchment.name for catchment in shared.catchments]
        assert resolve_location(session, "Phoenix-See").status == "resolved"
    form.postal_codes = {"hoerde": ["4426"]}
    with pytest.raises(EditRejected) as caught:
        edit_office(url, "dortmund", "seniorenbuero-hoerde", version + 1, "anna", form, TODAY)
    assert caught.value.errors[0].field == "areas.hoerde.postal_codes"


def test_municipality_notice_reaches_every_office_and_the_handoff(sqlite_url: str) -> None:
    url = sqlite_url
    notice = "Vom 23.12. bis 2.1. sind alle Seniorenbüros geschlossen."
    edit_municipality_notices(url, "dortmund", "anna", [f"2026-12-23..2027-01-02: {notice}"], 0)
    at = datetime(2026, 12, 28, 10, tzinfo=timezone.utc)
    assert handoff_notices(url, "Dortmund", "", at) == [notice]
    assert handoff_notices(url, "Dortmund", "Hörde", at) == [notice]
    assert handoff_notices(url, "Dortmund", "Hörde", at + timedelta(days=10)) == []
    with pytest.raises(EditConflict):
        edit_municipality_notices(url, "dortmund", "berta", [], 0)
