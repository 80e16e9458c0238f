"""The audit log of the advisor's queues (/audit)."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from advisor.deps import Deps
from handoff import service


def create_blueprint(deps: Deps) -> Blueprint:
    bp = Blueprint("audit_log")

    @bp.get("/audit")
    @deps.requires_login()
    async def audit_page(request: Request) -> HTTPResponse:
        advisor = request.ctx.advisor
        rows = await deps.call(service.audit_log, deps.db, service.scopes(advisor))
        return deps.render("audit.html", advisor=advisor, csrf=request.ctx.csrf, entries=rows)

    return bp
