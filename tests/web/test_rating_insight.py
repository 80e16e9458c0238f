"""End to end without Rasa: the widget rates an answer through the real web chat channel
(channels/webchat.py in a bare Sanic app, tests/web/rating_app.py), and the rating appears in
the insight statistics (report page, disclosure rules) and the "nicht hilfreich" text,
redacted, on the review page. Headless Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from channels.outbox import Outbox
from quartierslotse.settings import PROJECT_ROOT
from tests.web.conftest import SCREENSHOT_DIR
from tests.web.rating_app import QUESTION

pytestmark = pytest.mark.browser


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    tmp = tmp_path_factory.mktemp("rating_app")
    tracker, database = f"sqlite:///{tmp / 'tracker.db'}", f"sqlite:///{tmp / 'app.db'}"
    Outbox(database)  # the tables exist before the server starts
    port = _free_port()
    log_path = tmp / "server.log"
    log = open(log_path, "w")  # noqa: SIM115 - open while the server runs
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "QL_VAR_DIR": str(tmp),
           "QL_DATABASE_URL": database, "QL_TRACKER_STORE_URL": tracker}
    proc = subprocess.Popen([sys.executable, "-m", "tests.web.rating_app", str(port), tracker,
                             database], cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/webhooks/webchat/", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(Path(log_path).read_text()[-2000:]) from None
                time.sleep(0.3)
        yield base, database
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def _earlier_ratings(database: str, n: int) -> None:
    """`n` earlier "hilfreich" for the same answer, from other conversations."""
    outbox = Outbox(database)
    for i in range(n):
        sender = f"webchat:earlier{i:04d}"
        answer = outbox.append_sync(sender, "bot", "Antwort",
                                    response="utter_ask_pflegegrad/pflegegeld")
        assert outbox.rate_sync(sender, answer["id"], "hilfreich", "", "Dortmund")


def _row(page, caption: str, label: str) -> list[str]:  # noqa: ANN001
    table = page.locator("table", has=page.locator("caption", has_text=caption))
    row = table.locator("tr", has=page.locator("th", has_text=label))
    return [c.strip() for c in row.locator("th, td").all_inner_texts()]


def test_a_rating_in_the_widget_reaches_the_statistics(browser, app_server) -> None:  # noqa: ANN001
    base, database = app_server
    _earlier_ratings(database, 4)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE",
                                  extra_http_headers={"x-test-role": "admin"})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{base}/insight/")
        assert _row(page, "Bewertungen nach Antwort", "pflegegrad/pflegegeld") == [
            "pflegegrad/pflegegeld", "<5", "<5"]  # 4 earlier ones: still suppressed

        page.goto(base + "/")
        page.wait_for_selector("#quartierslotse-widget[data-ready=true]", state="attached")
        page.get_by_role("button", name="Fragen? Hier chatten").click()
        page.get_by_role("button", name="Einverstanden – Chat beginnen").click()
        greeting = page.locator(".msg.bot", has_text="kein Mensch")
        greeting.wait_for(timeout=10_000)
        assert greeting.locator(".rate").count() == 0  # utter_greet is not rated
        for answers in (1, 2):
            page.get_by_label("Ihre Frage").fill(QUESTION)
            page.get_by_role("button", name="Senden", exact=True).click()
            page.wait_for_function(
                "n => document.getElementById('quartierslotse-widget').shadowRoot"
                ".querySelectorAll('.msg.bot .rate').length >= n", arg=answers)
        first, second = page.locator(".msg.bot .rate").all()[:2]
        first.get_by_role("button", name="hilfreich", exact=True).click()
        first.get_by_text("Danke für Ihre Rückmeldung.").wait_for()
        second.get_by_role("button", name="nicht hilfreich", exact=True).click()
        field = second.get_by_label("Was hat gefehlt? (freiwillig)")
        field.fill("Rufen Sie mich an: 0231 1234567")
        second.get_by_role("button", name="Rückmeldung senden").click()
        second.locator(".rate-more[hidden]").wait_for(state="attached")
        page.screenshot(path=str(SCREENSHOT_DIR / "rating-real-channel-phone.png"))

        page.set_viewport_size({"width": 1280, "height": 900})  # the report is a desk page
        page.goto(f"{base}/insight/")
        # 4 + 1 "hilfreich" = 5 (published), 1 "nicht hilfreich" (suppressed)
        assert _row(page, "Bewertungen nach Antwort", "pflegegrad/pflegegeld") == [
            "pflegegrad/pflegegeld", "5", "<5"]
        assert _row(page, "Bewertungen nach Thema", "Pflege") == ["Pflege", "5", "<5"]
        page.locator("#h-bewertungen").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOT_DIR / "rating-insight-report.png"))

        page.goto(f"{base}/insight/review")
        feedback = page.locator("#rueckmeldungen table.feedback tbody tr")
        assert feedback.count() == 1
        cells = feedback.first.locator("td").all_inner_texts()
        assert cells[0] == "Rufen Sie mich an: [Telefon]" and "1234567" not in page.content()
        assert cells[1:3] == ["pflegegrad/pflegegeld", "Pflege"]
        page.locator("#rueckmeldungen").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOT_DIR / "rating-insight-review.png"))
        assert errors == []
    finally:
        context.close()
