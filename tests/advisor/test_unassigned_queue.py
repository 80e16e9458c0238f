"""The installation-wide queue "Ohne Kommune", emergencies in the console, and a claim the bot
cannot confirm (console_only: own database, no Rasa running at the configured URL)."""

from __future__ import annotations

import sqlalchemy as sa

from handoff import service
from handoff.models import PRIORITY_EMERGENCY, ROLE_ADMIN, UNASSIGNED, Callback, Ticket
from storage.engine import get_engine
from tests.support.handoff import ConsoleClient


def _admin(console) -> ConsoleClient:  # type: ignore[no-untyped-def]
    return console.logged_in("Dortmund", "Ines Adler", role=ROLE_ADMIN)


def test_unknown_municipality_goes_to_the_installation_wide_queue(console_only) -> None:
    db = console_only.settings.database_url
    ticket = service.open_ticket(db, sender_id="s-nowhere", channel="telegram",
                                 municipality="", topic="Pflegegrad", preview="Hilfe bitte")
    callback = service.add_callback(db, sender_id="s-nowhere-cb", channel="telegram",
                                    municipality="", phone="0208 1234567",
                                    preferred_time="morgen Vormittag", topic="Wohnen")
    assert service.orphans(db) == []
    assert service.get_ticket(db, ticket.ticket_id, UNASSIGNED) is not None

    # a plain advisor does not see the page; the installation admin sees both requests
    advisor = console_only.logged_in("Oberhausen", "Clara Wolf")
    assert advisor.http.get(advisor.url("/ohne-kommune"), timeout=10).status_code == 403
    admin = _admin(console_only)
    page = admin.http.get(admin.url("/ohne-kommune"), timeout=10).text
    assert "Hilfe bitte" in page and "morgen Vormittag" in page
    assert "an Kommune übergeben" in page and '<option value="Oberhausen">' in page
    # the admin's queue lists it too, labelled "Ohne Kommune"
    row = next(t for t in admin.queue() if t["id"] == ticket.ticket_id)
    assert row["municipality"] == "Ohne Kommune" and row["unassigned"]

    # one click hands each to Oberhausen; the Oberhausen advisor then sees them
    assert admin.post(f"/ohne-kommune/ticket/{ticket.ticket_id}",
                      municipality="Oberhausen").status_code == 200
    assert admin.post(f"/ohne-kommune/callback/{callback}",
                      municipality="Oberhausen").status_code == 200
    assert any(t["id"] == ticket.ticket_id for t in advisor.queue())
    callbacks = advisor.http.get(advisor.url("/callbacks"), timeout=10).text
    assert "0208 1234567" in callbacks and "morgen Vormittag" in callbacks
    assert "Keine Gespräche ohne Kommune" in admin.http.get(admin.url("/ohne-kommune"),
                                                            timeout=10).text
    # audited for the municipality that received it; a second hand-over is refused
    assert "An Kommune übergeben" in advisor.http.get(advisor.url("/audit"), timeout=10).text
    assert admin.post(f"/ohne-kommune/ticket/{ticket.ticket_id}",
                      municipality="Dortmund").status_code == 409


def test_two_requests_of_one_conversation_are_one_ticket_and_one_callback(console_only) -> None:
    db = console_only.settings.database_url
    first = service.open_ticket(db, sender_id="s-twice", channel="webchat",
                                municipality="Krefeld", preview="Erste Frage")
    second = service.open_ticket(db, sender_id="s-twice", channel="webchat",
                                 municipality="Krefeld", preview="Zweite Frage")
    assert first.ticket_id == second.ticket_id and not second.created
    one = service.add_callback(db, sender_id="s-twice", channel="webchat",
                               municipality="Krefeld", phone="02151 123456",
                               preferred_time="heute Abend")
    two = service.add_callback(db, sender_id="s-twice", channel="webchat",
                               municipality="Krefeld", phone="02151 654321",
                               preferred_time="morgen früh")
    assert one == two
    rows = [c for c in service.callbacks(db, "Krefeld") if c.sender_id == "s-twice"]
    assert [(c.phone, c.preferred_time) for c in rows] == [("02151 654321", "morgen früh")]


def test_requests_of_older_databases_without_owner_are_adopted(console_only) -> None:
    db = console_only.settings.database_url
    with get_engine(db).begin() as conn:
        conn.execute(sa.insert(Ticket).values(sender_id="s-old", municipality="",
                                              status="queued", preview="alt"))
        conn.execute(sa.insert(Callback).values(sender_id="s-old", municipality="",
                                                phone="0231 1", preferred_time="egal",
                                                consent_at=sa.func.now(), status="open"))
    assert service.orphans(db) != []
    service.ensure_schema.cache_clear()
    service.ensure_schema(db)
    assert service.orphans(db) == []


def test_emergency_ticket_shows_the_alarm_and_both_tiers(console_only) -> None:
    db = console_only.settings.database_url
    advisor = console_only.logged_in("Hagen", "Emil Roth")
    result = service.open_ticket(db, sender_id="s-alarm", channel="webchat",
                                 municipality="Hagen", reason="emergency",
                                 priority=PRIORITY_EMERGENCY, preview="Er atmet nicht",
                                 emergency_tier="akut", emergency_kind="akut",
                                 emergency_category="atmung")
    row = next(t for t in advisor.queue() if t["id"] == result.ticket_id)
    assert row["alarm"] and row["priority_label"] == "Notfall"
    page = advisor.http.get(advisor.url(f"/tickets/{result.ticket_id}"), timeout=10).text
    assert "NOTFALL" in page and 'role="alert"' in page
    assert "akut (Gefahr jetzt)" in page and "Notruf 112/110" in page
    # a later, milder message does not lower the alarm
    service.mark_emergency(db, result.ticket_id, "moeglich", "", "sturz")
    page = advisor.http.get(advisor.url(f"/tickets/{result.ticket_id}"), timeout=10).text
    assert "akut (Gefahr jetzt)" in page


def test_claim_without_the_bot_confirming_the_pause_is_refused(console_only) -> None:
    """Nothing listens at the console's Rasa URL here: the claim must not pretend to work."""
    db = console_only.settings.database_url
    advisor = console_only.logged_in("Mülheim", "Dora Berg")
    ticket = service.open_ticket(db, sender_id="s-unconfirmed", channel="webchat",
                                 municipality="Mülheim", preview="Bitte einen Menschen")
    response = advisor.claim(ticket.ticket_id)
    assert response.status_code == 502
    assert "nicht übernommen" in response.text and "nicht erreichbar" in response.text
    row = next(t for t in advisor.queue() if t["id"] == ticket.ticket_id)
    assert row["status"] == "queued" and row["claimed_by"] == ""
    assert "Übernahme fehlgeschlagen" in advisor.http.get(advisor.url("/audit"),
                                                         timeout=10).text
