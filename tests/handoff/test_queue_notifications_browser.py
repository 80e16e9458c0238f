"""Advisors notice new requests (advisor/static/notify.js) in headless Chromium: the tab
title counts the waiting people, a badge shows the number, after the opt-in button a new
request raises a browser notification (topic and place, never the user's words), and an
emergency stands out (urgent line, marked row, a notification that stays).
The requests arrive while the page is open, written by `handoff.service.open_ticket` (what
the handoff actions call) into the database of a console without Rasa (`console_only`).
Leaves a screenshot in tests/artifacts/console_queue_notifications.png."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from handoff import service
from handoff.models import PRIORITY_EMERGENCY
from tests.support.browser import ARTIFACTS, chromium

pytestmark = [pytest.mark.browser]

# The page's notifications are recorded on their way to the browser's real Notification API
# (the operating system's notification centre is outside the page).
RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  if (!Real) return;
  window.__notes = [];
  window.Notification = class extends Real {
    constructor(title, options) {
      window.__notes.push({title: title, body: (options || {}).body,
                           requireInteraction: !!(options || {}).requireInteraction});
      super(title, options);
    }
  };
})();
"""
BASE_TITLE = "Warteschlange – Quartierslotse"


def test_new_and_urgent_requests_show_in_title_badge_and_notifications(console_only) -> None:
    console = console_only
    username, password = console.new_advisor("Gladbeck", "Greta Voss")
    database = console.settings.database_url

    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="de-DE")
        context.grant_permissions(["notifications"], origin=console.url)
        context.add_init_script(RECORD_NOTIFICATIONS)
        page = context.new_page()
        page.goto(console.url + "/login")
        page.get_by_label("Benutzername").fill(username)
        page.get_by_label("Passwort").fill(password)
        page.get_by_role("button", name="Anmelden").click()
        page.get_by_role("button", name="Dienst beginnen").click()
        page.get_by_text("Sie sind im Dienst.").wait_for()
        page.get_by_text("Niemand wartet gerade.").wait_for()
        assert page.title() == BASE_TITLE
        assert not page.locator(".waiting-badge").is_visible()

        page.get_by_role("button", name="Ton und Benachrichtigung einschalten").click()
        page.get_by_text("Neue Anfragen melden sich mit Ton und Hinweis.").wait_for()
        assert page.get_by_role("button", name="Ton und Benachrichtigung ausschalten").is_visible()

        # a request arrives: the title counts it, the badge shows it, a notification pops up
        service.open_ticket(database, sender_id=f"t-{secrets.token_hex(6)}", channel="telegram",
                            municipality="Gladbeck", place="Gladbeck-Mitte", topic="Pflegegrad",
                            preview="Meine Mutter braucht Hilfe beim Antrag.")
        expect(page).to_have_title(f"(1) {BASE_TITLE}", timeout=15_000)
        assert page.locator(".waiting-badge").inner_text() == "1"
        notes = page.evaluate("window.__notes")
        assert notes == [{"title": "Neue Anfrage: Pflegegrad", "body": "Gladbeck-Mitte · Telegram",
                          "requireInteraction": False}]
        assert not page.locator(".urgent-line").is_visible()

        # an emergency: counted, marked urgent, a notification that stays
        service.open_ticket(database, sender_id=f"w-{secrets.token_hex(6)}", channel="webchat",
                            municipality="Gladbeck", topic="Notfall", reason="emergency",
                            priority=PRIORITY_EMERGENCY, preview="Mein Vater ist gestürzt.",
                            emergency_tier="akut", emergency_kind="sturz")
        expect(page).to_have_title(f"(2) {BASE_TITLE}", timeout=15_000)
        page.get_by_text("1 dringende Anfrage wartet.").wait_for()
        assert "urgent" in (page.locator(".waiting-badge").get_attribute("class") or "")
        page.locator("tr.ticket.urgent", has_text="Notfall").wait_for()
        assert page.locator("tr.ticket.urgent").count() == 1
        notes = page.evaluate("window.__notes")
        assert len(notes) == 2 and notes[1]["title"] == "NOTFALL: Notfall"
        assert notes[1]["requireInteraction"] and "gestürzt" not in notes[1]["body"]
        page.screenshot(path=str(ARTIFACTS / "console_queue_notifications.png"), full_page=True)


        # switched off: new requests still count in the title, but no notification
        page.get_by_role("button", name="Ton und Benachrichtigung ausschalten").click()
        service.open_ticket(database, sender_id=f"w-{secrets.token_hex(6)}", channel="webchat",
                            municipality="Gladbeck", topic="Vorsorgevollmacht")
        expect(page).to_have_title(f"(3) {BASE_TITLE}", timeout=15_000)
        assert len(page.evaluate("window.__notes")) == 2
