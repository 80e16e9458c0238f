"""Access control, as an attacker on the network would try it: Rasa's HTTP API without the
token, the action server directly, the console without log-in, across municipalities, by
brute force and by cross-site requests. Every attempt must be refused."""

from __future__ import annotations

import socket
import uuid
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa

from handoff import service as handoff
from quartierslotse.settings import Settings
from tests.security.support import Console, console_base, make_advisor
from tests.support.chat import RestChat

pytestmark = pytest.mark.model

RASA_API = [
    ("GET", "/status"),
    ("GET", "/domain"),
    ("GET", "/conversations/{sid}/tracker"),
    ("GET", "/conversations/{sid}/story"),
    ("POST", "/conversations/{sid}/tracker/events"),
    ("PUT", "/conversations/{sid}/tracker/events"),
    ("POST", "/conversations/{sid}/execute"),
    ("POST", "/conversations/{sid}/trigger_intent"),
    ("POST", "/conversations/{sid}/predict"),
    ("POST", "/conversations/{sid}/messages"),
    ("POST", "/model/parse"),
    ("POST", "/model/predict"),
    ("POST", "/model/train"),
    ("POST", "/model/test/intents"),
    ("PUT", "/model"),
    ("DELETE", "/model"),
]
BAD_CREDENTIALS = [
    ("no token", {}, {}),
    ("wrong token", {"token": "wrong"}, {}),
    ("empty token", {"token": ""}, {}),
    ("token as bearer header", {}, {"Authorization": "Bearer test-token"}),
    # an unsigned JWT (alg none) claiming to be an admin
    ("forged JWT", {}, {"Authorization": "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
                                         "eyJ1c2VyIjp7InVzZXJuYW1lIjoiYWRtaW4iLCJyb2xlIjoiYWRtaW4ifX0."}),
]


@pytest.fixture(scope="module")
def victim(bot_stack: Settings) -> str:
    """A real conversation containing personal data."""
    chat = RestChat(bot_stack.rasa_url)
    chat.say("Hallo, meine Telefonnummer ist 0231 7654321")
    return chat.sender


@pytest.mark.parametrize("method,path", RASA_API)
@pytest.mark.parametrize("label,params,headers", BAD_CREDENTIALS,
                         ids=[c[0] for c in BAD_CREDENTIALS])
def test_rasa_http_api_refuses_requests_without_the_token(
    bot_stack: Settings, victim: str, method: str, path: str, label: str, params: dict,
    headers: dict,
) -> None:
    body = {"event": "bot", "text": "Ich bin Ihr Berater, bitte nennen Sie Ihre IBAN.",
            "name": "greet", "text_": "x"}
    reply = requests.request(method, bot_stack.rasa_url + path.format(sid=victim), params=params,
                             headers=headers, json=body, timeout=30)
    assert reply.status_code in (401, 403), (label, reply.status_code, reply.text[:200])
    assert "7654321" not in reply.text


def test_control_the_right_token_is_accepted_and_the_victim_data_exists(
    bot_stack: Settings, victim: str
) -> None:
    """Without this the refusals above could be 'not found' in disguise."""
    reply = requests.get(f"{bot_stack.rasa_url}/conversations/{victim}/tracker",
                         params={"token": bot_stack.rasa_token}, timeout=30)
    assert reply.status_code == 200 and "7654321" in reply.text


def test_impersonating_an_advisor_through_the_api_is_refused(
    bot_stack: Settings, victim: str
) -> None:
    before = requests.get(f"{bot_stack.rasa_url}/conversations/{victim}/tracker",
                          params={"token": bot_stack.rasa_token}, timeout=30).json()
    reply = requests.post(
        f"{bot_stack.rasa_url}/conversations/{victim}/tracker/events",
        params={"output_channel": "latest"}, timeout=30,
        json=[{"event": "bot", "text": "Hier ist Ihre Beraterin. Bitte nennen Sie Ihre PIN.",
               "metadata": {"role": "advisor"}}])
    assert reply.status_code == 401
    after = requests.get(f"{bot_stack.rasa_url}/conversations/{victim}/tracker",
                         params={"token": bot_stack.rasa_token}, timeout=30).json()
    assert len(after["events"]) == len(before["events"])


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.mark.parametrize("service", ["rasa", "action"])
def test_rasa_and_action_server_listen_on_loopback_only(bot_stack: Settings, service: str) -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to test from")
    port = bot_stack.rasa_port if service == "rasa" else bot_stack.action_port
    with socket.socket() as sock:
        sock.settimeout(3)
        assert sock.connect_ex((address, port)) != 0, f"{service} reachable on {address}:{port}"
    with socket.socket() as sock:  # control: it does listen on loopback
        sock.settimeout(3)
        assert sock.connect_ex(("127.0.0.1", port)) == 0


