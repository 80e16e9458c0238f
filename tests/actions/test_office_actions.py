"""Office actions with CollectingDispatcher and Tracker: the exact messages and events."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

import actions.office_messages as messages
import actions.offices as offices
import actions.opening_hours as opening_hours
from actions.handoff import ActionAskHandoffPlace
from knowledge.bootstrap import ensure_database
from knowledge.db import open_session
from tests.support.trackers import make_tracker

THURSDAY_1030 = datetime(2026, 11, 26, 9, 30, tzinfo=timezone.utc)  # 10:30 in Berlin


@pytest.fixture(scope="module")
def kb_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.db'}"
    ensure_database(url)
    return url


@pytest.fixture(autouse=True)
def knowledge_base(kb_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (offices, opening_hours):
        monkeypatch.setattr(module, "open_session", lambda: open_session(kb_url))
    monkeypatch.setattr(offices, "geocoder_url", lambda: None)
    monkeypatch.setattr(opening_hours, "geocoder_url", lambda: None)
    monkeypatch.setattr(messages, "now", lambda: THURSDAY_1030)


def tracker(latest_action: str = "action_listen", **slots: Any) -> Tracker:
    return make_tracker(slots={"place_attempts": 0, **slots}, sender="senior",
                        latest_action=latest_action)


def run(action: Any, latest_action: str = "action_listen",
        **slots: Any) -> tuple[list[str], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker(latest_action, **slots), {})
    return [m["text"] for m in dispatcher.messages], events


def test_find_office_hoerde_says_honestly_that_hours_are_unknown() -> None:
    texts, events = run(offices.ActionFindOffice(), place="In Dortmund-Hörde")
    assert texts == [
        "Für Hörde ist zuständig:",
        "Seniorenbüro Hörde\n"
        "Adresse: Hörder Bahnhofstraße 16, 44263 Dortmund\n"
        "Telefon: 0231 5023311\n"
        "E-Mail: seniorenbuero.hoerde@dortmund.de\n"
        "Sprechzeiten: Dazu habe ich keine bestätigten Angaben.\n"
        "Bitte rufen Sie vorher an: 0231 5023311.\n"
        "Wie aktuell diese Angaben sind, weiß ich nicht. Fragen Sie bitte vorher nach.",
    ]
    assert events == [
        SlotSet("office_type", None),
        SlotSet("weekday", None),
        SlotSet("last_office", "dortmund/seniorenbuero-hoerde"),
    ]


def test_find_office_alstaden_shows_hours_and_open_now() -> None:
    texts, _ = run(offices.ActionFindOffice(), place="Alstaden", office_type="quartiersbuero")
    assert texts[0] == "Für Alstaden sind zuständig:"
    assert texts[1] == (
        "Quartiersbüro Alstaden/Lirich – Standort I Rohlandshof\n"
        "Adresse: Kewerstraße 56, 46049 Oberhausen\n"
        "Telefon: 0208 97069682\n"
        "Sprechzeiten:\n"
        "Donnerstag: 10 bis 12 Uhr\n"
        "Jetzt geöffnet, heute bis 12 Uhr.\n"
        "Wie aktuell diese Angaben sind, weiß ich nicht. Fragen Sie bitte vorher nach."
    )
    assert (
        "Sprechzeiten:\nMontag und Mittwoch: 10 bis 12 Uhr\nDienstag: 12 bis 14 Uhr\n"
        "Jetzt geschlossen.\nNächste Sprechstunde: Montag, 30. November, 10 bis 12 Uhr."
    ) in texts[2]


def test_office_without_phone_points_to_the_city_switchboard() -> None:
    texts, _ = run(offices.ActionFindOffice(), place="Nordstadt")
    assert texts[1].splitlines()[1:] == [
        "Die genaue Adresse kenne ich leider nicht.",
        "Sprechzeiten: Dazu habe ich keine bestätigten Angaben.",
        "Bitte fragen Sie bei der Stadt Dortmund nach: 0231 50-0.",
        "Wie aktuell diese Angaben sind, weiß ich nicht. Fragen Sie bitte vorher nach.",
    ]


def test_outside_served_cities_gives_nearest_office_distance_and_pflegetelefon() -> None:
    texts, _ = run(offices.ActionFindOffice(), place="Bochum")
    assert texts[0] == (
        "Für Bochum habe ich kein Büro in meiner Liste. Das nächste Büro, das ich kenne:"
    )
    assert "Entfernung: etwa 9,3 km (Luftlinie, ungefähr)" in texts[1]
    assert texts[-1] == (
        "Bundesweit hilft auch das Pflegetelefon: 030 20179131 "
        "(Montag bis Donnerstag 9 bis 16 Uhr)."
    )


def test_a_named_place_is_answered_by_the_action_alone() -> None:
    """One step, no form: the message's place resolves, the answer comes at once."""
    texts, events = run(offices.ActionFindOffice(), place="Alstaden")
    assert texts[0].startswith("Für Alstaden sind zuständig:")
    assert not [event for event in events if event.get("event") == "followup"]


