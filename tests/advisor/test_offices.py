"""Office pages of the console (/offices) over HTTP, without the bot: roles and municipality
isolation, saving through the importer's validation, field errors, conflicts, undo, CSRF."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest

from actions import office_messages
from advisor import auth
from knowledge.db import open_session
from knowledge.notices import local_date
from knowledge.queries import office_by_key
from tests.support.handoff import ConsoleClient

HOERDE = "/offices/dortmund/seniorenbuero-hoerde"


class _FormFields(HTMLParser):
    """The fields the browser would submit for the form posting to `action`."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.fields = action, False, []  # type: ignore[var-annotated]
        self._select: str | None = None
        self._first_option: str | None = None
        self._selected = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action") == self.action
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value", "on")))
            else:
                self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select, self._first_option, self._selected = a.get("name"), None, False
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self.fields.append((self._select, a.get("value", "")))
                self._selected = True
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.fields.append((self._textarea, ""))

    def handle_data(self, data: str) -> None:
        if self._textarea:
            name, value = self.fields[-1]
            self.fields[-1] = (name, value + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select:
            if not self._selected:
                self.fields.append((self._select, self._first_option or ""))
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_of(client: ConsoleClient, path: str = HOERDE) -> dict[str, str]:
    page = client.http.get(client.url(path), timeout=20)
    assert page.status_code == 200, page.text[:300]
    parser = _FormFields(path)
    parser.feed(page.text)
    return dict(parser.fields)  # one value per name is enough for these forms


def _checked(client: ConsoleClient, path: str = HOERDE) -> dict[str, list[str]]:
    page = client.http.get(client.url(path), timeout=20)
    parser = _FormFields(path)
    parser.feed(page.text)
    out: dict[str, list[str]] = {}
    for name, value in parser.fields:
        out.setdefault(name, []).append(value)
    return out


def submit(client: ConsoleClient, changes: dict[str, str], path: str = HOERDE):  # type: ignore[no-untyped-def]
    fields = _checked(client, path)
    for name, value in changes.items():
        fields[name] = [value]
    data = [(name, value) for name, values in fields.items() for value in values]
    return client.http.post(client.url(path), data=data, allow_redirects=False, timeout=30)


def account(console, municipality: str, role: str) -> ConsoleClient:  # type: ignore[no-untyped-def]
    username = f"{role.split('_')[0]}-{uuid.uuid4().hex[:6]}"
    password = secrets.token_urlsafe(12)
    auth.create_advisor(console.settings.database_url, username, "Karin Adler", municipality,
                        password, role=role)
    client = ConsoleClient(console.url)
    assert client.login(username, password).status_code == 200
    client.username = username  # type: ignore[attr-defined]
    return client


def _office(console):  # type: ignore[no-untyped-def]
    session = open_session(console.settings.database_url)
    return session, office_by_key(session, "dortmund", "seniorenbuero-hoerde")


def _bot_text(console) -> str:  # type: ignore[no-untyped-def]
    session, office = _office(console)
    with session:
        return office_messages.hours_block(office, datetime.now(timezone.utc), None, None)


def test_admin_edits_hours_closure_and_notice_and_undoes(console_only) -> None:
    admin = account(console_only, "Dortmund", "municipality_admin")
    listing = admin.http.get(admin.url("/offices/"), timeout=20).text
    assert "Seniorenbüro Hörde" in listing and "Oberhausen" not in listing
    before = _bot_text(console_only)
    tomorrow = (local_date(datetime.now(timezone.utc)) + timedelta(days=1)).isoformat()
    reply = submit(admin, {
        "hours-0-day": "1", "hours-0-from": "09:00", "hours-0-to": "12:00",
        "exceptions-0-from": tomorrow, "exceptions-0-to": tomorrow,
        "exceptions-0-note": "Betriebsausflug",
        "notices-0-from": tomorrow, "notices-0-to": tomorrow,
        "notices-0-text": "Am Mittwoch ist das Büro wegen eines Ausflugs geschlossen.",
    })
    assert reply.status_code == 302 and "gespeichert=" in reply.headers["location"]
    page = admin.http.get(admin.url(reply.headers["location"]), timeout=20).text
    assert "Gespeichert (Änderung Nr." in page and "Änderung zurücknehmen" in page
    assert f"eingegeben von {admin.username} in der Konsole" in page  # type: ignore[attr-defined]
    text = _bot_text(console_only)
    assert "Dienstag: 9 bis 12 Uhr" in text and "Morgen geschlossen (Betriebsausflug)." in text
    audit = admin.http.get(admin.url("/audit"), timeout=20).text
    assert "Büro geändert" in audit and "Seniorenbüro Hörde: Geändert: Sprechzeiten" in audit

    revision = page.split("/undo/")[1].split('"')[0]
    undone = admin.post(f"{HOERDE}/undo/{revision}")
    assert undone.status_code == 200 and "zurückgenommen mit Nr." in undone.text
    assert _bot_text(console_only) == before


def test_other_municipality_and_advisors(console_only) -> None:
    oberhausen = account(console_only, "Oberhausen", "municipality_admin")
    listing = oberhausen.http.get(oberhausen.url("/offices/"), timeout=20).text
    assert "Seniorenbüro Hörde" not in listing and "Oberhausen" in listing
    assert oberhausen.http.get(oberhausen.url(HOERDE), timeout=20).status_code == 404
    sneaky = oberhausen.post(HOERDE, version="0", phone="0208 11111")
    assert sneaky.status_code == 404
    assert oberhausen.post(f"{HOERDE}/undo/1").status_code == 404
    assert oberhausen.post("/offices/dortmund/notices", notices_count="1").status_code == 404

    advisor = account(console_only, "Dortmund", "advisor")
    page = advisor.http.get(advisor.url(HOERDE), timeout=20).text
    assert "Ändern kann sie nur die Verwaltung der Kommune" in page
    assert '<button type="submit" class="primary">Speichern' not in page
    refused = advisor.post(HOERDE, version="0", phone="0231 11111")
    assert refused.status_code == 403 and "Nur die Verwaltung der Kommune" in refused.text
    session, office = _office(console_only)
    with session:
        assert office.phone != "0231 11111"
    # installation admins see every municipality
    admin = account(console_only, "", "admin")
    listing = admin.http.get(admin.url("/offices/"), timeout=20).text
    assert "Seniorenbüro Hörde" in listing and "Oberhausen" in listing


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hours-0-day": "1", "hours-0-from": "09:00", "hours-0-to": "12:00",
          "hours-1-day": "1", "hours-1-from": "11:00", "hours-1-to": "13:00"},
         "überschneidet sich mit"),
        ({"hours-0-day": "1", "hours-0-from": "12:00", "hours-0-to": "09:00"},
         "Ende 09:00 liegt nicht nach Beginn 12:00"),
        ({"exceptions-0-from": "2026-12-20", "exceptions-0-to": "2026-12-10"},
         "Enddatum 10.12.2026 liegt vor dem Anfangsdatum 20.12.2026"),
        ({"phone": "ruf mich an"}, "ist keine Telefonnummer"),
        ({"postal_code": "1010"}, "muss genau fünf Ziffern haben"),
        ({"notices-0-from": "2026-12-20", "notices-0-to": "2026-12-21",
          "notices-0-text": "Sehr lang. " * 40}, "Hinweis zu lang"),
        ({"hours-0-day": "2"}, "Bitte geben Sie Beginn und Ende an."),
    ],
)
def test_bad_input_gets_a_message_and_nothing_is_saved(console_only, changes, message) -> None:  # type: ignore[no-untyped-def]
    admin = account(console_only, "Dortmund", "municipality_admin")
    before = form_of(admin)
    reply = submit(admin, {**changes, "accessibility": "Rampe am Eingang"})
    assert reply.status_code == 422
    assert "es wurde nichts gespeichert" in reply.text and message in reply.text
    assert 'aria-invalid="true"' in reply.text
    assert form_of(admin) == before


