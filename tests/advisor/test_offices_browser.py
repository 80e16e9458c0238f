"""Issue 19 end to end in headless Chromium with the real bot stack: a Dortmund municipality
admin enters hours, a closure and a notice for Seniorenbüro Hörde; the bot answers with them
within seconds (no retraining); `knowledge export` reproduces them and re-importing the export
changes nothing; undo restores the answer; an Oberhausen admin cannot see the office.
Leaves a screenshot in tests/artifacts/office_page.png."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from advisor import auth
from knowledge.notices import local_date
from tests.support.browser import ARTIFACTS, chromium
from tests.support.chat import RestChat
from tests.web.conftest import axe_source, run_axe

pytestmark = [pytest.mark.model, pytest.mark.browser]

QUESTION = "Wann hat das Seniorenbüro Hörde geöffnet?"
NOTICE = "Morgen ist das Seniorenbüro wegen eines Betriebsausflugs geschlossen."
LIVE_SECONDS = 10


def _account(console, municipality: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    username = f"verwaltung-{uuid.uuid4().hex[:6]}"
    password = secrets.token_urlsafe(12)
    auth.create_advisor(console.settings.database_url, username, "Karin Adler", municipality,
                        password, role="municipality_admin")
    return username, password


def _log_in(page, console, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(console.url + "/login")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("heading", name="Warteschlange").wait_for()


def _bot_until(console, wanted, seconds: float = LIVE_SECONDS) -> tuple[str, float]:  # type: ignore[no-untyped-def]
    """Ask the question (a new conversation each time) until `wanted(answer)`; the answer
    and the seconds it took."""
    started = time.monotonic()
    answer = ""
    while time.monotonic() - started < seconds:
        answer = RestChat(console.settings.rasa_url).say_text(QUESTION)
        if wanted(answer):
            return answer, time.monotonic() - started
        time.sleep(0.5)
    pytest.fail(f"Der Bot antwortet nach {seconds} s noch nicht wie erwartet:\n{answer}")


def _cli(console, *args: str) -> str:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [str(Path(sys.executable).parent / "quartierslotse"), "knowledge", *args,
         "--database-url", console.settings.database_url],
        capture_output=True, text=True, timeout=120, check=True,
    )
    return result.stdout


def test_admin_keeps_hours_and_notice_up_to_date_and_the_bot_follows(console, tmp_path) -> None:  # type: ignore[no-untyped-def]
    before = RestChat(console.settings.rasa_url).say_text(QUESTION)
    assert "Seniorenbüro Hörde" in before and "Dienstag: 9 bis 12 Uhr" not in before
    today = local_date(datetime.now(timezone.utc))
    tomorrow = (today + timedelta(days=1)).isoformat()
    dortmund = _account(console, "Dortmund")
    oberhausen = _account(console, "Oberhausen")
    axe = axe_source()

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="de-DE")
        _log_in(page, console, *dortmund)
        page.get_by_role("link", name="Büros").click()
        page.get_by_role("link", name="Seniorenbüro Hörde").click()
        page.get_by_role("heading", name="Seniorenbüro Hörde").wait_for()
        page.get_by_label("Zeile 1: Wochentag").select_option(label="Dienstag")
        page.get_by_label("Zeile 1: von").fill("09:00")
        page.get_by_label("Zeile 1: bis").fill("12:00")
        page.get_by_label("Ausnahme 1: vom").fill(tomorrow)
        page.get_by_label("Ausnahme 1: bis").fill(tomorrow)
        page.get_by_label("Ausnahme 1: Hinweis").fill("Betriebsausflug")
        page.get_by_label("Hinweis 1: gültig ab").fill(today.isoformat())  # shown from today on
        page.get_by_label("Hinweis 1: gültig bis").fill(tomorrow)
        page.get_by_label("Hinweis 1: Text").fill(NOTICE)
        page.get_by_role("button", name="Speichern").click()
        page.get_by_text("Gespeichert (Änderung Nr.").wait_for()
        assert run_axe(page, axe) == []
        page.screenshot(path=str(ARTIFACTS / "office_page.png"), full_page=True)

        answer, seconds = _bot_until(console, lambda text: "Dienstag: 9 bis 12 Uhr" in text)
        assert f"Aktueller Hinweis: {NOTICE}" in answer
        assert "geschlossen (Betriebsausflug)." in answer  # "Morgen …" ("Heute …" after 0:00)
        print(f"bot answered with the new hours after {seconds:.1f} s")

        # the export reproduces the edit, re-importing it changes nothing
        exported = _cli(console, "export", "--municipality", "Dortmund")
        assert "Di 09:00-12:00" in exported and f"{today}..{tomorrow}: {NOTICE}" in exported
        path = tmp_path / "dortmund.yml"
        path.write_text(exported, encoding="utf-8")
        assert "0 Kommune(n) aktualisiert" in _cli(console, "import", str(path))
        assert _cli(console, "export", "--municipality", "Dortmund") == exported

        # undo with the keyboard: the bot follows
        undo = page.get_by_role("button", name="Änderung zurücknehmen").first
        undo.focus()
        page.keyboard.press("Enter")
        page.get_by_text("zurückgenommen mit Nr.").wait_for()
        assert run_axe(page, axe) == []
        restored, _ = _bot_until(console, lambda text: "Dienstag: 9 bis 12 Uhr" not in text)
        assert NOTICE not in restored and "Betriebsausflug" not in restored

        # another municipality's admin: no link, no page
        other = browser.new_page(locale="de-DE")
        _log_in(other, console, *oberhausen)
        other.goto(console.url + "/offices/")
        assert other.get_by_role("link", name="Seniorenbüro Hörde").count() == 0
        other.goto(console.url + "/offices/dortmund/seniorenbuero-hoerde")
        other.get_by_text("Dieses Büro gibt es nicht oder nicht für Ihre Kommune.").wait_for()
        assert run_axe(other, axe) == []
