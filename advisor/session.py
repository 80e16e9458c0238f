"""Log-in and log-out of the console (/login, /logout): the session cookie."""

from __future__ import annotations

import ipaddress

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from advisor import auth
from advisor.deps import Deps
from advisor.labels import local_time
from handoff import service
from security.rate_limit import LoginThrottle


def secure_cookie(mode: str, request: Request) -> bool:
    """`QL_CONSOLE_SECURE_COOKIES`: on, off, or `auto` (Secure unless plain http on loopback)."""
    mode = mode.lower()
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


def logged_in(token: str, secure: bool) -> HTTPResponse:
    """The redirect to the queue that sets the session cookie."""
    reply = response.redirect("/")
    reply.cookies[auth.SESSION_COOKIE] = token
    cookie = reply.cookies[auth.SESSION_COOKIE]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = "/"
    cookie["max-age"] = int(auth.SESSION_LIFETIME.total_seconds())
    if secure:
        cookie["secure"] = True
    return reply


def create_blueprint(deps: Deps) -> Blueprint:
    bp = Blueprint("session")
    settings = deps.settings
    throttle = LoginThrottle(settings, "console-login")

    @bp.get("/login")
    async def login_form(request: Request) -> HTTPResponse:
        return deps.render("login.html", error="")

    @bp.post("/login")
    async def login(request: Request) -> HTTPResponse:
        if not deps.same_origin(request):
            return deps.render("login.html", 403, error="Sicherheitsprüfung fehlgeschlagen.")
        form = request.form or {}
        username = (form.get("username") or "").strip()
        password = form.get("password") or ""
        # security: constant-time check, lock-out per user name, throttle per IP (auth.py)
        outcome = await deps.call(auth.attempt, deps.db, username, password,
                                  ip=deps.client_ip(request), throttle=throttle,
                                  max_failures=settings.login_max_failures,
                                  lockout_seconds=settings.login_lockout_seconds)
        if not outcome.ok:
            status = 429 if outcome.locked_until or outcome.ip_blocked_seconds else 401
            return deps.render("login.html", status, username=username,
                               error=auth.refusal_message(outcome, local_time))
        return logged_in(outcome.token, secure_cookie(settings.console_secure_cookies, request))

    @bp.post("/logout")
    @deps.requires_login()
    async def logout(request: Request) -> HTTPResponse:
        await deps.call(service.set_duty, deps.db, request.ctx.advisor.id, False)
        await deps.call(auth.logout, deps.db, request.cookies.get(auth.SESSION_COOKIE, ""))
        reply = response.redirect("/login")
        del reply.cookies[auth.SESSION_COOKIE]
        return reply

    return bp
