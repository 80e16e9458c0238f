"""Callback requests of the advisor's queues (/callbacks): list, status, delete."""

from __future__ import annotations

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from advisor.deps import Deps
from advisor.labels import CALLBACK_LABELS
from handoff import service


def create_blueprint(deps: Deps) -> Blueprint:
    bp = Blueprint("callbacks")

    @bp.get("/callbacks")
    @deps.requires_login()
    async def callbacks(request: Request) -> HTTPResponse:
        advisor = request.ctx.advisor
        rows = await deps.call(service.callbacks, deps.db, service.scopes(advisor))
        return deps.render("callbacks.html", advisor=advisor, csrf=request.ctx.csrf,
                           callbacks=rows, labels=CALLBACK_LABELS)

    @bp.post("/callbacks/<callback_id:int>/status")
    @deps.requires_login()
    async def callback_status(request: Request, callback_id: int) -> HTTPResponse:
        status = request.form.get("status") or ""
        if status in CALLBACK_LABELS:
            await deps.call(service.set_callback_status, deps.db, callback_id,
                            request.ctx.advisor, status)
        return response.redirect("/callbacks")

    @bp.post("/callbacks/<callback_id:int>/delete")
    @deps.requires_login()
    async def callback_delete(request: Request, callback_id: int) -> HTTPResponse:
        await deps.call(service.delete_callback, deps.db, callback_id, request.ctx.advisor)
        return response.redirect("/callbacks")

    return bp
