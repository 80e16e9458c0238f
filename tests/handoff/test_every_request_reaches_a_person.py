"""Every request reaches a person, through the real stack: Rasa, action server,
console and database. REST and web chat users as a new user would write."""

from __future__ import annotations

import dataclasses

import pytest
import requests
from sqlalchemy import update

from channels.webchat import conversation_id
from handoff import service
from handoff.models import ROLE_ADMIN, Advisor
from runtime import processes
from runtime.services import console_server
from storage.engine import session_scope
from tests.conftest import free_port
from tests.support.chat import RestChat, button_titles
from tests.support.gate import Gate
from tests.support.handoff import ConsoleClient

pytestmark = pytest.mark.model


def nobody_on_duty(url: str, municipality: str | None = None) -> None:
    """Arrange: no advisor of the municipality (None: no installation admin) is on duty."""
    who = Advisor.role == ROLE_ADMIN if municipality is None else (
        Advisor.municipality == municipality)
    with session_scope(url) as session:
        session.execute(update(Advisor).where(who).values(on_duty=False))


def tracker(settings, sender: str) -> dict:  # type: ignore[no-untyped-def]
    response = requests.get(f"{settings.rasa_url}/conversations/{sender}/tracker",
                            params={"token": settings.rasa_token}, timeout=30)
    response.raise_for_status()
    return response.json()


def test_rest_callback_for_oberhausen_reaches_an_oberhausen_advisor(console, bot_stack) -> None:
    """Issue 15, point 1: the phone number and the time used to overwrite the place."""
    db = bot_stack.database_url
    nobody_on_duty(db, "Oberhausen")
    user = RestChat(bot_stack.rasa_url)
    assert "Oberhausen" in user.say_text("Ich wohne in Oberhausen Osterfeld")
    offer = user.say("Ich möchte mit einem Menschen sprechen")
    assert "Ja, bitte zurückrufen" in button_titles(offer)
    consent = user.say_text("Ja, bitte zurückrufen")
    assert "einverstanden" in consent and "löschen" in consent
    assert "Unter welcher Telefonnummer" in user.say_text("Ja, einverstanden")
    assert "Wann passt es Ihnen" in user.say_text("0208 1234567")
    done = user.say_text("morgen vormittag")
    assert "Danke! Wir rufen Sie morgen Vormittag unter 0208 1234567 zurück" in done

    place = tracker(bot_stack, user.sender)["slots"]["place"]
    assert "1234567" not in str(place) and "Osterfeld" in str(place)
    advisor = console.logged_in("Oberhausen", "Clara Wolf")
    page = advisor.http.get(advisor.url("/callbacks"), timeout=10).text
    assert "0208 1234567" in page and "morgen Vormittag" in page
    assert service.orphans(db) == []


def asked_for_the_time(bot_stack, where: str) -> tuple[RestChat, list[dict], str]:  # type: ignore[no-untyped-def]
    """A Dortmund user of `where` up to the callback's time question: (chat, messages, text)."""
    nobody_on_duty(bot_stack.database_url, "Dortmund")
    user = RestChat(bot_stack.rasa_url)
    assert where in user.say_text(f"Ich wohne in Dortmund-{where}")
    for message in ("Ich möchte mit einem Menschen sprechen", "Ja, bitte zurückrufen",
                    "Ja, einverstanden"):
        user.say(message)
    question = user.say("0231 9876543")
    return user, question, "\n".join(message.get("text", "") for message in question)


def test_the_callback_offers_the_offices_next_consultation_hours(console, bot_stack) -> None:
    """The office's next consultation hours are offered as the callback time, one tap."""
    user, question, text = asked_for_the_time(bot_stack, "Brackel")
    assert "Seniorenbüro Brackel hat als Nächstes" in text and "Sprechzeit" in text, text
    buttons = [button for message in question for button in message.get("buttons", [])]
    assert len(buttons) == 1 and buttons[0]["title"] == f"Ja, {buttons[0]['payload']}"
    assert " zwischen " in buttons[0]["payload"] and "{" not in buttons[0]["payload"]
    done = user.say_text(buttons[0]["payload"])
    assert f"Wir rufen Sie {buttons[0]['payload']} unter 0231 9876543 zurück" in done, done
    slots = tracker(bot_stack, user.sender)["slots"]
    assert slots["callback_offer"] is None and slots["callback_phone"] is None


def test_without_known_hours_the_time_is_asked_openly(console, bot_stack) -> None:
    """An office without confirmed hours: no offer, no empty placeholder."""
    _, question, text = asked_for_the_time(bot_stack, "Hörde")
    assert "Wann passt es Ihnen am besten? Zum Beispiel" in text, text
    assert "Sprechzeit" not in text and "{" not in text
    assert not [button for message in question for button in message.get("buttons", [])]


def test_no_place_named_goes_to_the_installation_wide_queue(console, bot_stack) -> None:
    """A user who will not name a place is not asked again and again and still gets a person;
    an admin hands the callback to Oberhausen."""
    db = bot_stack.database_url
    nobody_on_duty(db)
    user = RestChat(bot_stack.rasa_url)
    assert "In welchem Ort" in user.say_text("Ich möchte mit einem Menschen sprechen")
    answer = user.say("Das möchte ich nicht sagen")
    text = "\n".join(m.get("text", "") for m in answer)
    assert "In welchem Ort" not in text and "zurückrufen" in text, text
    assert "einverstanden" in user.say_text("/affirm")
    user.say("/affirm")
    user.say("0231 7654321")
    done = user.say_text("Dienstag ab 14 Uhr")
    assert "Dienstag ab 14 Uhr unter 0231 7654321" in done and "zuständigen Stelle" in done

    _, waiting = service.unassigned(db)
    callback = next(c for c in waiting if c.sender_id == user.sender)
    admin = console.logged_in("Dortmund", "Ines Adler", role=ROLE_ADMIN)
    assert "0231 7654321" not in admin.http.get(admin.url("/ohne-kommune"), timeout=10).text
    assert admin.post(f"/ohne-kommune/callback/{callback.id}",
                      municipality="Oberhausen").status_code == 200
    advisor = console.logged_in("Oberhausen", "Olga Brandt")
    assert "0231 7654321" in advisor.http.get(advisor.url("/callbacks"), timeout=10).text
    assert service.orphans(db) == []


