"""What every console blueprint shares, built once per app by `advisor.app.create_app` and
handed to each blueprint's factory: the settings and database, the Rasa client, the templates,
the log-in check with its CSRF and Origin checks, and the audit helper.

No blueprint imports advisor.app; all it needs from the console is a `Deps`.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from advisor import auth
from advisor.labels import AUDIT_LABELS, local_time, municipality_label
from advisor.rasa_api import RasaAPI
from advisor.review import may_review
from handoff import service
from handoff.models import ROLE_ADMIN, ROLE_LABELS, Advisor, ConsoleSession
from insight.web import ADMIN_ROLES as INSIGHT_ROLES
from quartierslotse.settings import Settings
from security.channel_guard import IPNetwork, client_ip, parse_networks

HERE = Path(__file__).resolve().parent
LOG_IN_FIRST = "Bitte melden Sie sich an."
CHECK_FAILED = "Sicherheitsprüfung fehlgeschlagen. Bitte laden Sie die Seite neu."

T = TypeVar("T")
Handler = Callable[..., Coroutine[Any, Any, HTTPResponse]]


def is_admin(advisor: Advisor | None) -> bool:
    """An installation admin (all municipalities, the queue "Ohne Kommune")."""
    return getattr(advisor, "role", "") == ROLE_ADMIN


def may_view_insight(advisor: Advisor | None) -> bool:
    """Whether the console shows the link to the insight report (the blueprint checks again)."""
    return advisor is not None and getattr(advisor, "role", "") in INSIGHT_ROLES


def console_templates() -> Environment:
    templates = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                            autoescape=select_autoescape(["html"], default=True))
    templates.filters["local_time"] = local_time
    templates.filters["audit_label"] = lambda key: AUDIT_LABELS.get(key, key)
    templates.filters["role_label"] = lambda key: ROLE_LABELS.get(key, key)
    templates.filters["municipality_label"] = municipality_label
    templates.globals["may_view_insight"] = may_view_insight
    templates.globals["may_review"] = may_review
    templates.globals["is_admin"] = is_admin
    return templates


@dataclass(frozen=True)
class Deps:
    settings: Settings
    rasa: RasaAPI
    templates: Environment
    headers: Mapping[str, str]  # of every rendered page (the console's CSP among them)
    trusted_proxies: list[IPNetwork]

    @property
    def db(self) -> str:
        return self.settings.database_url

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Awaitable[T]:
        """Run a blocking (database) function on a worker thread."""
        return asyncio.to_thread(fn, *args, **kwargs)

    def render(self, template: str, status: int = 200, **context: Any) -> HTTPResponse:
        html = self.templates.get_template(template).render(**context)
        return response.html(html, status=status, headers=dict(self.headers))

    def error(self, advisor: Advisor | None, status: int, message: str) -> HTTPResponse:
        return self.render("error.html", status, advisor=advisor, message=message)

    async def record(self, advisor: Advisor, action: str, ticket_id: int | None = None,
                     detail: str = "") -> None:
        """One entry in the audit log of the advisor's municipality."""
        await self.call(service.record, self.db, advisor, action, ticket_id, detail)

    def client_ip(self, request: Request) -> str:
        return client_ip(request, self.trusted_proxies)

    def same_origin(self, request: Request) -> bool:
        origin = request.headers.get("origin") or request.headers.get("referer")
        if not origin or origin == "null":
            return origin is None
        # security: scheme and host (an http:// page must not post to the https:// console);
        # behind a trusted TLS proxy the scheme is the one it forwards
        scheme = request.scheme
        if self.trusted_proxies and self.client_ip(request) != request.ip:
            scheme = request.headers.get("x-forwarded-proto", scheme).split(",")[0].strip()
        parts = urlsplit(origin)
        return parts.scheme == scheme and parts.netloc == request.host

    def csrf_ok(self, request: Request, console_session: ConsoleSession) -> bool:
        """GET and HEAD change nothing; every other request carries the session's token
        (header or form field) and comes from this console's own origin."""
        if request.method in ("GET", "HEAD"):
            return True
        sent = request.headers.get("x-csrf-token") or (
            request.form.get("csrf_token") if request.form else "") or ""
        return self.same_origin(request) and hmac.compare_digest(sent,
                                                                 console_session.csrf_token)

    def requires_login(self, api: bool = False) -> Callable[[Handler], Handler]:
        """Pages redirect to the log-in, `api` routes answer JSON (401/403). Sets
        `request.ctx.advisor` and `request.ctx.csrf`."""
        def decorator(handler: Handler) -> Handler:
            @wraps(handler)
            async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
                token = request.cookies.get(auth.SESSION_COOKIE, "")
                found = await self.call(auth.session_for, self.db, token)
                if found is None:
                    if api:
                        return response.json({"error": LOG_IN_FIRST}, status=401)
                    return response.redirect("/login")
                console_session, advisor = found
                if not self.csrf_ok(request, console_session):
                    if api:
                        return response.json({"error": CHECK_FAILED}, status=403)
                    return self.error(advisor, 403, CHECK_FAILED)
                request.ctx.advisor = advisor
                request.ctx.csrf = console_session.csrf_token
                return await handler(request, *args, **kwargs)
            return wrapper
        return decorator


def build(settings: Settings, headers: Mapping[str, str]) -> Deps:
    return Deps(settings=settings, rasa=RasaAPI(settings.rasa_url, settings.rasa_token),
                templates=console_templates(), headers=headers,
                trusted_proxies=parse_networks(settings.trusted_proxies))
