"""The console without the bot: log-in, sessions, CSRF, municipality isolation, escaping,
callbacks and the audit log (console_only: own database, no Rasa)."""

from __future__ import annotations

import secrets
import uuid

import requests

from advisor import auth
from handoff import service
from handoff.models import PRIORITY_EMERGENCY
from tests.support.handoff import ConsoleClient


def _ticket(console, municipality: str = "Dortmund", **kwargs) -> int:  # type: ignore[no-untyped-def]
    values = {"sender_id": f"s-{kwargs.pop('sender', 'x')}", "channel": "webchat",
              "municipality": municipality, "topic": "Pflegegrad", "preview": "Hallo"}
    values.update(kwargs)
    return service.open_ticket(console.settings.database_url, **values).ticket_id


def test_wrong_password_is_refused(console_only) -> None:
    username, password = console_only.new_advisor()
    client = ConsoleClient(console_only.url)
    response = client.login(username, password + "x")
    assert response.status_code == 401
    assert "Benutzername oder Passwort ist falsch" in response.text
    assert "ql_console" not in client.http.cookies
    assert client.http.get(console_only.url + "/api/queue").status_code == 401
    # the right password still works, the session cookie is HttpOnly and SameSite=Strict
    raw = requests.post(console_only.url + "/login",
                        data={"username": username, "password": password},
                        allow_redirects=False, timeout=20)
    cookie = raw.headers["set-cookie"]
    assert raw.status_code == 302 and "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_unknown_user_and_lockout(console_only) -> None:
    client = ConsoleClient(console_only.url)
    assert client.login("niemand", "irgendwas-langes").status_code == 401
    username, password = console_only.new_advisor()
    for _ in range(console_only.settings.login_max_failures):
        client.login(username, "falsch-falsch")
    locked = client.login(username, password)  # even the right password, for a while
    assert locked.status_code == 429
    assert "gesperrt – bis" in locked.text and "ql_console" not in client.http.cookies


def test_pages_need_login(console_only) -> None:
    for path in ("/", "/callbacks", "/audit", "/tickets/1"):
        response = requests.get(console_only.url + path, allow_redirects=False, timeout=10)
        assert response.status_code == 302 and response.headers["location"].endswith("/login")


def test_post_without_csrf_token_is_refused(console_only) -> None:
    client = console_only.logged_in()
    response = client.http.post(console_only.url + "/duty", data={"on": "1"}, timeout=10)
    assert response.status_code == 403
    assert "Sicherheitsprüfung" in response.text
    response = client.http.post(console_only.url + "/duty", data={"on": "1", "csrf_token": "x"},
                                headers={"Origin": "https://evil.example"}, timeout=10)
    assert response.status_code == 403


def test_a_page_of_the_same_host_over_another_scheme_may_not_post(console_only) -> None:
    """The Origin check compares scheme and host: an https:// page of the console's host is
    another origin than the http:// console (and the other way round behind TLS)."""
    client = console_only.logged_in()
    host = console_only.url.split("://", 1)[1]
    foreign = client.http.post(console_only.url + "/duty",
                               data={"on": "1", "csrf_token": client.csrf},
                               headers={"Origin": f"https://{host}"}, timeout=10)
    assert foreign.status_code == 403 and "Sicherheitsprüfung" in foreign.text
    own = client.http.post(console_only.url + "/duty",
                           data={"on": "1", "csrf_token": client.csrf},
                           headers={"Origin": f"http://{host}"}, timeout=10)
    assert own.status_code in (200, 302, 303)  # control: the same request from its own origin


def test_advisor_sees_only_own_municipality(console_only) -> None:
    dortmund = console_only.logged_in("Dortmund")
    krefeld = console_only.logged_in("Krefeld", "Ben Keller")
    ticket = _ticket(console_only, "Dortmund", sender="iso")
    assert any(t["id"] == ticket for t in dortmund.queue())
    assert all(t["id"] != ticket for t in krefeld.queue())
    assert krefeld.http.get(console_only.url + f"/tickets/{ticket}", timeout=10).status_code == 404
    assert krefeld.claim(ticket).status_code == 404
    assert krefeld.http.get(console_only.url + f"/api/tickets/{ticket}/transcript",
                            timeout=10).status_code == 404