@pytest.mark.parametrize("place", [None, "Sterkrade", "xyz"])
def test_a_missing_ambiguous_or_unknown_place_goes_to_the_form(place: str | None) -> None:
    """The form asks, clarifies and counts the attempts; the action says nothing itself."""
    for action, form in ((offices.ActionFindOffice(), "office_form"),
                         (opening_hours.ActionOpeningHours(), "hours_form")):
        texts, events = run(action, place=place)
        assert (texts, events) == ([], [FollowupAction(form)])


def test_find_office_asks_back_for_an_ambiguous_place_after_the_form() -> None:
    dispatcher = CollectingDispatcher()
    events = offices.ActionFindOffice().run(
        dispatcher, tracker("office_form", place="Sterkrade"), {})
    assert dispatcher.messages[0]["text"] == "Meinen Sie Sterkrade-Mitte oder Sterkrade-Nord?"
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == [
        '/inform_location{"place": "Sterkrade-Mitte"}',
        '/inform_location{"place": "Sterkrade-Nord"}',
    ]
    assert SlotSet("place", None) in events


def test_a_user_who_gave_up_in_the_form_is_not_asked_again() -> None:
    """After the form's third try the place is empty: the hotlines, not a fourth question."""
    for action, form in ((offices.ActionFindOffice(), "office_form"),
                         (opening_hours.ActionOpeningHours(), "hours_form")):
        texts, events = run(action, latest_action=form)
        assert texts[0].startswith("Leider konnte ich Ihren Ort nicht zuordnen.")
        assert FollowupAction(form) not in events


@pytest.mark.parametrize(
    ("value", "question"),
    [
        ("Sterkrade", "Meinen Sie Sterkrade-Mitte oder Sterkrade-Nord?"),
        (
            "44263",
            "Die Postleitzahl 44263 gehört zu mehreren Bezirken. "
            "In welchem Stadtteil wohnen Sie: Aplerbeck oder Hörde?",
        ),
        (
            "Mitte",
            "„Mitte“ gibt es mehrmals: Mitte (Berlin) oder Mitte (Niedersachsen). "
            "Nennen Sie bitte auch die Stadt.",
        ),
        (
            "4426",
            "„4426“ ist keine gültige Postleitzahl. Eine Postleitzahl hat fünf Ziffern, "
            "zum Beispiel 44263. Oder nennen Sie mir Ihren Stadtteil.",
        ),
        (
            "'; DROP TABLE office;--",
            "„'; DROP TABLE office;--“ kenne ich leider nicht. Nennen Sie mir "
            "bitte Ihre Postleitzahl oder Ihren Stadtteil, zum Beispiel „44263“ oder „Hörde“.",
        ),
    ],
)
def test_form_validation_asks_instead_of_guessing(value: str, question: str) -> None:
    dispatcher = CollectingDispatcher()
    result = offices.ValidateOfficeForm().validate_place(value, dispatcher, tracker(), {})
    assert [m["text"] for m in dispatcher.messages] == [question]
    assert result["place"] is None and result["place_attempts"] == 1


def test_form_validation_accepts_a_known_place_and_gives_up_after_three_tries() -> None:
    dispatcher = CollectingDispatcher()
    assert offices.ValidateHoursForm().validate_place(
        ["Dortmund", "Hörde"], dispatcher, tracker(), {}
    ) == {"place": "Dortmund Hörde", "place_candidates": None, "place_attempts": 0}
    result = offices.ValidateOfficeForm().validate_place(
        "xyz", dispatcher, tracker(place_attempts=2), {}
    )
    assert result["requested_slot"] is None
    assert dispatcher.messages[-1]["text"].endswith(
        "Pflegetelefon: 030 20179131 (Montag bis Donnerstag 9 bis 16 Uhr)."
    )


