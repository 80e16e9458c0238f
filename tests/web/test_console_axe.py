"""axe-core on every console page after log-in (queue, ticket with the reply box, callbacks,
audit log, insight report and review queue, facts to review and the Antwortkatalog), in
headless Chromium; the queue at 200 % zoom (683×384 CSS px) reflows without horizontal
scrolling, and so do /pruefung and /antwortkatalog (1366 and 960 px wide, 200 % zoom, a
phone of 390×844; screenshots in build/screenshots/). Console without Rasa (console_only)."""

from __future__ import annotations

import json
import secrets

import pytest

from advisor import auth
from handoff import service
from handoff.models import ROLE_ADMIN
from tests.handoff.conftest import console_only  # noqa: F401 - the fixture
from tests.web.conftest import SCREENSHOT_DIR, run_axe

pytestmark = pytest.mark.browser


def serious(page, axe: str) -> list[dict]:  # noqa: ANN001
    return [v for v in run_axe(page, axe) if v["impact"] in ("serious", "critical")]


def log_in(page, console) -> None:  # noqa: ANN001
    username = f"admin-{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(12)
    auth.create_advisor(console.settings.database_url, username, "Anna Schneider", "Dortmund",
                        password, role=ROLE_ADMIN)
    page.goto(console.url + "/login")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("button", name="Dienst beginnen").click()
    page.get_by_text("Sie sind im Dienst.").wait_for()


def test_console_pages_have_no_serious_axe_violations(browser, console_only, axe) -> None:  # noqa: ANN001, F811
    ticket = service.open_ticket(
        console_only.settings.database_url, sender_id=f"s-axe-{secrets.token_hex(3)}",
        channel="webchat", municipality="Dortmund", topic="Pflegegrad",
        preview="Ich brauche Hilfe beim Antrag.",
    ).ticket_id
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="de-DE")
    page = context.new_page()
    found: dict[str, list[dict]] = {}
    try:
        page.goto(console_only.url + "/login")
        found["login"] = serious(page, axe)
        log_in(page, console_only)
        row = page.locator("tr.ticket", has_text="Pflegegrad")
        row.first.wait_for(timeout=10_000)
        found["queue"] = serious(page, axe)
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / "console-queue.png"), full_page=True)

        # (claiming tells the user through Rasa, which this console has not: the page directly)
        page.goto(console_only.url + f"/tickets/{ticket}")
        page.get_by_role("heading", name="Verlauf").wait_for()
        found["ticket"] = serious(page, axe)
        page.screenshot(path=str(SCREENSHOT_DIR / "console-ticket.png"), full_page=True)
        for name, path in [("callbacks", "/callbacks"), ("audit", "/audit"),
                           ("insight", "/insight/"), ("review", "/insight/review"),
                           ("pruefung", "/pruefung"),
                           ("pruefung-ueberfaellig", "/pruefung?stichtag=2027-01-02"),
                           ("antwortkatalog", "/antwortkatalog")]:
            response = page.goto(console_only.url + path)
            assert response is not None and response.status == 200, (path, response)
            found[name] = serious(page, axe)
            page.screenshot(path=str(SCREENSHOT_DIR / f"console-{name}.png"), full_page=True)
    finally:
        context.close()
    bad = {name: v for name, v in found.items() if v}
    assert bad == {}, json.dumps(bad, ensure_ascii=False, indent=1)


def test_console_queue_reflows_at_200_percent_zoom(browser, console_only) -> None:  # noqa: ANN001, F811
    context = browser.new_context(viewport={"width": 683, "height": 384}, locale="de-DE")
    page = context.new_page()
    try:
        log_in(page, console_only)
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / "console-queue-200.png"), full_page=True)
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert widths[0] <= widths[1], widths
        # the keyboard reaches the duty switch and the log-out from the top of the page
        names = []
        for _ in range(15):
            page.keyboard.press("Tab")
            names.append(page.evaluate("() => document.activeElement.textContent.trim()"))
        assert any("Abmelden" in n for n in names), names
    finally:
        context.close()


@pytest.mark.parametrize("label,width,height", [("desktop", 1366, 768), ("tablet", 960, 720),
                                                ("zoom200", 683, 384),
                                                ("phone", 390, 844)])
def test_review_pages_reflow_without_sideways_scrolling(browser, console_only, label: str,  # noqa: ANN001, F811
                                                        width: int, height: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="de-DE")
    page = context.new_page()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    try:
        log_in(page, console_only)
        notice = page.get_by_role("link", name="Angaben müssen geprüft werden")
        if notice.count():  # the SGB XI facts are due on 1 January 2027
            notice.click()
        else:
            page.goto(console_only.url + "/pruefung")
        page.get_by_role("heading", name="Angaben prüfen", level=1).wait_for()
        for name, path in [("pruefung", "/pruefung?stichtag=2027-01-02"),
                           ("antwortkatalog", "/antwortkatalog")]:
            response = page.goto(console_only.url + path, timeout=120_000)
            assert response is not None and response.status == 200, (path, response)
            widths = page.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert widths[0] <= widths[1], (label, path, widths)
            shot = SCREENSHOT_DIR / f"console-{name}-{label}.png"
            page.screenshot(path=str(shot), full_page=name == "pruefung")
            # the first table of the page: a fact with its value, source and dates
            page.locator("table").first.scroll_into_view_if_needed()
            page.screenshot(path=str(shot.with_name(f"console-{name}-{label}-tabelle.png")))
    finally:
        context.close()
