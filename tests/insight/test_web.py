"""The reporting view and review queue over HTTP (blueprint in a bare Sanic app) and in a
headless browser."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from advisor import auth
from insight.synthetic import generate
from quartierslotse.settings import PROJECT_ROOT
from tests.insight.standalone_app import CSRF
from tests.support.browser import chromium

RANGE = "from=2026-03-01&to=2026-03-31"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("insight_web")
    tracker, app = f"sqlite:///{tmp / 'tracker.db'}", f"sqlite:///{tmp / 'app.db'}"
    generate(sa.create_engine(tracker), conversations=1200, days=28, seed=5)
    port = free_port()
    log = open(tmp / "server.log", "w")  # noqa: SIM115 - open while the server runs
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.insight.standalone_app", str(port), tracker, app],
        cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/insight/static/insight.css", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError((tmp / "server.log").read_text()[-2000:]) from None
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def fetch(url: str, role: str | None = "admin", municipality: str = "",
          data: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    headers = {"x-test-role": role, "x-test-municipality": municipality} if role else {}
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=120) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_report_page_for_admin(server: str) -> None:
    status, headers, body = fetch(f"{server}/insight/?{RANGE}&period=day")
    html = body.decode()
    assert status == 200
    assert "Auswertung der Hotline" in html and 'lang="de"' in html
    assert html.count('role="img"') >= 8 and "<title id=" in html and "<desc id=" in html
    assert "Wann wird gefragt?" in html and "Zahlen als Tabelle" in html
    assert re.search(r"Die meiste Nachfrage: (Montag|Dienstag|Mittwoch|Donnerstag|Freitag)", html)
    # no third-party requests: no external URLs in src/href, and a strict CSP
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    # every number in the overview is suppressed or a multiple of 5
    for value in re.findall(r"<dd>([^<]*)</dd>", html):
        assert value in ("<5", "&lt;5", "–") or value.endswith("%") or value.endswith(".") \
            or int(value.replace(".", "")) % 5 == 0, value


def test_municipality_admin_sees_only_own_municipality(server: str) -> None:
    status, _, body = fetch(f"{server}/insight/?{RANGE}&municipality=Dortmund",
                            role="municipality_admin", municipality="Krefeld")
    html = body.decode()
    assert status == 200 and "Auswertung der Hotline – Krefeld" in html
    assert "Dortmund" not in html


def test_advisors_and_anonymous_users_are_kept_out(server: str) -> None:
    status, _, body = fetch(f"{server}/insight/", role="advisor", municipality="Dortmund")
    assert status == 403 and "nur für die Kommunalverwaltung" in body.decode()
    status, headers, _ = fetch(f"{server}/insight/", role=None)
    assert status == 302 and headers["Location"] == "/login"


def test_csv_and_xlsx_export(server: str) -> None:
    from openpyxl import load_workbook

    status, headers, body = fetch(f"{server}/insight/export.csv?{RANGE}&period=week")
    text = body.decode("utf-8-sig")
    assert status == 200 and "attachment" in headers["Content-Disposition"]
    assert "Gespräche nach Kanal" in text and "Geheimhaltung" in text
    status, _, body = fetch(f"{server}/insight/export.xlsx?{RANGE}")
    assert status == 200
    book = load_workbook(io.BytesIO(body))
    assert {"Info", "Überblick", "Themen", "Wochentag und Uhrzeit"} <= set(book.sheetnames)
    numbers = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row
               if isinstance(c.value, int)]
    assert numbers and all(n >= 5 and n % 5 == 0 for n in numbers)


def test_review_queue_labelling_needs_csrf(server: str) -> None:
    status, _, body = fetch(f"{server}/insight/review")
    html = body.decode()
    assert status == 200 and "[Telefon]" in html and "0231 5012345" not in html
    item_id = re.search(r'action="/insight/review/(\d+)"', html).group(1)
    # identical texts are shown once, with their number
    first_count = int(re.search(r'<td class="text">[^<]*</td>\s*<td>(\d+)</td>', html).group(1))
    assert first_count > 1
    status, _, _ = fetch(f"{server}/insight/review/{item_id}",
                         data={"action": "label", "intent": "ask_pflegegrad"})
    assert status == 403  # no CSRF token
    status, headers, _ = fetch(f"{server}/insight/review/{item_id}", data={
        "action": "label", "intent": "ask_pflegegrad", "csrf_token": CSRF, "status": "open"})
    assert status == 302 and "/insight/review" in headers["Location"]
    status, _, body = fetch(f"{server}/insight/review?status=labelled")
    assert "Pflegegrad und Pflege" in body.decode()
    assert f"Zugeordnet ({first_count})" in body.decode()  # the whole group was labelled
    status, _, body = fetch(f"{server}/insight/review/export.yml")
    assert status == 200 and "intent: ask_pflegegrad" in body.decode()


@pytest.mark.browser
def test_report_in_browser(server: str, tmp_path: Path) -> None:
    shot = Path(os.environ.get("INSIGHT_SCREENSHOT", tmp_path / "insight-report.png"))
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      extra_http_headers={"x-test-role": "admin"})
        page = context.new_page()
        foreign: list[str] = []
        page.on("request", lambda r: None if r.url.startswith(server) else foreign.append(r.url))
        page.goto(f"{server}/insight/?{RANGE}&period=day")
        assert page.get_by_role("heading", name="Auswertung der Hotline").is_visible()
        assert page.locator("svg[role=img]").count() >= 8
        assert page.get_by_role("img", name=re.compile("Wochentag und Uhrzeit")).is_visible()
        page.get_by_role("combobox", name="Verlauf je").select_option("week")
        page.get_by_role("button", name="Anzeigen").click()
        page.wait_for_url(re.compile("period=week"))
        page.get_by_text("Zahlen als Tabelle: Nachrichten nach Thema").click()
        assert page.get_by_role("table", name="Nachrichten nach Thema").is_visible()
        page.screenshot(path=str(shot), full_page=True)
    assert foreign == [] and shot.stat().st_size > 10_000


def test_console_session_cookie_is_understood(tmp_path: Path) -> None:
    """The default authenticator reads the advisor console's real session (cookie ql_console)."""
    import asyncio
    from types import SimpleNamespace

    from advisor.insight_access import console_authenticator
    from insight.web import may_view, scope

    db = f"sqlite:///{tmp_path / 'console.db'}"
    auth.create_advisor(db, "erna", "Erna Berger", "Dortmund", "geheim-geheim-123")
    token, _advisor = auth.login(db, "erna", "geheim-geheim-123")
    authenticate = console_authenticator(db)
    user = asyncio.run(authenticate(SimpleNamespace(ctx=SimpleNamespace(),
                                                    cookies={"ql_console": token})))
    assert user is not None and user.name == "Erna Berger" and user.csrf_token
    assert user.municipality == "Dortmund" and scope(user) == "Dortmund"
    # an advisor without the municipality-admin role may not see the report
    assert user.role == "advisor" and not may_view(user)
    assert asyncio.run(authenticate(SimpleNamespace(ctx=SimpleNamespace(),
                                                    cookies={"ql_console": "wrong"}))) is None
    # when the console has already resolved the session, its request context is used
    admin = SimpleNamespace(display_name="Amt", municipality="Krefeld", role="municipality_admin")
    user = asyncio.run(authenticate(SimpleNamespace(ctx=SimpleNamespace(advisor=admin, csrf="x"),
                                                    cookies={})))
    assert may_view(user) and scope(user) == "Krefeld" and user.csrf_token == "x"
