"""The queue and one conversation: the queue page and its JSON (/, /api/queue), duty status,
claiming, the transcript (long poll), replies, notes and handing back to the bot.

Claiming and handing back count only when Rasa confirmed the pause or the resume in the
tracker (`RasaAPI.set_paused`); otherwise the advisor gets a German error.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from advisor.deps import Deps
from advisor.labels import local_time, ticket_json
from advisor.rasa_api import RasaError, transcript
from advisor.review import Review
from handoff import service
from handoff.models import Advisor, Ticket

TRANSCRIPT_POLL_SECONDS = 15.0
TRANSCRIPT_POLL_INTERVAL = 0.15
NOT_FOUND = "Dieses Gespräch gibt es nicht oder nicht für Ihre Kommune."
TAKEN = "Dieses Gespräch hat schon jemand anderes übernommen."
ALREADY_CLOSED = "Dieses Gespräch ist schon abgeschlossen."
CLAIM_FAILED = ("Das Gespräch wurde nicht übernommen: Der Bot hat die Pause nicht bestätigt "
                "(er ist gerade nicht erreichbar). Der Bot antwortet der Person weiter. "
                "Bitte versuchen Sie es in einem Moment noch einmal.")
HAND_BACK_FAILED = ("Das Gespräch wurde nicht zurückgegeben: Der Bot ist gerade nicht "
                    "erreichbar. Das Gespräch bleibt bei Ihnen – bitte versuchen Sie es in "
                    "einem Moment noch einmal.")
BOT_UNREACHABLE = "Der Bot ist gerade nicht erreichbar."
CLAIM_FIRST = "Bitte übernehmen Sie das Gespräch zuerst."
EMPTY_REPLY = "Die Nachricht ist leer."
NOT_DELIVERED = ("Die Nachricht konnte nicht zugestellt werden. "
                 "Bitte versuchen Sie es noch einmal.")
CLOSING_TEXT = ("Die Beratung hat das Gespräch beendet. Sie schreiben jetzt wieder mit dem "
                "digitalen Assistenten. Wenn Sie noch eine Frage haben, schreiben Sie mir "
                "einfach.")


def joined_events(advisor: Advisor) -> list[dict[str, Any]]:
    """What the person reads when an advisor claims the conversation."""
    return [{"event": "bot", "text": f"{advisor.display_name} aus der Beratung ist jetzt "
                                     "für Sie da und liest Ihre Nachrichten.",
             "metadata": {"role": "system", "handoff": "advisor_joined"}}]


def closing_events(summary: str) -> list[dict[str, Any]]:
    """The summary slot and the note that the bot answers again."""
    return [
        {"event": "slot", "name": "handoff_summary", "value": summary[:1000]},
        {"event": "bot", "text": CLOSING_TEXT,
         "metadata": {"role": "system", "handoff": "closed"}},
        {"event": "action", "name": "action_listen"},
    ]


def reply_events(advisor: Advisor, text: str) -> list[dict[str, Any]]:
    return [{"event": "bot", "text": text[:4000],
             "metadata": {"role": "advisor", "advisor": advisor.display_name}}]


def poll_deadline(args: Any) -> tuple[float, float]:
    """(`after`, deadline): messages newer than the Rasa timestamp `after`, waited for up to
    `wait` seconds (at most TRANSCRIPT_POLL_SECONDS) unless this is the first request."""
    try:
        after = float(args.get("after", "0"))
    except ValueError:
        after = 0.0
    wait = min(float(args.get("wait", TRANSCRIPT_POLL_SECONDS) or 0), TRANSCRIPT_POLL_SECONDS)
    return after, time.monotonic() + (wait if after > 0 else 0)


def channel_of(ticket: Ticket) -> str:
    return ticket.channel or "latest"


def create_blueprint(deps: Deps, content_review: Review) -> Blueprint:
    bp = Blueprint("tickets")
    db = deps.db

    async def scoped(advisor: Advisor, ticket_id: int) -> Ticket | None:
        """The ticket if it belongs to one of the advisor's queues."""
        return await deps.call(service.get_ticket, db, ticket_id, service.scopes(advisor))

    async def messages(ticket: Ticket, after: float, deadline: float) -> list[dict[str, Any]]:
        """Messages newer than `after`, polling Rasa until there are some or time is up."""
        while True:
            items = transcript(await deps.rasa.tracker(ticket.sender_id), after)
            for item in items:
                item["time"] = local_time(datetime.utcfromtimestamp(item["ts"]))[-5:]
            if items or time.monotonic() >= deadline:
                return items
            await asyncio.sleep(TRANSCRIPT_POLL_INTERVAL)

    # --- queue ----------------------------------------------------------------------------

    @bp.get("/")
    @deps.requires_login()
    async def index(request: Request) -> HTTPResponse:
        advisor = request.ctx.advisor
        return deps.render("queue.html", advisor=advisor, csrf=request.ctx.csrf,
                           review=await content_review.notice_for(advisor))

    @bp.post("/duty")
    @deps.requires_login()
    async def duty(request: Request) -> HTTPResponse:
        on = (request.form.get("on") if request.form else "") == "1"
        await deps.call(service.set_duty, db, request.ctx.advisor.id, on)
        return response.redirect("/")

    @bp.get("/api/queue")
    @deps.requires_login(api=True)
    async def api_queue(request: Request) -> HTTPResponse:
        advisor = request.ctx.advisor
        await deps.call(service.touch, db, advisor.id)
        tickets = await deps.call(service.queue, db, service.scopes(advisor))
        names = await deps.call(service.advisor_names, db,
                                {t.claimed_by for t in tickets if t.claimed_by})
        on_duty = await deps.call(service.advisors_on_duty, db, advisor.municipality)
        return response.json({
            "tickets": [ticket_json(t, advisor, names) for t in tickets],
            "advisors_on_duty": on_duty,
            "on_duty": bool(advisor.on_duty),
        })

    @bp.post("/tickets/<ticket_id:int>/claim")
    @deps.requires_login()
    async def claim(request: Request, ticket_id: int) -> HTTPResponse:
        """Claimed only when Rasa confirmed the pause in the tracker; otherwise the ticket
        waits again and the advisor is told why."""
        advisor = request.ctx.advisor
        ticket = await scoped(advisor, ticket_id)
        if ticket is None:
            return deps.error(advisor, 404, NOT_FOUND)
        if not await deps.call(service.claim, db, ticket_id, advisor):
            if ticket.claimed_by == advisor.id:
                return response.redirect(f"/tickets/{ticket_id}")
            return deps.error(advisor, 409, TAKEN)
        try:
            await deps.rasa.set_paused(ticket.sender_id, True, joined_events(advisor),
                                       output_channel=channel_of(ticket))
        except (RasaError, OSError, asyncio.TimeoutError) as error:
            await deps.call(service.release, db, ticket_id, advisor, str(error))
            return deps.error(advisor, 502, CLAIM_FAILED)
        return response.redirect(f"/tickets/{ticket_id}")

    # --- one conversation -----------------------------------------------------------------

    @bp.get("/tickets/<ticket_id:int>")
    @deps.requires_login()
    async def ticket_page(request: Request, ticket_id: int) -> HTTPResponse:
        advisor = request.ctx.advisor
        ticket = await scoped(advisor, ticket_id)
        if ticket is None:
            return deps.error(advisor, 404, NOT_FOUND)
        names = await deps.call(service.advisor_names, db, {ticket.claimed_by} - {None})
        notes = await deps.call(service.notes, db, ticket_id)
        canned = await deps.call(service.canned_replies, db, advisor.municipality)
        return deps.render("ticket.html", advisor=advisor, csrf=request.ctx.csrf, ticket=ticket,
                           info=ticket_json(ticket, advisor, names), notes=notes, canned=canned)

    @bp.get("/api/tickets/<ticket_id:int>/transcript")
    @deps.requires_login(api=True)
    async def api_transcript(request: Request, ticket_id: int) -> HTTPResponse:
        """Long poll: messages newer than `after` (a Rasa event timestamp)."""
        advisor = request.ctx.advisor
        ticket = await scoped(advisor, ticket_id)
        if ticket is None:
            return response.json({"error": "Nicht gefunden."}, status=404)
        after, deadline = poll_deadline(request.args)
        try:
            items = await messages(ticket, after, deadline)
        except (RasaError, OSError):
            return response.json({"error": BOT_UNREACHABLE}, status=502)
        current = await scoped(advisor, ticket_id)
        return response.json({"messages": items, "status": current.status if current else ""})

    @bp.post("/api/tickets/<ticket_id:int>/reply")
    @deps.requires_login(api=True)
    async def api_reply(request: Request, ticket_id: int) -> HTTPResponse:
        advisor = request.ctx.advisor
        ticket = await scoped(advisor, ticket_id)
        if ticket is None or ticket.status != "open" or ticket.claimed_by != advisor.id:
            return response.json({"error": CLAIM_FIRST}, status=409)
        text = ((request.json or {}).get("text") or "").strip()
        if not text:
            return response.json({"error": EMPTY_REPLY}, status=400)
        try:
            await deps.rasa.append_events(ticket.sender_id, reply_events(advisor, text),
                                          output_channel=channel_of(ticket))
        except (RasaError, OSError):
            return response.json({"error": NOT_DELIVERED}, status=502)
        await deps.record(advisor, "antwort", ticket_id, f"{len(text)} Zeichen")
        return response.json({"ok": True})

    @bp.post("/tickets/<ticket_id:int>/notes")
    @deps.requires_login()
    async def add_note(request: Request, ticket_id: int) -> HTTPResponse:
        advisor = request.ctx.advisor
        ticket = await scoped(advisor, ticket_id)
        text = (request.form.get("text") or "").strip()
        if ticket is not None and text:
            await deps.call(service.add_note, db, ticket_id, advisor, text)
        return response.redirect(f"/tickets/{ticket_id}#notizen")

    @bp.post("/tickets/<ticket_id:int>/close")
    @deps.requires_login()
    async def close(request: Request, ticket_id: int) -> HTTPResponse:
        """Hand the conversation back to the bot: `keep_open=1` keeps the ticket for a
        follow-up, otherwise it is closed. Done only when Rasa confirmed the resume."""
        advisor = request.ctx.advisor
        ticket = await scoped(advisor, ticket_id)
        summary = (request.form.get("summary") or "").strip()
        keep_open = request.form.get("keep_open") == "1"
        if ticket is None or ticket.status == "closed" or (
                keep_open and ticket.status != "open"):
            return deps.error(advisor, 409, ALREADY_CLOSED)
        if ticket.status == "open":
            try:
                await deps.rasa.set_paused(ticket.sender_id, False, closing_events(summary),
                                           output_channel=channel_of(ticket))
            except (RasaError, OSError, asyncio.TimeoutError) as error:
                await deps.record(advisor, "rueckgabe_fehlgeschlagen", ticket_id,
                                  str(error)[:500])
                return deps.error(advisor, 502, HAND_BACK_FAILED)
        change = service.hand_back if keep_open else service.close
        if not await deps.call(change, db, ticket_id, advisor, summary):
            return deps.error(advisor, 409, ALREADY_CLOSED)
        return response.redirect("/")

    return bp
