"""The advisor console (Sanic + Jinja2).

Run: python -m advisor   (port from QL_CONSOLE_PORT, Rasa URL/token from QL_RASA_URL/QL_RASA_TOKEN)

All state is in the database (tickets, sessions, notes, audit log) and the bot is reached only
through Rasa's HTTP API, so several console instances can run side by side.

`create_app` builds the shared dependencies once (`advisor.deps.Deps`) and mounts one
blueprint per resource; each gets the dependencies from its factory and none imports this
module. The insight report (insight/web.py) is mounted at /insight with the console's
authenticator (advisor/insight_access.py); it is open to the roles "municipality_admin" (own
municipality) and "admin" (all).
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, Sanic, response
from sanic.blueprint_group import BlueprintGroup
from sanic.request import Request
from sanic.response import HTTPResponse

from advisor import audit_log, callbacks, canned, deps, session, tickets, unassigned
from advisor import offices as office_pages
from advisor import review as review_pages
from advisor.insight_access import console_authenticator
from handoff import service
from insight.web import create_blueprint as insight_blueprint
from quartierslotse.settings import Settings, get_settings
from security.headers import console_csp

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


async def baseline_headers(_: Request, reply: HTTPResponse) -> None:
    # security: headers every response should have, also those not rendered by `render`
    # (static files, redirects, the insight blueprint); a page's own CSP is never replaced
    for key, value in BASELINE_HEADERS.items():
        if key not in reply.headers:
            reply.headers[key] = value


async def health(_: Request) -> HTTPResponse:
    return response.json({"status": "ok"})


def blueprints(console: deps.Deps) -> list[Blueprint | BlueprintGroup]:
    """Every page of the console, one blueprint per resource."""
    content_review = review_pages.Review()  # facts to review and the Antwortkatalog, cached
    return [
        session.create_blueprint(console),
        tickets.create_blueprint(console, content_review),
        canned.create_blueprint(console),
        callbacks.create_blueprint(console),
        audit_log.create_blueprint(console),
        unassigned.create_blueprint(console),
        # the report reads the console's session cookie itself and enforces the roles
        # (advisors get its German 403 page); its pages send their own, stricter CSP
        insight_blueprint(console.settings, console_authenticator(console.db),
                          login_url="/login"),
        office_pages.create_blueprint(console.db, console.requires_login, console.render),
        review_pages.create_blueprints(content_review, console.requires_login, console.render),
    ]


def create_app(settings: Settings | None = None, name: str = "quartierslotse_console") -> Sanic:
    settings = settings or get_settings()
    service.ensure_schema(settings.database_url)
    console = deps.build(settings, SECURITY_HEADERS)
    app = Sanic(name)
    app.config.KEEP_ALIVE_TIMEOUT = 30
    app.config.RESPONSE_TIMEOUT = 60
    app.static("/static", str(deps.HERE / "static"), name="static")
    app.add_route(health, "/health")

    @app.after_server_stop
    async def _close(*_: Any) -> None:
        await console.rasa.close()

    for blueprint in blueprints(console):
        app.blueprint(blueprint)
    app.on_response(baseline_headers)
    return app


def main() -> None:
    from privacy.logging import install  # security: personal data redacted from the logs

    install()
    settings = get_settings()
    app = create_app(settings)
    app.run(host=settings.console_interface, port=settings.console_port, access_log=False,
            workers=1, motd=False)


if __name__ == "__main__":
    main()
