"""Console account roles and the insight report mounted in the console at /insight.

Over HTTP against the real console (`console_only`: own database, no Rasa): a plain advisor
gets 403 and no navigation link, a municipality admin sees the report of its own municipality
only, an installation admin sees all. Plus the command line, the demo account and the
`role` column being added to databases from before roles existed (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import re
import secrets
import sys
import uuid
from collections.abc import Iterator

import pytest
import requests
import sqlalchemy as sa

from advisor import auth
from advisor import cli as advisor_cli
from advisor.demo import ensure_demo_advisor
from handoff import service
from handoff.models import ROLES
from insight.disclosure import Disclosure
from insight.synthetic import Expected, generate
from quartierslotse import settings as settings_module
from quartierslotse.settings import Settings
from tests.insight.conftest import pg_database  # noqa: F401 - fixture for the PostgreSQL case
from tests.support.handoff import ConsoleClient

RANGE = "from=2026-03-01&to=2026-03-31"  # the synthetic conversations are in March 2026
INSIGHT_LINK = 'href="/insight/"'


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def report_data(console_only) -> Expected:  # type: ignore[no-untyped-def]
    """Synthetic conversations in the console's tracker store (read by /insight)."""
    return generate(sa.create_engine(console_only.settings.tracker_store_url),
                    conversations=600, days=28, seed=11)


def _log_in(console, role: str, municipality: str = "Dortmund",  # type: ignore[no-untyped-def]
            name: str = "Petra Hoffmann") -> tuple[ConsoleClient, str]:
    username = f"{role}-{uuid.uuid4().hex[:6]}"
    password = secrets.token_urlsafe(12)
    auth.create_advisor(console.settings.database_url, username, name, municipality, password,
                        role=role)
    client = ConsoleClient(console.url)
    response = client.login(username, password)
    assert response.status_code == 200 and client.csrf, response.text[:500]
    return client, username


def _get(client: ConsoleClient, path: str) -> requests.Response:
    return client.http.get(client.url(path), allow_redirects=False, timeout=120)


def _csv_value(text: str, label: str) -> str:
    match = re.search(rf"^{re.escape(label)};([^;\r\n]*)\r?$", text, re.M)
    assert match, f"{label!r} not in the CSV"
    return match.group(1)