def test_ask_place_is_silent_after_a_clarifying_question() -> None:
    dispatcher = CollectingDispatcher()
    offices.ActionAskPlace().run(dispatcher, tracker(), {})
    offices.ActionAskPlace().run(dispatcher, tracker(place_attempts=1), {})
    assert [m["text"] for m in dispatcher.messages] == [
        "Wo wohnen Sie? Nennen Sie bitte Ihren Ort, Stadtteil oder Ihre Postleitzahl."
    ]


def test_a_relative_is_asked_where_the_person_lives() -> None:
    """Relatives (often on Telegram) ask for their mother: the question is about her."""
    assert run(offices.ActionAskPlace(), relation="Mutter")[0] == [
        "Wo wohnt Ihre Mutter? Nennen Sie bitte den Ort, den Stadtteil oder die Postleitzahl."]
    assert run(offices.ActionAskPlace(), relation="Eltern")[0][0].startswith(
        "Wo wohnen Ihre Eltern?")
    handoff_question = run(ActionAskHandoffPlace(), relation="Ehemann")[0][0]
    assert "In welchem Ort oder Stadtteil wohnt Ihr Mann?" in handoff_question
    # an unknown or odd slot value falls back to asking the user
    assert run(offices.ActionAskPlace(), relation=["Mutter"])[0][0].startswith("Wo wohnen Sie?")


def test_opening_hours_for_tomorrow_and_the_weekly_plan() -> None:
    texts, events = run(
        opening_hours.ActionOpeningHours(), place="Sterkrade-Nord", weekday="morgen"
    )
    assert texts == [
        "Quartiersbüro Sterkrade-Nord\n"
        "Morgen ist keine Sprechstunde.\n"
        "Jetzt geöffnet, heute bis 13 Uhr.\n"
        "Alle Sprechzeiten:\n"
        "Donnerstag: 9 bis 13 Uhr\n"
        "Die offene Sprechstunde beginnt laut derselben Seite erst um 10 Uhr.\n"
        "Wie aktuell diese Angaben sind, weiß ich nicht. Fragen Sie bitte vorher nach."
    ]
    assert SlotSet("weekday", None) in events


def test_opening_hours_phone_slots_and_next_in_person_consultation() -> None:
    texts, _ = run(opening_hours.ActionOpeningHours(), place="Sterkrade-Mitte", weekday="Dienstag")
    assert texts == [
        "Quartiersbüro Sterkrade-Mitte\n"
        "Dienstag, 1. Dezember ist keine Sprechstunde.\n"
        "Jetzt telefonisch erreichbar, heute bis 17 Uhr.\n"
        "Nächste Sprechstunde: heute, 13 bis 17 Uhr.\n"
        "Alle Sprechzeiten:\n"
        "Mittwoch: 9 bis 13 Uhr\n"
        "Donnerstag: 13 bis 17 Uhr\n"
        "Montag, Mittwoch und Donnerstag: 9 bis 17 Uhr (telefonisch)\n"
        "Wie aktuell diese Angaben sind, weiß ich nicht. Fragen Sie bitte vorher nach."
    ]


def test_opening_hours_use_the_last_office_when_no_place_is_known() -> None:
    texts, _ = run(opening_hours.ActionOpeningHours(), last_office="dortmund/seniorenbuero-mengede")
    assert texts[0].startswith(
        "Seniorenbüro Mengede\nJetzt geöffnet, heute bis 12 Uhr.\n"
        "Alle Sprechzeiten:\nMontag bis Freitag: 10 bis 12 Uhr\n"
        "Diese Zeiten stammen von Januar 2017."
    )


def test_example_data_is_marked() -> None:
    from knowledge.models import Office

    row = Office(
        name="Musterbüro",
        example=True,
        as_of="2026",
        hours=[],
        exceptions=[],
        phone="0123 4",
        street=None,
    )
    text = messages.office_block(row, THURSDAY_1030, None)
    assert text.splitlines()[:2] == [
        "Musterbüro",
        "Achtung: Das sind Beispieldaten – diese Angaben sind nicht bestätigt.",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("heute", "2026-11-26"),
        ("morgen", "2026-11-27"),
        ("übermorgen", "2026-11-28"),
        ("montags", "2026-11-30"),
        ("am Donnerstag", "2026-11-26"),
        ("bald", None),
    ],
)
def test_requested_day(value: str, expected: str | None) -> None:
    day = messages.requested_day(value, THURSDAY_1030)
    assert (day.isoformat() if day else None) == expected
