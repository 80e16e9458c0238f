"""Human handoff end to end: real Rasa server, action server and console (bot_stack).

What a user notices in the web chat and what an advisor notices in the console."""

from __future__ import annotations

import pytest
import requests

from channels.webchat import conversation_id
from handoff import service

pytestmark = pytest.mark.model


def test_user_advisor_round_trip_and_hand_back(console, make_user) -> None:
    anna = console.logged_in("Dortmund", "Anna Schneider", on_duty=True)
    ben = console.logged_in("Krefeld", "Ben Keller", on_duty=True)
    user = make_user("Dortmund")

    user.say("Guten Tag")
    reply = user.say("Ich möchte mit einem Menschen sprechen")
    queued = [m for m in reply if m.get("handoff") == "queued"]
    assert queued, reply
    assert "Minuten" in queued[0]["text"] and "nichts wiederholen" in queued[0]["text"]

    # the ticket appears in Anna's queue with channel and place, not in Ben's (Krefeld)
    ticket = anna.wait_for_ticket(
        lambda t: t["preview"] == "Ich möchte mit einem Menschen sprechen")
    assert ticket["channel_label"] == "Web-Chat" and ticket["place"] == "Dortmund"
    assert ticket["status"] == "queued"
    assert all(t["id"] != ticket["id"] for t in ben.queue())
    stored = service.get_ticket(console.settings.database_url, ticket["id"], "Dortmund")
    assert stored.sender_id == conversation_id(user.sender) and stored.channel == "webchat"

    # while queued, the user hears that a person is informed - once, not on every message
    note = user.say("Hallo? Ist da jemand?")
    assert [m["handoff"] for m in note] == ["waiting"], note
    assert "Geduld" in note[0]["text"] and "Minuten" in note[0]["text"]
    assert "112" in note[0]["text"]
    assert user.say("Hallo?") == []

    # Anna claims: the user is told that a person is there
    assert anna.claim(ticket["id"]).status_code == 200
    joined = user.wait_for("system")
    assert joined["handoff"] == "advisor_joined" and "Anna Schneider" in joined["text"]

    # Anna sees the whole conversation so far
    texts = [m["text"] for m in anna.transcript(ticket["id"])]
    assert "Guten Tag" in texts and "Hallo? Ist da jemand?" in texts
    assert service.get_ticket(console.settings.database_url, ticket["id"],
                              "Dortmund").topic == "Allgemeine Anfrage"

    # Anna replies; the user receives it in the web chat
    assert anna.reply(ticket["id"], "Guten Tag, hier ist Anna Schneider. Wie kann ich helfen?").ok
    advisor_message = user.wait_for("advisor")
    assert advisor_message["text"].startswith("Guten Tag, hier ist Anna Schneider")

    # the user answers; the bot does not interfere; Anna sees it
    assert user.say("Meine Mutter braucht einen Pflegegrad <script>alert(1)</script>") == []
    anna.wait_for_user_text(ticket["id"],
                            "Meine Mutter braucht einen Pflegegrad <script>alert(1)</script>")

    # hand back with a summary; the user is told; the bot answers again
    response = anna.close(ticket["id"], "Pflegegrad-Antrag für die Mutter erklärt.")
    assert response.status_code == 200
    closed = user.wait_for("system")
    assert closed["handoff"] == "closed" and "digitalen Assistenten" in closed["text"]
    answer = user.say_text("Was ist ein Pflegegrad?")
    assert "Pflegekasse" in answer
    assert all(t["id"] != ticket["id"] for t in anna.queue())

    # the audit log records who did what
    audit = anna.http.get(anna.url("/audit"), timeout=10).text
    for action in ("Anfrage eingereiht", "Gespräch übernommen", "Antwort gesendet",
                   "An den Bot zurückgegeben"):
        assert action in audit


