"""Canned replies (Textbausteine) of the municipality: POST /canned adds one."""

from __future__ import annotations

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from advisor.deps import Deps
from handoff import service


def local_path(back: str) -> str:
    """`back` if it is a path of this console, else "/" (security: no open redirect)."""
    if back.startswith("/") and not back.startswith("//") and "\\" not in back:
        return back
    return "/"


def create_blueprint(deps: Deps) -> Blueprint:
    bp = Blueprint("canned")

    @bp.post("/canned")
    @deps.requires_login()
    async def add_canned(request: Request) -> HTTPResponse:
        title = (request.form.get("title") or "").strip()
        text = (request.form.get("text") or "").strip()
        if title and text:
            await deps.call(service.add_canned_reply, deps.db, request.ctx.advisor, title, text)
        return response.redirect(local_path(request.form.get("back") or "/"))

    return bp