@pytest.fixture
def cli_database(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("QL_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("QL_DATABASE_URL", url)
    settings_module.get_settings.cache_clear()
    yield url
    settings_module.get_settings.cache_clear()


def _cli(monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return advisor_cli.main(list(argv))


# --- the console over HTTP ------------------------------------------------------------------

def test_advisor_gets_403_and_no_link(console_only, report_data: Expected) -> None:
    client, _ = _log_in(console_only, "advisor")
    page = _get(client, "/")
    assert page.status_code == 200 and "Warteschlange" in page.text
    assert INSIGHT_LINK not in page.text and "Auswertung" not in page.text
    for path in ("/insight/", "/insight", f"/insight/?{RANGE}", f"/insight/export.csv?{RANGE}",
                 f"/insight/export.xlsx?{RANGE}", "/insight/review",
                 "/insight/review/export.yml"):
        response = _get(client, path)
        assert response.status_code == 403, path
        assert "text/html" in response.headers["content-type"], path
        assert 'lang="de"' in response.text and "Das geht leider nicht" in response.text
        assert "nur für die Kommunalverwaltung" in response.text
        assert "Auswertung der Hotline" not in response.text and "Gespräche" not in response.text
    # a POST to the review queue is refused as well, even with the right CSRF token
    response = client.http.post(client.url("/insight/review/1"), allow_redirects=False,
                                data={"action": "discard", "csrf_token": client.csrf},
                                timeout=30)
    assert response.status_code == 403


def test_insight_needs_login(console_only) -> None:
    response = requests.get(console_only.url + "/insight/", allow_redirects=False, timeout=30)
    assert response.status_code == 302 and response.headers["location"].endswith("/login")


def test_municipality_admin_sees_only_own_municipality(console_only,
                                                       report_data: Expected) -> None:
    client, _ = _log_in(console_only, "municipality_admin", "Dortmund")
    page = _get(client, "/")
    assert page.status_code == 200
    assert INSIGHT_LINK in page.text and ">Auswertung</a>" in page.text
    assert "Kommune – Verwaltung" in page.text  # the role next to the name

    # a foreign municipality in the query is ignored: always Dortmund
    response = _get(client, f"/insight/?{RANGE}&municipality=Krefeld")
    html = response.text
    assert response.status_code == 200, html[:500]
    assert "Auswertung der Hotline – Dortmund" in html and 'lang="de"' in html
    for other in ("Krefeld", "Oberhausen", "Hamburg"):
        assert other not in html
    assert html.count('role="img"') >= 8  # server-rendered SVG charts
    assert 'href="/"' in html  # back to the console

    # headers: the report's own strict CSP, no third-party requests, stylesheet loads
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "style-src 'self'" in csp and "script-src" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert not re.search(r'(src|href|action)="(https?:)?//', html)
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert stylesheets == ["/insight/static/insight.css"]
    assert _get(client, stylesheets[0]).status_code == 200

    # exactly the Dortmund figures (rounded like everything the report shows)
    d = Disclosure()
    csv = _get(client, f"/insight/export.csv?{RANGE}&municipality=Krefeld")
    text = csv.content.decode("utf-8-sig")
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    assert _csv_value(text, "Kommune") == "Dortmund"
    assert _csv_value(text, "Gespräche") == d.text(report_data.by_municipality["Dortmund"])
    assert report_data.by_municipality["Dortmund"] < report_data.conversations
    assert "Krefeld" not in text and "Oberhausen" not in text


def test_municipality_admin_reviews_with_console_csrf_token(console_only,
                                                            report_data: Expected) -> None:
    client, _ = _log_in(console_only, "municipality_admin", "Dortmund", "Karl Weber")
    page = _get(client, "/insight/review")
    assert page.status_code == 200, page.text[:500]
    item_id = re.search(r'action="/insight/review/(\d+)"', page.text).group(1)
    refused = client.http.post(client.url(f"/insight/review/{item_id}"), allow_redirects=False,
                               data={"action": "discard", "status": "open"}, timeout=30)
    assert refused.status_code == 403 and "Sicherheitsprüfung" in refused.text
    done = client.http.post(client.url(f"/insight/review/{item_id}"), allow_redirects=False,
                            data={"action": "discard", "status": "open",
                                  "csrf_token": client.csrf}, timeout=30)
    assert done.status_code == 302 and "/insight/review" in done.headers["location"]


def test_admin_sees_all_municipalities(console_only, report_data: Expected) -> None:
    client, _ = _log_in(console_only, "admin", "Dortmund", "Olga Brandt")
    assert INSIGHT_LINK in _get(client, "/").text
    response = _get(client, f"/insight/?{RANGE}")
    html = response.text
    assert response.status_code == 200 and "Auswertung der Hotline</h1>" in html
    assert '<select name="municipality">' in html
    assert "<option>Dortmund</option>" in html and "<option>Krefeld</option>" in html
    d = Disclosure()
    text = _get(client, f"/insight/export.csv?{RANGE}").content.decode("utf-8-sig")
    assert _csv_value(text, "Kommune") == "alle"
    assert _csv_value(text, "Gespräche") == d.text(report_data.conversations)
    krefeld = _get(client, f"/insight/?{RANGE}&municipality=Krefeld").text
    assert "Auswertung der Hotline – Krefeld" in krefeld


def test_role_change_applies_to_a_running_session(console_only, report_data: Expected,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture) -> None:
    client, username = _log_in(console_only, "advisor")
    assert _get(client, "/insight/").status_code == 403
    monkeypatch.setenv("QL_DATABASE_URL", console_only.settings.database_url)
    settings_module.get_settings.cache_clear()
    try:
        assert _cli(monkeypatch, "role", "--username", username,
                    "--role", "municipality_admin") == 0
    finally:
        settings_module.get_settings.cache_clear()
    assert "Kommune – Verwaltung" in capsys.readouterr().out
    assert _get(client, f"/insight/?{RANGE}").status_code == 200
    assert INSIGHT_LINK in _get(client, "/").text
    audit = _get(client, "/audit").text
    assert "Rolle geändert" in audit


# --- command line -----------------------------------------------------------------------------

def test_cli_create_with_role_and_list(cli_database: str, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture) -> None:
    assert _cli(monkeypatch, "create", "--username", "verwaltung", "--name", "Vera Wolf",
                "--municipality", "Dortmund", "--role", "municipality_admin",
                "--password-stdin", stdin="geheim-geheim-123\n") == 0
    out = capsys.readouterr().out
    assert "angelegt" in out and "Kommune – Verwaltung" in out and "Passwort:" not in out
    assert _cli(monkeypatch, "create", "--username", "anna", "--name", "Anna Schneider",
                "--municipality", "Krefeld") == 0
    out = capsys.readouterr().out
    assert "Rolle: Beratung" in out and re.search(r"Passwort: \S{10,}", out)
    assert _cli(monkeypatch, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["Benutzername", "Kommune", "Rolle", "Anzeigename"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["verwaltung"][1:3] == ["Dortmund", "municipality_admin"]
    assert rows["anna"][1:3] == ["Krefeld", "advisor"]
    token, advisor = auth.login(cli_database, "verwaltung", "geheim-geheim-123")
    assert token and advisor.role == "municipality_admin"

    assert _cli(monkeypatch, "role", "--username", "anna", "--role", "admin") == 0
    assert "Gesamtverwaltung" in capsys.readouterr().out
    assert _cli(monkeypatch, "list") == 0
    assert re.search(r"^anna\s+Krefeld\s+admin\s", capsys.readouterr().out, re.M)
    assert _cli(monkeypatch, "role", "--username", "niemand", "--role", "admin") == 1
    assert "Kein Konto" in capsys.readouterr().err
    for argv in (["role", "--username", "anna", "--role", "chef"],
                 ["create", "--username", "x", "--name", "X", "--municipality", "Dortmund",
                  "--role", "chef"]):
        with pytest.raises(SystemExit) as exited:
            _cli(monkeypatch, *argv)
        assert exited.value.code == 2
    capsys.readouterr()
    with pytest.raises(SystemExit):
        _cli(monkeypatch, "create", "--help")
    assert "municipality_admin" in capsys.readouterr().out


def test_unknown_role_is_refused_by_the_api(cli_database: str) -> None:
    with pytest.raises(ValueError, match="Unbekannte Rolle"):
        auth.create_advisor(cli_database, "x", "X", "Dortmund", "geheim-geheim-123", role="chef")
    assert set(ROLES) == {"advisor", "municipality_admin", "admin"}


def test_demo_advisor_is_a_municipality_admin(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(var_dir=tmp_path, console_demo_advisor="demo",
                        console_demo_municipality="Bottrop")
    password = ensure_demo_advisor(settings)
    assert password
    _, advisor = auth.login(settings.database_url, "demo", password)
    assert advisor.role == "municipality_admin" and advisor.municipality == "Bottrop"
    # an older demo account (plain advisor) is promoted on the next start
    auth.set_role(settings.database_url, "demo", "advisor")
    password = ensure_demo_advisor(settings)
    _, advisor = auth.login(settings.database_url, "demo", password)
    assert advisor.role == "municipality_admin"


# --- databases from before roles existed ---------------------------------------------------------

OLD_ADVISORS = sa.Table(  # handoff_advisors as released before the role column
    "handoff_advisors", sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), unique=True, nullable=False),
    sa.Column("display_name", sa.String(128), nullable=False),
    sa.Column("municipality", sa.String(128), nullable=False, index=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("on_duty", sa.Boolean, nullable=False),
    sa.Column("last_seen", sa.DateTime, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_database(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    return str(request.getfixturevalue("pg_database"))


def test_role_column_is_added_to_an_old_database(old_database: str) -> None:
    from handoff.models import utcnow
    from storage.engine import dispose, get_engine
    from storage.schema import upgrade

    engine = sa.create_engine(old_database)
    OLD_ADVISORS.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(OLD_ADVISORS.insert(), [{
            "username": "alt", "display_name": "Alte Beraterin", "municipality": "Dortmund",
            "password_hash": auth.hash_password("geheim-geheim-123"), "active": True,
            "on_duty": False, "created_at": utcnow()}])
    engine.dispose()

    service.ensure_schema(old_database)
    columns = {c["name"]: c for c in sa.inspect(get_engine(old_database))
               .get_columns("handoff_advisors")}
    assert "role" in columns and not columns["role"]["nullable"]
    upgrade(old_database)  # at head: nothing to do
    _, advisor = auth.login(old_database, "alt", "geheim-geheim-123")
    assert advisor.role == "advisor"  # existing accounts keep their rights
    auth.create_advisor(old_database, "neu", "Neue Verwaltung", "Dortmund",
                        "geheim-geheim-123", role="municipality_admin")
    assert auth.set_role(old_database, "alt", "admin")
    with get_engine(old_database).connect() as conn:
        roles = dict(conn.execute(sa.text("SELECT username, role FROM handoff_advisors")).all())
    assert roles == {"alt": "admin", "neu": "municipality_admin"}
    dispose(old_database)