def test_emergency_from_an_unknown_place_reaches_the_installation_wide_queue(
        console, bot_stack) -> None:
    db = bot_stack.database_url
    nobody_on_duty(db)
    user = RestChat(bot_stack.rasa_url)
    answer = user.say_text("Mein Vater ist gestürzt und kommt nicht hoch")
    assert answer.index("112") < 40, answer  # 112 first
    # one consistent message: no handoff promise that is then broken, no callback offer
    assert "niemand" in answer and "Notfall markiert" in answer
    for broken in ("dringend", "keiner Beratungsstelle", "zurückrufen"):
        assert broken not in answer
    tickets, _ = service.unassigned(db)
    ticket = next(t for t in tickets if t.sender_id == user.sender)
    assert ticket.priority == service.PRIORITY_EMERGENCY and ticket.alarm_at is not None
    assert ticket.emergency_tier == "akut" and ticket.topic == "Notfall"
    admin = console.logged_in("Dortmund", "Ida Kern", role=ROLE_ADMIN)
    page = admin.http.get(admin.url("/ohne-kommune"), timeout=10).text
    assert "Mein Vater ist gestürzt" in page and "alarm" in page
    assert service.orphans(db) == []


def test_emergency_while_queued_gets_112_at_once_and_raises_the_ticket(console,
                                                                      make_user) -> None:
    advisor = console.logged_in("Herne", "Hanna Vogt", on_duty=True)
    user = make_user("Herne")
    user.say("Ich möchte mit einem Menschen sprechen")
    ticket = advisor.wait_for_ticket(lambda t: t["preview"] == (
        "Ich möchte mit einem Menschen sprechen") and not t["alarm"])
    assert ticket["priority_label"] == "normal"
    reply = user.say("Mein Vater ist gestürzt und kommt nicht hoch")
    assert reply and reply[0]["handoff"] == "emergency", reply
    assert reply[0]["text"].startswith("Rufen Sie sofort den Notruf 112")
    assert "alarmiert" in reply[0]["text"]
    raised = next(t for t in advisor.queue() if t["id"] == ticket["id"])
    assert raised["priority_label"] == "Notfall" and raised["alarm"]
    page = advisor.http.get(advisor.url(f"/tickets/{ticket['id']}"), timeout=10).text
    assert "NOTFALL" in page and "akut (Gefahr jetzt)" in page
    marked = [m for m in advisor.transcript(ticket["id"]) if m["alarm"]]
    assert [m["role"] for m in marked] == ["user", "system"]
    assert marked[0]["text"] == "Mein Vater ist gestürzt und kommt nicht hoch"


def test_claim_while_rasa_is_down_is_refused_and_works_when_it_is_back(
        console, make_user, bot_stack, tmp_path) -> None:
    """A second console reaches Rasa through a gate: closed, Rasa is away (connection
    refused, as when it is stopped); opened again, Rasa is back."""
    gate = Gate(free_port(), bot_stack.rasa_port)
    port = free_port()
    settings = dataclasses.replace(bot_stack, rasa_port=gate.port,
                                   rasa_url=f"http://127.0.0.1:{gate.port}", console_port=port,
                                   console_url=f"http://127.0.0.1:{port}")
    running = processes.start_all([console_server(settings)], settings, tmp_path, timeout=60)
    try:
        console.logged_in("Witten", "Wilma Ernst", on_duty=True)
        user = make_user("Witten")
        user.say("Ich möchte mit einem Menschen sprechen")
        stored = next((ticket for ticket in service.queue(bot_stack.database_url, "Witten")
                       if ticket.sender_id == conversation_id(user.sender)), None)
        assert stored is not None and stored.status == "queued"
        client = ConsoleClient(settings.console_url)
        client.login(*console.new_advisor("Witten", "Theo Lang"))

        refused = client.claim(stored.id)
        assert refused.status_code == 502 and "nicht übernommen" in refused.text
        row = next(t for t in client.queue() if t["id"] == stored.id)
        assert row["status"] == "queued"

        gate.open()
        assert client.claim(stored.id).status_code == 200
        assert user.wait_for("system")["handoff"] == "advisor_joined"
        events = tracker(bot_stack, stored.sender_id)
        assert events["paused"] is True
        assert any(e["event"] == "pause" for e in events["events"])

        # hand back, keep the ticket open for a follow-up; the summary is in its slot
        back = client.post(f"/tickets/{stored.id}/close", summary="Rückruf nächste Woche",
                           keep_open="1")
        assert back.status_code == 200
        after = tracker(bot_stack, stored.sender_id)
        assert after["paused"] is False
        assert after["slots"]["handoff_summary"] == "Rückruf nächste Woche"
        row = next(t for t in client.queue() if t["id"] == stored.id)
        assert row["status"] == "followup"
        audit = client.http.get(client.url("/audit"), timeout=10).text
        assert "Übernahme fehlgeschlagen" in audit and "offen zur Nachbearbeitung" in audit
    finally:
        gate.close()
        processes.stop_all(running)
