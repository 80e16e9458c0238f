"""The installation-wide queue "Ohne Kommune" (/ohne-kommune), for installation admins: one
click hands a ticket or callback to a municipality (audited for both sides)."""

from __future__ import annotations

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from advisor.deps import Deps, is_admin
from advisor.labels import ticket_json
from handoff import service
from knowledge.contacts import municipality_names

ADMINS_ONLY = "Diese Seite ist nur für die Gesamtverwaltung."
NOT_ASSIGNABLE = "Diese Anfrage ist schon einer Kommune zugeordnet oder die Kommune fehlt."
KINDS = ("ticket", "callback")


def create_blueprint(deps: Deps) -> Blueprint:
    bp = Blueprint("unassigned")

    async def all_municipalities() -> list[str]:
        """The knowledge base's municipalities and those of the accounts, sorted."""
        return sorted(set(await deps.call(municipality_names, deps.db))
                      | set(await deps.call(service.municipalities, deps.db)))

    @bp.get("/ohne-kommune")
    @deps.requires_login()
    async def unassigned_page(request: Request) -> HTTPResponse:
        advisor = request.ctx.advisor
        if not is_admin(advisor):
            return deps.error(advisor, 403, ADMINS_ONLY)
        tickets, rows = await deps.call(service.unassigned, deps.db)
        return deps.render("unassigned.html", advisor=advisor, csrf=request.ctx.csrf,
                           tickets=[ticket_json(t, advisor, {}) for t in tickets],
                           callbacks=rows, municipalities=await all_municipalities())

    @bp.post("/ohne-kommune/<kind:str>/<item_id:int>")
    @deps.requires_login()
    async def assign(request: Request, kind: str, item_id: int) -> HTTPResponse:
        advisor = request.ctx.advisor
        municipality = (request.form.get("municipality") or "").strip()
        if kind not in KINDS or not is_admin(advisor) or not await deps.call(
                service.assign, deps.db, advisor, kind, item_id, municipality):
            return deps.error(advisor, 409, NOT_ASSIGNABLE)
        return response.redirect("/ohne-kommune")

    return bp