def test_user_text_is_shown_as_text(console_only) -> None:
    client = console_only.logged_in()
    ticket = _ticket(console_only, sender="xss", topic="<b>Pflege</b>",
                     place="<img src=x onerror=alert(1)>",
                     preview="<script>alert('x')</script>")
    page = client.http.get(console_only.url + f"/tickets/{ticket}", timeout=10).text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;Pflege&lt;/b&gt;" in page
    # the queue delivers raw JSON; console.js puts it into the page with textContent only
    queued = [t for t in client.queue() if t["id"] == ticket][0]
    assert queued["preview"] == "<script>alert('x')</script>"
    script = requests.get(console_only.url + "/static/console.js", timeout=10).text
    assert "innerHTML" not in script
    assert "script-src 'self'" in client.http.get(console_only.url + "/",
                                                  timeout=10).headers["content-security-policy"]


def test_queue_orders_emergency_first(console_only) -> None:
    client = console_only.logged_in("Hamm", "Cem Aydin")
    first = _ticket(console_only, "Hamm", sender="q1")
    emergency = _ticket(console_only, "Hamm", sender="q2", priority=PRIORITY_EMERGENCY,
                        reason="emergency")
    order = [t["id"] for t in client.queue()]
    assert order.index(emergency) < order.index(first)
    assert client.queue()[0]["priority_label"] == "Notfall"


def test_only_one_advisor_can_claim(console_only) -> None:
    """The claim in the database is atomic (the pause in Rasa is tested with the bot stack,
    tests/handoff/test_every_request_reaches_a_person.py)."""
    db = console_only.settings.database_url
    ticket = _ticket(console_only, "Bochum", sender="claim")
    anna = auth.create_advisor(db, f"anna-{uuid.uuid4().hex[:6]}", "Anna Schneider", "Bochum",
                               secrets.token_urlsafe(12))
    carl = auth.create_advisor(db, f"carl-{uuid.uuid4().hex[:6]}", "Carl Busch", "Bochum",
                               secrets.token_urlsafe(12))
    assert service.claim(db, ticket, anna)
    assert not service.claim(db, ticket, carl)
    ben = console_only.logged_in("Bochum", "Ben Keller")
    response = ben.claim(ticket)
    assert response.status_code == 409 and "schon jemand anderes" in response.text


def test_callback_list_and_deletion_after_completion(console_only) -> None:
    db = console_only.settings.database_url
    callback = service.add_callback(db, sender_id="cb-1", channel="webchat",
                                    municipality="Herne", phone="02323 123456",
                                    preferred_time="morgen früh", topic="Wohnen")
    client = console_only.logged_in("Herne")
    page = client.http.get(console_only.url + "/callbacks", timeout=10).text
    assert "02323 123456" in page and "morgen früh" in page and "offen" in page
    other = console_only.logged_in("Essen")
    assert "02323 123456" not in other.http.get(console_only.url + "/callbacks", timeout=10).text
    client.post(f"/callbacks/{callback}/status", status="done")
    page = client.http.get(console_only.url + "/callbacks", timeout=10).text
    assert "02323 123456" not in page and "erledigt" in page and "gelöscht" in page
    client.post(f"/callbacks/{callback}/delete")
    audit = client.http.get(console_only.url + "/audit", timeout=10).text
    assert "Rückruf erledigt" in audit and "Rückruf gelöscht" in audit


def test_duty_status_counts_for_the_bot(console_only) -> None:
    db = console_only.settings.database_url
    assert service.advisors_on_duty(db, "Witten") == 0
    client = console_only.logged_in("Witten", on_duty=True)
    assert service.advisors_on_duty(db, "Witten") == 1
    client.post("/logout")
    assert service.advisors_on_duty(db, "Witten") == 0
