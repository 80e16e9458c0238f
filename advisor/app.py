"""The advisor console (Sanic + Jinja2).

Run: python -m advisor   (port from QL_CONSOLE_PORT, Rasa URL/token from QL_RASA_URL/QL_RASA_TOKEN)

All state is in the database (tickets, sessions, notes, audit log) and the bot is reached only
through Rasa's HTTP API, so several console instances can run side by side.

The insight report (insight/web.py) is mounted at /insight; it reuses the console's session
cookie and is open to the roles "municipality_admin" (own municipality) and "admin" (all).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import time
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from advisor import auth
from advisor import offices as office_pages
from advisor import review as review_pages
from advisor.insight_access import console_authenticator
from advisor.rasa_api import RasaAPI, RasaError, transcript
from handoff import service
from handoff.models import (
    PRIORITY_EMERGENCY,
    PRIORITY_PERSONAL_TOPIC,
    ROLE_ADMIN,
    ROLE_LABELS,
    UNASSIGNED,
    UNASSIGNED_LABEL,
    Advisor,
    Ticket,
    utcnow,
)
from insight.web import ADMIN_ROLES as INSIGHT_ROLES
from insight.web import create_blueprint as insight_blueprint
from knowledge.contacts import municipality_names
from quartierslotse.settings import Settings, get_settings
from security.channel_guard import client_ip, parse_networks
from security.headers import console_csp
from security.rate_limit import LoginThrottle

HERE = Path(__file__).resolve().parent
TRANSCRIPT_POLL_SECONDS = 15.0
TRANSCRIPT_POLL_INTERVAL = 0.15

CHANNEL_LABELS = {"webchat": "Web-Chat", "telegram": "Telegram", "rest": "Schnittstelle",
                  "socketio": "Web-Chat"}
RELATION_LABELS = {"relative": "Angehörige/r", "self": "für sich selbst", "": "unbekannt"}
STATUS_LABELS = {"queued": "wartet", "open": "in Bearbeitung",
                 "followup": "zurückgegeben, offen zur Nachbearbeitung",
                 "closed": "abgeschlossen"}
TIER_LABELS = {"akut": "akut (Gefahr jetzt)",
               "moeglich": "möglich (Gefahrenwörter, keine Alarmierung)", "": "–"}
KIND_LABELS = {"akut": "Notruf 112/110", "suizid": "Suizidgefahr (TelefonSeelsorge)", "": "–"}
CLAIM_FAILED = ("Das Gespräch wurde nicht übernommen: Der Bot hat die Pause nicht bestätigt "
                "(er ist gerade nicht erreichbar). Der Bot antwortet der Person weiter. "
                "Bitte versuchen Sie es in einem Moment noch einmal.")
HAND_BACK_FAILED = ("Das Gespräch wurde nicht zurückgegeben: Der Bot ist gerade nicht "
                    "erreichbar. Das Gespräch bleibt bei Ihnen – bitte versuchen Sie es in "
                    "einem Moment noch einmal.")
CALLBACK_LABELS = {"open": "offen", "done": "erledigt", "failed": "nicht erreicht"}
AUDIT_LABELS = {
    "konto_angelegt": "Konto angelegt", "passwort_gesetzt": "Passwort gesetzt",
    "rolle_gesetzt": "Rolle geändert",
    "angemeldet": "Angemeldet", "anmeldung_fehlgeschlagen": "Anmeldung fehlgeschlagen",
    "anmeldung_gesperrt": "Anmeldung abgewiesen (Benutzername gesperrt)",
    "anmeldung_ip_gesperrt": "Anmeldung abgewiesen (zu viele Versuche von einer Adresse)",
    "dienst_beginn": "Dienst begonnen", "dienst_ende": "Dienst beendet",
    "ticket_erstellt": "Anfrage eingereiht", "prioritaet_erhoeht": "Dringlichkeit erhöht",
    "uebernommen": "Gespräch übernommen", "antwort": "Antwort gesendet", "notiz": "Notiz",
    "an_bot_zurueckgegeben": "An den Bot zurückgegeben", "textbaustein_angelegt":
    "Textbaustein angelegt", "rueckruf_angelegt": "Rückruf angelegt",
    "rueckruf_done": "Rückruf erledigt", "rueckruf_failed": "Rückruf nicht erreicht",
    "rueckruf_open": "Rückruf wieder offen", "rueckruf_geloescht": "Rückruf gelöscht",
    "rueckruf_geaendert": "Rückruf geändert", "wieder_eingereiht": "Wieder eingereiht",
    "notfall_alarm": "Notfall-Alarm", "uebernahme_fehlgeschlagen": "Übernahme fehlgeschlagen",
    "zurueckgegeben_offen": "An den Bot zurückgegeben, offen zur Nachbearbeitung",
    "rueckgabe_fehlgeschlagen": "Rückgabe fehlgeschlagen",
    "an_kommune_uebergeben": "An Kommune übergeben",
    "fehler": "Fehler",
}
REASON_LABELS = {"request": "Wunsch nach einem Menschen", "fallback": "Bot hat nicht verstanden",
                 "emergency": "NOTFALL", "topic": "Thema braucht persönliche Beratung"}


def priority_label(priority: int) -> str:
    if priority >= PRIORITY_EMERGENCY:
        return "Notfall"
    if priority >= PRIORITY_PERSONAL_TOPIC:
        return "hoch"
    return "normal"


def local_time(value: datetime | None) -> str:
    if value is None:
        return ""
    from datetime import timezone
    from zoneinfo import ZoneInfo

    return value.replace(tzinfo=timezone.utc).astimezone(
        ZoneInfo(get_settings().timezone)).strftime("%d.%m.%Y %H:%M")


def municipality_label(municipality: str) -> str:
    return UNASSIGNED_LABEL if municipality == UNASSIGNED else municipality


def may_view_insight(advisor: Advisor | None) -> bool:
    """Whether the console shows the link to the insight report (the blueprint checks again)."""
    return advisor is not None and getattr(advisor, "role", "") in INSIGHT_ROLES


def ticket_json(ticket: Ticket, advisor: Advisor, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "status": ticket.status,
        "status_label": STATUS_LABELS.get(ticket.status, ticket.status),
        "priority": ticket.priority,
        "priority_label": priority_label(ticket.priority),
        "reason_label": REASON_LABELS.get(ticket.reason, ticket.reason),
        "waiting_seconds": int((utcnow() - ticket.created_at).total_seconds()),
        "topic": ticket.topic or "–",
        "channel": ticket.channel,
        "channel_label": CHANNEL_LABELS.get(ticket.channel, ticket.channel or "unbekannt"),
        "place": ticket.place or municipality_label(ticket.municipality),
        "municipality": municipality_label(ticket.municipality),
        "unassigned": ticket.municipality == UNASSIGNED,
        "alarm": ticket.alarm_at is not None,
        "emergency_tier_label": TIER_LABELS.get(ticket.emergency_tier or "", ticket.emergency_tier),
        "emergency_kind_label": KIND_LABELS.get(ticket.emergency_kind or "", ticket.emergency_kind),
        "relation_label": RELATION_LABELS.get(ticket.relation, ticket.relation),
        "preview": ticket.preview,
        "claimed_by": names.get(ticket.claimed_by or 0, ""),
        "mine": ticket.claimed_by == advisor.id,
    }


def create_app(settings: Settings | None = None, name: str = "quartierslotse_console") -> Sanic:
    settings = settings or get_settings()
    db = settings.database_url
    service.ensure_schema(db)
    app = Sanic(name)
    app.config.KEEP_ALIVE_TIMEOUT = 30
    app.config.RESPONSE_TIMEOUT = 60
    app.static("/static", str(HERE / "static"), name="static")
    templates = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                            autoescape=select_autoescape(["html"], default=True))
    templates.filters["local_time"] = local_time
    templates.filters["audit_label"] = lambda key: AUDIT_LABELS.get(key, key)
    templates.filters["role_label"] = lambda key: ROLE_LABELS.get(key, key)
    templates.globals["may_view_insight"] = may_view_insight
    templates.globals["may_review"] = review_pages.may_review
    templates.globals["is_admin"] = lambda advisor: getattr(advisor, "role", "") == ROLE_ADMIN
    templates.filters["municipality_label"] = municipality_label
    rasa = RasaAPI(settings.rasa_url, settings.rasa_token)
    content_review = review_pages.Review()  # facts to review and the Antwortkatalog, cached

    @app.after_server_stop
    async def _close(*_: Any) -> None:
        await rasa.close()

    def db_call(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        return asyncio.to_thread(fn, *args, **kwargs)

    def render(template: str, status: int = 200, **context: Any) -> HTTPResponse:
        html = templates.get_template(template).render(**context)
        return response.html(html, status=status, headers=SECURITY_HEADERS)

    def secure_cookie(request: Request) -> bool:
        mode = settings.console_secure_cookies.lower()
        if mode in ("1", "true", "yes"):
            return True
        if mode in ("0", "false", "no"):
            return False
        host = (request.host or "").rsplit(":", 1)[0].strip("[]")
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        return request.scheme == "https" or not loopback

    trusted_proxies = parse_networks(settings.trusted_proxies)
    login_throttle = LoginThrottle(settings, "console-login")

    def same_origin(request: Request) -> bool:
        origin = request.headers.get("origin") or request.headers.get("referer")
        if not origin or origin == "null":
            return origin is None
        # security: scheme and host (an http:// page must not post to the https:// console);
        # behind a trusted TLS proxy the scheme is the one it forwards
        scheme = request.scheme
        if trusted_proxies and client_ip(request, trusted_proxies) != request.ip:
            scheme = request.headers.get("x-forwarded-proto", scheme).split(",")[0].strip()
        parts = urlsplit(origin)
        return parts.scheme == scheme and parts.netloc == request.host

    def requires_login(api: bool = False):  # type: ignore[no-untyped-def]
        def decorator(handler):  # type: ignore[no-untyped-def]
            @wraps(handler)
            async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
                token = request.cookies.get(auth.SESSION_COOKIE, "")
                found = await db_call(auth.session_for, db, token)
                if found is None:
                    if api:
                        return response.json({"error": "Bitte melden Sie sich an."}, status=401)
                    return response.redirect("/login")
                console_session, advisor = found
                if request.method not in ("GET", "HEAD"):
                    sent = request.headers.get("x-csrf-token") or (
                        request.form.get("csrf_token") if request.form else "") or ""
                    if not same_origin(request) or not hmac.compare_digest(
                            sent, console_session.csrf_token):
                        if api:
                            return response.json({"error": "Sicherheitsprüfung fehlgeschlagen. "
                                                  "Bitte laden Sie die Seite neu."}, status=403)
                        return render("error.html", 403, advisor=advisor,
                                      message="Sicherheitsprüfung fehlgeschlagen. "
                                              "Bitte laden Sie die Seite neu.")
                request.ctx.advisor = advisor
                request.ctx.csrf = console_session.csrf_token
                return await handler(request, *args, **kwargs)
            return wrapper
        return decorator

    # --- log-in ---------------------------------------------------------------------------

    @app.get("/login")
    async def login_form(request: Request) -> HTTPResponse:
        return render("login.html", error="")

    @app.post("/login")
    async def login(request: Request) -> HTTPResponse:
        if not same_origin(request):
            return render("login.html", 403, error="Sicherheitsprüfung fehlgeschlagen.")
        form = request.form or {}
        username = (form.get("username") or "").strip()
        password = form.get("password") or ""
        # security: constant-time check, lock-out per user name, throttle per IP (auth.py)
        outcome = await db_call(auth.attempt, db, username, password,
                                ip=client_ip(request, trusted_proxies), throttle=login_throttle,
                                max_failures=settings.login_max_failures,
                                lockout_seconds=settings.login_lockout_seconds)
        if not outcome.ok:
            status = 429 if outcome.locked_until or outcome.ip_blocked_seconds else 401
            return render("login.html", status, username=username,
                          error=auth.refusal_message(outcome, local_time))
        token = outcome.token
        reply = response.redirect("/")
        reply.cookies[auth.SESSION_COOKIE] = token
        cookie = reply.cookies[auth.SESSION_COOKIE]
        cookie["httponly"] = True
        cookie["samesite"] = "Strict"
        cookie["path"] = "/"
        cookie["max-age"] = int(auth.SESSION_LIFETIME.total_seconds())
        if secure_cookie(request):
            cookie["secure"] = True
        return reply

    @app.post("/logout")
    @requires_login()
    async def logout(request: Request) -> HTTPResponse:
        await db_call(service.set_duty, db, request.ctx.advisor.id, False)
        await db_call(auth.logout, db, request.cookies.get(auth.SESSION_COOKIE, ""))
        reply = response.redirect("/login")
        del reply.cookies[auth.SESSION_COOKIE]
        return reply

    # --- queue ----------------------------------------------------------------------------

    @app.get("/")
    @requires_login()
    async def index(request: Request) -> HTTPResponse:
        advisor = request.ctx.advisor
        return render("queue.html", advisor=advisor, csrf=request.ctx.csrf,
                      review=await content_review.notice_for(advisor))

    @app.post("/duty")
    @requires_login()
    async def duty(request: Request) -> HTTPResponse:
        on = (request.form.get("on") if request.form else "") == "1"
        await db_call(service.set_duty, db, request.ctx.advisor.id, on)
        return response.redirect("/")

    @app.get("/api/queue")
    @requires_login(api=True)
    async def api_queue(request: Request) -> HTTPResponse:
        advisor = request.ctx.advisor
        await db_call(service.touch, db, advisor.id)
        tickets = await db_call(service.queue, db, service.scopes(advisor))
        names = await db_call(service.advisor_names, db,
                              {t.claimed_by for t in tickets if t.claimed_by})
        on_duty = await db_call(service.advisors_on_duty, db, advisor.municipality)
        return response.json({
            "tickets": [ticket_json(t, advisor, names) for t in tickets],
            "advisors_on_duty": on_duty,
            "on_duty": bool(advisor.on_duty),
        })

    @app.post("/tickets/<ticket_id:int>/claim")
    @requires_login()
    async def claim(request: Request, ticket_id: int) -> HTTPResponse:
        """Claimed only when Rasa confirmed the pause in the tracker; otherwise the ticket
        waits again and the advisor is told why."""
        advisor = request.ctx.advisor
        ticket = await db_call(service.get_ticket, db, ticket_id, service.scopes(advisor))
        if ticket is None:
            return render("error.html", 404, advisor=advisor,
                          message="Dieses Gespräch gibt es nicht oder nicht für Ihre Kommune.")
        if not await db_call(service.claim, db, ticket_id, advisor):
            if ticket.claimed_by == advisor.id:
                return response.redirect(f"/tickets/{ticket_id}")
            return render("error.html", 409, advisor=advisor,
                          message="Dieses Gespräch hat schon jemand anderes übernommen.")
        try:
            await rasa.set_paused(ticket.sender_id, True, [
                {"event": "bot", "text": f"{advisor.display_name} aus der Beratung ist jetzt "
                                         "für Sie da und liest Ihre Nachrichten.",
                 "metadata": {"role": "system", "handoff": "advisor_joined"}},
            ], output_channel=ticket.channel or "latest")
        except (RasaError, OSError, asyncio.TimeoutError) as error:
            await db_call(service.release, db, ticket_id, advisor, str(error))
            return render("error.html", 502, advisor=advisor, message=CLAIM_FAILED)
        return response.redirect(f"/tickets/{ticket_id}")

    # --- one conversation -----------------------------------------------------------------

    @app.get("/tickets/<ticket_id:int>")
    @requires_login()
    async def ticket_page(request: Request, ticket_id: int) -> HTTPResponse:
        advisor = request.ctx.advisor
        ticket = await db_call(service.get_ticket, db, ticket_id, service.scopes(advisor))
        if ticket is None:
            return render("error.html", 404, advisor=advisor,
                          message="Dieses Gespräch gibt es nicht oder nicht für Ihre Kommune.")
        names = await db_call(service.advisor_names, db, {ticket.claimed_by} - {None})
        notes = await db_call(service.notes, db, ticket_id)
        canned = await db_call(service.canned_replies, db, advisor.municipality)
        return render("ticket.html", advisor=advisor, csrf=request.ctx.csrf, ticket=ticket,
                      info=ticket_json(ticket, advisor, names), notes=notes, canned=canned)

    @app.get("/api/tickets/<ticket_id:int>/transcript")
    @requires_login(api=True)
    async def api_transcript(request: Request, ticket_id: int) -> HTTPResponse:
        """Long poll: messages newer than `after` (a Rasa event timestamp)."""
        advisor = request.ctx.advisor
        ticket = await db_call(service.get_ticket, db, ticket_id, service.scopes(advisor))
        if ticket is None:
            return response.json({"error": "Nicht gefunden."}, status=404)
        try:
            after = float(request.args.get("after", "0"))
        except ValueError:
            after = 0.0
        wait = min(float(request.args.get("wait", TRANSCRIPT_POLL_SECONDS) or 0),
                   TRANSCRIPT_POLL_SECONDS)
        deadline = time.monotonic() + (wait if after > 0 else 0)
        while True:
            try:
                items = transcript(await rasa.tracker(ticket.sender_id), after)
                for item in items:
                    item["time"] = local_time(datetime.utcfromtimestamp(item["ts"]))[-5:]
            except (RasaError, OSError):
                return response.json({"error": "Der Bot ist gerade nicht erreichbar."},
                                     status=502)
            if items or time.monotonic() >= deadline:
                break
            await asyncio.sleep(TRANSCRIPT_POLL_INTERVAL)
        current = await db_call(service.get_ticket, db, ticket_id, service.scopes(advisor))
        return response.json({"messages": items, "status": current.status if current else ""})

    @app.post("/api/tickets/<ticket_id:int>/reply")
    @requires_login(api=True)
    async def api_reply(request: Request, ticket_id: int) -> HTTPResponse:
        advisor = request.ctx.advisor
        ticket = await db_call(service.get_ticket, db, ticket_id, service.scopes(advisor))
        if ticket is None or ticket.status != "open" or ticket.claimed_by != advisor.id:
            return response.json({"error": "Bitte übernehmen Sie das Gespräch zuerst."},
                                 status=409)
        text = ((request.json or {}).get("text") or "").strip()
        if not text:
            return response.json({"error": "Die Nachricht ist leer."}, status=400)
        try:
            await rasa.append_events(ticket.sender_id, [
                {"event": "bot", "text": text[:4000],
                 "metadata": {"role": "advisor", "advisor": advisor.display_name}},
            ], output_channel=ticket.channel or "latest")
        except (RasaError, OSError):
            return response.json({"error": "Die Nachricht konnte nicht zugestellt werden. "
                                  "Bitte versuchen Sie es noch einmal."}, status=502)
        await db_call(service.record, db, advisor, "antwort", ticket_id, f"{len(text)} Zeichen")
        return response.json({"ok": True})

    @app.post("/tickets/<ticket_id:int>/notes")
    @requires_login()
    async def add_note(request: Request, ticket_id: int) -> HTTPResponse:
        advisor = request.ctx.advisor
        ticket = await db_call(service.get_ticket, db, ticket_id, service.scopes(advisor))
        text = (request.form.get("text") or "").strip()
        if ticket is not None and text:
            await db_call(service.add_note, db, ticket_id, advisor, text)
        return response.redirect(f"/tickets/{ticket_id}#notizen")

    @app.post("/tickets/<ticket_id:int>/close")
    @requires_login()
    async def close(request: Request, ticket_id: int) -> HTTPResponse:
        """Hand the conversation back to the bot: `keep_open=1` keeps the ticket for a
        follow-up, otherwise it is closed. Done only when Rasa confirmed the resume."""
        advisor = request.ctx.advisor
        ticket = await db_call(service.get_ticket, db, ticket_id, service.scopes(advisor))
        summary = (request.form.get("summary") or "").strip()
        keep_open = request.form.get("keep_open") == "1"
        if ticket is None or ticket.status == "closed" or (
                keep_open and ticket.status != "open"):
            return render("error.html", 409, advisor=advisor,
                          message="Dieses Gespräch ist schon abgeschlossen.")
        if ticket.status == "open":
            try:
                await rasa.set_paused(ticket.sender_id, False, [
                    {"event": "slot", "name": "handoff_summary", "value": summary[:1000]},
                    {"event": "bot", "text": "Die Beratung hat das Gespräch beendet. Sie "
                                             "schreiben jetzt wieder mit dem digitalen "
                                             "Assistenten. Wenn Sie noch eine Frage haben, "
                                             "schreiben Sie mir einfach.",
                     "metadata": {"role": "system", "handoff": "closed"}},
                    {"event": "action", "name": "action_listen"},
                ], output_channel=ticket.channel or "latest")
            except (RasaError, OSError, asyncio.TimeoutError) as error:
                await db_call(service.record, db, advisor, "rueckgabe_fehlgeschlagen",
                              ticket_id, str(error)[:500])
                return render("error.html", 502, advisor=advisor, message=HAND_BACK_FAILED)
        change = service.hand_back if keep_open else service.close
        if not await db_call(change, db, ticket_id, advisor, summary):
            return render("error.html", 409, advisor=advisor,
                          message="Dieses Gespräch ist schon abgeschlossen.")
        return response.redirect("/")

    # --- canned replies, callbacks, audit -------------------------------------------------

    @app.post("/canned")
    @requires_login()
    async def add_canned(request: Request) -> HTTPResponse:
        title = (request.form.get("title") or "").strip()
        text = (request.form.get("text") or "").strip()
        if title and text:
            await db_call(service.add_canned_reply, db, request.ctx.advisor, title, text)
        back = request.form.get("back") or "/"
        # security: only paths of this console, never another site (open redirect)
        return response.redirect(back if back.startswith("/") and not back.startswith("//")
                                 and "\\" not in back else "/")

    @app.get("/callbacks")
    @requires_login()
    async def callbacks(request: Request) -> HTTPResponse:
        advisor = request.ctx.advisor
        rows = await db_call(service.callbacks, db, service.scopes(advisor))
        return render("callbacks.html", advisor=advisor, csrf=request.ctx.csrf, callbacks=rows,
                      labels=CALLBACK_LABELS)

    @app.post("/callbacks/<callback_id:int>/status")
    @requires_login()
    async def callback_status(request: Request, callback_id: int) -> HTTPResponse:
        status = request.form.get("status") or ""
        if status in CALLBACK_LABELS:
            await db_call(service.set_callback_status, db, callback_id, request.ctx.advisor,
                          status)
        return response.redirect("/callbacks")

    @app.post("/callbacks/<callback_id:int>/delete")
    @requires_login()
    async def callback_delete(request: Request, callback_id: int) -> HTTPResponse:
        await db_call(service.delete_callback, db, callback_id, request.ctx.advisor)
        return response.redirect("/callbacks")

    @app.get("/audit")
    @requires_login()
    async def audit_page(request: Request) -> HTTPResponse:
        advisor = request.ctx.advisor
        rows = await db_call(service.audit_log, db, service.scopes(advisor))
        return render("audit.html", advisor=advisor, csrf=request.ctx.csrf, entries=rows)

    # --- installation-wide queue ("Ohne Kommune", installation admins) --------------------

    def assignable(advisor: Advisor) -> bool:
        return getattr(advisor, "role", "") == ROLE_ADMIN

    @app.get("/ohne-kommune")
    @requires_login()
    async def unassigned_page(request: Request) -> HTTPResponse:
        advisor = request.ctx.advisor
        if not assignable(advisor):
            return render("error.html", 403, advisor=advisor,
                          message="Diese Seite ist nur für die Gesamtverwaltung.")
        tickets, rows = await db_call(service.unassigned, db)
        names = sorted(set(await db_call(municipality_names, db))
                       | set(await db_call(service.municipalities, db)))
        return render("unassigned.html", advisor=advisor, csrf=request.ctx.csrf,
                      tickets=[ticket_json(t, advisor, {}) for t in tickets], callbacks=rows,
                      municipalities=names)

    @app.post("/ohne-kommune/<kind:str>/<item_id:int>")
    @requires_login()
    async def assign(request: Request, kind: str, item_id: int) -> HTTPResponse:
        advisor = request.ctx.advisor
        municipality = (request.form.get("municipality") or "").strip()
        if kind not in ("ticket", "callback") or not assignable(advisor) or not await db_call(
                service.assign, db, advisor, kind, item_id, municipality):
            return render("error.html", 409, advisor=advisor,
                          message="Diese Anfrage ist schon einer Kommune zugeordnet oder die "
                                  "Kommune fehlt.")
        return response.redirect("/ohne-kommune")

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    # --- insight report (/insight) ----------------------------------------------------------
    # The blueprint reads the console's session cookie itself and enforces the roles
    # (advisors get its German 403 page); its pages send their own, stricter CSP (no script,
    # server-rendered SVG charts, styles from /insight/static only).
    app.blueprint(insight_blueprint(settings, console_authenticator(db), login_url="/login"))
    # office data, hours and notices (/offices); session, CSRF and templates are the console's
    app.blueprint(office_pages.create_blueprint(db, requires_login, render))
    AUDIT_LABELS.update(office_pages.AUDIT_LABELS)
    # facts due for review (/pruefung) and the Antwortkatalog (/antwortkatalog), for
    # municipality admins and admins
    app.blueprint(review_pages.create_blueprints(content_review, requires_login, render))

    @app.on_response
    async def _baseline_headers(_: Request, reply: HTTPResponse) -> None:
        # security: headers every response should have, also those not rendered by `render`
        # (static files, redirects, the insight blueprint); a page's own CSP is never replaced
        for key, value in BASELINE_HEADERS.items():
            if key not in reply.headers:
                reply.headers[key] = value

    return app


SECURITY_HEADERS = {
    "Content-Security-Policy": console_csp(),  # security/headers.py: one source
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
# every response, also /static and redirects, carries the console's CSP unless a page (the
# insight blueprint) sets its own
BASELINE_HEADERS = {key: SECURITY_HEADERS[key]
                    for key in ("Content-Security-Policy", "X-Content-Type-Options",
                                "Referrer-Policy", "X-Frame-Options")}


def main() -> None:
    from privacy.logging import install  # security: personal data redacted from the logs

    install()
    settings = get_settings()
    app = create_app(settings)
    app.run(host=settings.console_interface, port=settings.console_port, access_log=False,
            workers=1, motd=False)


if __name__ == "__main__":
    main()