def test_markup_is_stored_verbatim_and_shown_as_text(console_only) -> None:
    admin = account(console_only, "Dortmund", "municipality_admin")
    markup = "<script>alert('x')</script><b>Rampe</b>"
    assert submit(admin, {"accessibility": markup}).status_code == 302
    page = admin.http.get(admin.url(HOERDE), timeout=20)
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    session, office = _office(console_only)
    with session:
        assert office.accessibility == markup


def test_two_admins_get_a_conflict_not_an_overwrite(console_only) -> None:
    first = account(console_only, "Dortmund", "municipality_admin")
    second = account(console_only, "Dortmund", "municipality_admin")
    stale = _checked(second)
    assert submit(first, {"phone": "0231 50-11111"}).status_code == 302
    stale["phone"] = ["0231 50-22222"]
    data = [(name, value) for name, values in stale.items() for value in values]
    reply = second.http.post(second.url(HOERDE), data=data, allow_redirects=False, timeout=30)
    assert reply.status_code == 409
    assert f"inzwischen von {first.username}" in reply.text  # type: ignore[attr-defined]
    session, office = _office(console_only)
    with session:
        assert office.phone == "0231 50-11111"


def test_post_needs_the_csrf_token(console_only) -> None:
    admin = account(console_only, "Dortmund", "municipality_admin")
    fields = form_of(admin)
    fields.pop("csrf_token")
    reply = admin.http.post(admin.url(HOERDE), data={**fields, "phone": "0231 99999"},
                            allow_redirects=False, timeout=30)
    assert reply.status_code == 403 and "Sicherheitsprüfung" in reply.text