def test_callback_when_nobody_is_on_duty(console, make_user) -> None:
    user = make_user("Oberhausen")
    reply = user.say("Kann ich bitte mit einer Beraterin sprechen?")
    text = "\n".join(m["text"] for m in reply)
    assert "niemand" in text and "zurückrufen" in text
    assert "0208 8253967" in text  # the city's number from the knowledge base
    buttons = [b for m in reply for b in m.get("buttons", [])]
    assert {"title": "Ja, bitte zurückrufen", "payload": "/affirm"} in buttons

    # consent with the purpose first, then the number, then the time
    consent = user.say_text("/affirm")
    assert "einverstanden" in consent and "löschen" in consent and "Telefonnummer" in consent
    assert "Unter welcher Telefonnummer" in user.say_text("/affirm")
    assert "Diese Telefonnummer habe ich nicht erkannt" in user.say_text("weiß ich nicht")
    assert "in Ziffern" in user.say_text("null zwei null acht eins zwei drei")
    assert "Wann passt es Ihnen" in user.say_text("0208 / 123 456")
    assert "Wann dürfen wir Sie anrufen" in user.say_text("Banane")
    done = user.say_text("morgen vormittag")
    assert "Danke! Wir rufen Sie morgen Vormittag unter 0208 / 123 456 zurück" in done

    advisor = console.logged_in("Oberhausen", "Clara Wolf")
    page = advisor.http.get(advisor.url("/callbacks"), timeout=10).text
    assert "0208 / 123 456" in page and "morgen Vormittag" in page and "offen" in page


def test_callback_needs_consent(console, make_user) -> None:
    user = make_user("Mülheim")
    user.say("Ich will mit einem echten Menschen reden")
    # asking for a callback in words goes straight to the callback form: consent first,
    # so a "no" means no phone number is ever typed
    assert "einverstanden" in user.say_text("Rufen Sie mich bitte zurück")
    answer = user.say_text("/deny")
    assert "ich speichere nichts" in answer and "Telefonnummer" not in answer
    user.say("0208 765432")
    advisor = console.logged_in("Mülheim", "Dora Berg")
    assert "765432" not in advisor.http.get(advisor.url("/callbacks"), timeout=10).text


def test_emergency_jumps_the_queue(console, make_user, bot_stack) -> None:
    advisor = console.logged_in("Hagen", "Emil Roth", on_duty=True)
    first, second = make_user("Hagen"), make_user("Hagen")
    first.say("Ich möchte mit einem Menschen sprechen")
    second.say("Guten Tag")
    # the emergency rule (data/rules/emergency.yml) ends with action_emergency_handoff,
    # after the 112 message; here the action is run the way that rule runs it
    response = requests.post(
        f"{bot_stack.rasa_url}/conversations/{conversation_id(second.sender)}/execute",
        params={"output_channel": "webchat", "token": bot_stack.rasa_token},
        json={"name": "action_emergency_handoff"}, timeout=60)
    assert response.status_code == 200, response.text
    notice = second.wait_for("system")
    assert notice["handoff"] == "emergency" and "alarmiert" in notice["text"]
    assert "112" in notice["text"]
    queue = advisor.queue()
    assert queue[0]["priority_label"] == "Notfall" and queue[0]["topic"] == "Notfall"
    assert queue[0]["alarm"] and queue[0]["emergency_tier_label"].startswith("akut")
    assert len([t for t in queue if t["status"] == "queued"]) == 2


def test_two_misunderstandings_in_a_row_offer_a_person(make_user) -> None:
    user = make_user("Dortmund")
    first = user.say_text("qqq zzz xxyy")
    assert "nicht verstanden" in first
    second = user.say("vvv qqq zzzk")
    assert "wieder nicht verstanden" in "\n".join(m["text"] for m in second)
    assert {"title": "Ja, mit einem Menschen sprechen", "payload": "/request_human"} in [
        b for m in second for b in m.get("buttons", [])]


def test_unknown_municipality_asks_for_the_place_first(console, bot_stack) -> None:
    """Telegram-like: no municipality from the channel; the place decides who takes over."""
    from tests.support.chat import RestChat

    advisor = console.logged_in("Oberhausen", "Gerda Funke", on_duty=True)
    user = RestChat(bot_stack.rasa_url)
    question = user.say_text("Ich möchte bitte mit jemandem von der Beratung sprechen")
    assert "In welchem Ort oder Stadtteil" in question
    reply = user.say("Alstaden")
    assert any(m.get("custom", m).get("handoff") == "queued" or "Minuten" in m.get("text", "")
               for m in reply), reply
    ticket = advisor.wait_for_ticket(
        lambda t: t["preview"] == "Ich möchte bitte mit jemandem von der Beratung sprechen")
    assert ticket["place"] == "Alstaden"