def test_action_server_refuses_calls_that_do_not_come_from_rasa(bot_stack: Settings) -> None:
    call = {"next_action": "action_handoff_request", "sender_id": "attacker",
            "tracker": {"sender_id": "attacker", "slots": {}, "latest_message": {}, "events": [],
                        "paused": False, "followup_action": None, "active_loop": {},
                        "latest_action_name": None},
            "domain": {}, "version": "3.6.2"}
    url = bot_stack.action_server_url
    for headers in ({}, {"X-Quartierslotse-Action-Token": "guess"}):
        reply = requests.post(url, json=call, headers=headers, timeout=30)
        assert reply.status_code == 401, reply.text[:300]
    listing = requests.get(url.rsplit("/", 1)[0] + "/actions", timeout=30)
    assert listing.status_code == 401


@pytest.mark.parametrize("path", ["/webhooks/webchat/webhook", "/webhooks/rest/webhook",
                                  "/conversations/x/tracker"])
def test_cors_allows_only_configured_city_origins(bot_stack: Settings, path: str) -> None:
    evil = "https://evil.example"
    reply = requests.options(bot_stack.rasa_url + path, timeout=30, headers={
        "Origin": evil, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    allowed = reply.headers.get("Access-Control-Allow-Origin", "")
    assert allowed not in ("*", evil), allowed


# --- advisor console ------------------------------------------------------------------------

CONSOLE_PAGES = ["/", "/api/queue", "/tickets/1", "/api/tickets/1/transcript", "/callbacks",
                 "/audit"]
CONSOLE_ACTIONS = ["/duty", "/tickets/1/claim", "/api/tickets/1/reply", "/tickets/1/notes",
                   "/tickets/1/close", "/canned", "/callbacks/1/status", "/callbacks/1/delete",
                   "/logout"]


@pytest.fixture(scope="module")
def console(bot_stack: Settings) -> str:
    return console_base(bot_stack)


@pytest.mark.parametrize("path", CONSOLE_PAGES)
def test_console_pages_need_a_log_in(console: str, path: str) -> None:
    reply = Console(console).get(path)
    assert reply.status_code in (302, 303, 401)
    if reply.status_code in (302, 303):
        assert urlsplit(reply.headers["Location"]).path == "/login"


@pytest.mark.parametrize("path", CONSOLE_ACTIONS)
def test_console_actions_need_a_log_in(console: str, path: str) -> None:
    reply = Console(console).post(path, data={"text": "x", "status": "done"}, csrf=False)
    assert reply.status_code in (302, 303, 401, 403)
    if reply.status_code in (302, 303):
        assert urlsplit(reply.headers["Location"]).path == "/login"


def test_forged_session_cookie_is_refused(console: str) -> None:
    client = Console(console)
    client.http.cookies.set("ql_console", "forged-" + uuid.uuid4().hex)
    client.http.cookies.set("session", "forged-" + uuid.uuid4().hex)
    reply = client.get("/api/queue")
    assert reply.status_code == 401


@pytest.fixture(scope="module")
def two_cities(bot_stack: Settings):
    """A Dortmund advisor and a Bochum ticket + callback with personal data."""
    dortmund = make_advisor(bot_stack, "Dortmund")
    bochum = make_advisor(bot_stack, "Bochum")
    sender = "bochum-" + uuid.uuid4().hex
    ticket = handoff.open_ticket(bot_stack.database_url, sender_id=sender, channel="webchat",
                                 municipality="Bochum", preview="Bitte rufen Sie 0234 555666 an")
    callback = handoff.add_callback(bot_stack.database_url, sender_id=sender, channel="webchat",
                                    municipality="Bochum", phone="0234 555666",
                                    preferred_time="morgens")
    return dortmund, bochum, ticket.ticket_id, callback


def test_console_session_cookie_is_httponly_and_samesite(console: str, two_cities) -> None:
    dortmund = two_cities[0]
    reply = Console(console).login(dortmund)
    assert reply.status_code in (302, 303)
    cookie = reply.headers["Set-Cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_advisor_cannot_see_or_touch_another_municipality(
    bot_stack: Settings, console: str, two_cities
) -> None:
    dortmund, _, ticket_id, callback_id = two_cities
    client = Console(console)
    assert client.login(dortmund).status_code in (302, 303) and client.csrf
    queue = client.get("/api/queue")
    assert queue.status_code == 200  # control: logged in
    assert ("555666" not in queue.text
            and ticket_id not in [t["id"] for t in queue.json()["tickets"]])
    for path in [f"/tickets/{ticket_id}", f"/api/tickets/{ticket_id}/transcript", "/callbacks",
                 "/audit"]:
        reply = client.get(path)
        assert "555666" not in reply.text and "Bochum" not in reply.text.replace(
            "für Ihre Kommune", ""), path
    for path, kwargs in [
        (f"/tickets/{ticket_id}/claim", {"data": {}}),
        (f"/api/tickets/{ticket_id}/reply", {"json": {"text": "Ich bin Ihr Berater"}}),
        (f"/tickets/{ticket_id}/notes", {"data": {"text": "fremde Notiz"}}),
        (f"/tickets/{ticket_id}/close", {"data": {"summary": "geschlossen"}}),
        (f"/callbacks/{callback_id}/status", {"data": {"status": "done"}}),
        (f"/callbacks/{callback_id}/delete", {"data": {}}),
    ]:
        client.post(path, **kwargs)
    engine = sa.create_engine(bot_stack.database_url)
    with engine.connect() as conn:
        ticket = conn.execute(sa.text("SELECT status, claimed_by FROM handoff_tickets WHERE id=:i"),
                              {"i": ticket_id}).one()
        notes = conn.execute(sa.text("SELECT count(*) FROM handoff_notes WHERE ticket_id=:i"),
                             {"i": ticket_id}).scalar()
        callback = conn.execute(sa.text("SELECT status, phone FROM handoff_callbacks WHERE id=:i"),
                                {"i": callback_id}).one()
    engine.dispose()
    assert tuple(ticket) == ("queued", None) and notes == 0
    assert tuple(callback) == ("open", "0234 555666")


def test_console_refuses_cross_site_requests_without_csrf_token(console: str, two_cities) -> None:
    dortmund = two_cities[0]
    client = Console(console)
    client.login(dortmund)
    assert client.post("/duty", data={"on_duty": "1"}, csrf=False).status_code == 403
    client.http.headers["Origin"] = "https://evil.example"
    # right token, wrong origin
    assert client.post("/duty", data={"on_duty": "1"}).status_code == 403


def test_console_does_not_redirect_to_foreign_sites(console: str, two_cities) -> None:
    client = Console(console)
    client.login(two_cities[0])
    reply = client.post("/canned", data={"title": "t", "text": "x", "back": "https://evil.example/phish"})
    location = reply.headers.get("Location", "")
    assert not urlsplit(location).netloc or urlsplit(location).netloc == urlsplit(console).netloc


def test_console_login_brute_force_is_locked_out(bot_stack: Settings, console: str) -> None:
    victim = make_advisor(bot_stack, "Dortmund")
    client = Console(console)
    for attempt in range(bot_stack.login_max_failures):
        assert client.login(victim, password=f"falsch-{attempt}").status_code == 401
    locked = client.login(victim)  # now even the right password is refused
    assert locked.status_code in (401, 429) and "gesperrt" in locked.text
    assert "ql_console" not in requests.utils.dict_from_cookiejar(client.http.cookies)


def test_console_sends_security_headers(console: str) -> None:
    reply = Console(console).get("/login")
    csp = reply.headers["Content-Security-Policy"]
    assert ("script-src 'self'" in csp and "unsafe-inline" not in csp
            and "frame-ancestors 'none'" in csp)
    assert reply.headers["X-Frame-Options"] == "DENY"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
