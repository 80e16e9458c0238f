"""The console in headless Chromium: log in, claim, reply, see the answer live, hand back.
Leaves a screenshot in tests/artifacts/console_conversation.png."""

from __future__ import annotations

import pytest

from tests.support.browser import ARTIFACTS, chromium

pytestmark = [pytest.mark.model, pytest.mark.browser]



def test_advisor_works_a_conversation_in_the_browser(console, make_user) -> None:
    username, password = console.new_advisor("Bottrop", "Frieda Lange")
    user = make_user("Bottrop")

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="de-DE")
        page.goto(console.url + "/login")
        page.get_by_label("Benutzername").fill(username)
        page.get_by_label("Passwort").fill(password)
        page.get_by_role("button", name="Anmelden").click()
        page.get_by_role("button", name="Dienst beginnen").click()
        page.get_by_text("Sie sind im Dienst.").wait_for()
        offer = user.say_text("Meine Mutter ist dement und hat keine Vollmacht. Was nun?")
        # the answer on Vollmacht and dementia offers a person; the user decides
        assert "Betreuungsgericht" in offer
        assert "Möchten Sie mit einem Menschen aus der Beratung sprechen?" in offer
        # the answer's button "Mit einem Menschen sprechen"
        assert user.say("/request_human")[0]["handoff"] == "queued"

        # the waiting conversation is in the live queue
        row = page.locator("tr.ticket", has_text="Vollmacht bei Demenz")
        row.wait_for(timeout=10_000)
        row.get_by_role("button", name="Übernehmen").click()
        page.get_by_role("heading", name="Verlauf").wait_for()
        page.locator(".msg.user", has_text="Meine Mutter ist dement").wait_for()
        page.locator(".msg.user", has_text="Mit einem Menschen sprechen (Knopf)").wait_for()
        assert user.wait_for("system")["handoff"] == "advisor_joined"

        # a canned reply, then an own reply
        page.get_by_role("button", name="Begrüßung").click()
        page.get_by_role("button", name="Senden").click()
        assert user.wait_for("advisor")["text"].startswith(
            "Guten Tag, hier ist die Seniorenberatung")
        page.get_by_text("Gesendet.").wait_for()
        page.get_by_label("Ihre Antwort an die ratsuchende Person").fill(
            "Ich schaue mir das mit Ihnen gemeinsam an. Hat Ihre Mutter schon eine Vollmacht?")
        page.get_by_role("button", name="Senden").click()
        assert "Vollmacht" in user.wait_for("advisor")["text"]

        # the user's answer appears without reloading; markup stays text
        user.say("Nein, noch nicht. <script>alert('x')</script>")
        answer = page.locator(".msg.user", has_text="Nein, noch nicht.")
        answer.wait_for(timeout=10_000)
        assert "<script>alert('x')</script>" in answer.inner_text()
        page.get_by_label("Neue Notiz (sieht nur die Beratung)").fill(
            "Rückruf wegen Betreuungsverfügung")
        page.get_by_role("button", name="Notiz speichern").click()
        page.get_by_text("Rückruf wegen Betreuungsverfügung").wait_for()
        page.locator(".msg.user", has_text="Nein, noch nicht.").wait_for()
        page.screenshot(path=str(ARTIFACTS / "console_conversation.png"), full_page=True)

        page.get_by_label("Kurze Zusammenfassung (nur intern)").fill(
            "Vollmacht bei Demenz besprochen.")
        page.get_by_role("button", name="Abschließen und an den Bot zurückgeben").click()
        page.get_by_role("heading", name="Warteschlange").wait_for()

    assert user.wait_for("system")["handoff"] == "closed"
    assert "Pflegekasse" in user.say_text("Was ist ein Pflegegrad?")
