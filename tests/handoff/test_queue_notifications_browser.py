"""Advisors notice new requests (advisor/static/notify.js) in headless Chromium: the tab
title counts the waiting people, a badge shows the number, after the opt-in button a new
request raises a browser notification (topic and place, never the user's words), and an
emergency stands out (urgent line, marked row, a notification that stays).
Leaves a screenshot in tests/artifacts/console_queue_notifications.png."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

pytestmark = [pytest.mark.model, pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
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


def test_new_and_urgent_requests_show_in_title_badge_and_notifications(
    console, make_user, bot_stack
) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Chromium fehlt (/usr/bin/chromium): make system-deps")
    ARTIFACTS.mkdir(exist_ok=True)
    username, password = console.new_advisor("Gladbeck", "Greta Voss")

    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
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
        first = make_user("Gladbeck")
        first.say("Ich möchte mit einem Menschen sprechen")
        page.wait_for_function(f"document.title === '(1) {BASE_TITLE}'", timeout=15_000)
        assert page.locator(".waiting-badge").inner_text() == "1"
        notes = page.evaluate("window.__notes")
        assert len(notes) == 1 and notes[0]["title"].startswith("Neue Anfrage: ")
        assert "Gladbeck" in notes[0]["body"] and "Menschen" not in notes[0]["body"]
        assert not notes[0]["requireInteraction"]
        assert not page.locator(".urgent-line").is_visible()

        # an emergency: counted, marked urgent, a notification that stays
        second = make_user("Gladbeck")
        second.say("Guten Tag")
        response = requests.post(
            f"{bot_stack.rasa_url}/conversations/{second.sender}/execute",
            params={"output_channel": "webchat", "token": bot_stack.rasa_token},
            json={"name": "action_emergency_handoff"}, timeout=60)
        assert response.status_code == 200, response.text
        page.wait_for_function(f"document.title === '(2) {BASE_TITLE}'", timeout=15_000)
        page.get_by_text("1 dringende Anfrage wartet.").wait_for()
        assert "urgent" in (page.locator(".waiting-badge").get_attribute("class") or "")
        page.locator("tr.ticket.urgent", has_text="Notfall").first.wait_for()
        notes = page.evaluate("window.__notes")
        assert len(notes) == 2 and notes[1]["title"].startswith("NOTFALL")
        assert notes[1]["requireInteraction"]
        page.screenshot(path=str(ARTIFACTS / "console_queue_notifications.png"), full_page=True)

        # a request that is taken over no longer counts
        page.locator("tr.ticket", has_text="Notfall").get_by_role(
            "button", name="Übernehmen").click()
        page.get_by_role("heading", name="Verlauf").wait_for()
        page.go_back()
        page.wait_for_function(f"document.title === '(1) {BASE_TITLE}'", timeout=15_000)
        browser.close()
