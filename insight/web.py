"""Reporting view and review queue as a Sanic Blueprint, mounted by the advisor console at
/insight (role: municipality admin).

Authentication is the console's: by default the blueprint uses `request.ctx.advisor` /
`request.ctx.csrf` when the console has set them, otherwise it resolves the console's session
cookie itself with `advisor.auth.session_for` (same database, same cookie "ql_console").
Another authenticator can be passed: `async def authenticate(request) -> InsightUser | None`.

Who may see what (`may_view`): role "municipality_admin" sees its own municipality only;
role "admin" (operator of the whole installation) sees all municipalities. Advisors get 403.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from insight import charts, review
from insight.config import InsightConfig
from insight.disclosure import format_int
from insight.export import to_csv, to_xlsx
from insight.presentation import (
    PERIOD_LABELS,
    display,
    heatmap_values,
    peak_hours,
    response_label,
)
from insight.report import ReportFilter, local_today
from insight.service import Insight
from insight.topics import WEEKDAY_NAMES, intent_label, topic_label
from quartierslotse.settings import Settings, get_settings
from security.headers import insight_csp

HERE = Path(__file__).resolve().parent
ADMIN_ROLES = {"municipality_admin", "admin"}
KNOWN_ROLES = {"advisor", *ADMIN_ROLES}  # = handoff.models.ROLES
HEADERS = {
    "Content-Security-Policy": insight_csp(),  # security/headers.py: one source
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class InsightUser:
    name: str
    role: str  # "advisor" | "municipality_admin" | "admin"
    municipality: str  # "" for installation-wide admins
    csrf_token: str = ""


Authenticate = Callable[[Request], Awaitable["InsightUser | None"]]


def may_view(user: InsightUser | None) -> bool:
    """The role check: municipality admins (and installation admins) only."""
    return user is not None and user.role in ADMIN_ROLES


def scope(user: InsightUser) -> str | None:
    """The municipality a user is restricted to (None = all)."""
    return None if user.role == "admin" else user.municipality


def _parse_filter(request: Request, user: InsightUser, timezone: str) -> ReportFilter:
    today = local_today(timezone)
    args = request.args

    def as_date(name: str, default: date) -> date:
        try:
            return date.fromisoformat(args.get(name, "")) if args.get(name) else default
        except ValueError:
            return default

    date_to = as_date("to", today)
    date_from = as_date("from", date_to - timedelta(days=89))
    if date_from > date_to:
        date_from, date_to = date_to, date_from
    period = args.get("period", "week")
    period = period if period in PERIOD_LABELS else "week"
    municipality = scope(user)
    if municipality is None:
        municipality = args.get("municipality") or None
    return ReportFilter(date_from, date_to, municipality, period, timezone)


def create_blueprint(settings: Settings | None, authenticate: Authenticate,
                     config: InsightConfig | None = None, login_url: str = "/login",
                     url_prefix: str = "/insight") -> Blueprint:
    settings = settings or get_settings()
    config = config or InsightConfig.from_settings(settings)
    insight = Insight(config)
    zone = config.timezone
    templates = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                            autoescape=select_autoescape(["html"], default=True))
    templates.filters["num"] = display
    templates.filters["topic"] = topic_label
    templates.filters["intent"] = intent_label
    bp = Blueprint("insight", url_prefix=url_prefix)
    bp.static("/static", str(HERE / "static"), name="insight_static")

    def render(name: str, status: int = 200, **context: Any) -> HTTPResponse:
        html = templates.get_template(name).render(prefix=url_prefix, **context)
        return response.html(html, status=status, headers=HEADERS)

    async def guard(request: Request) -> InsightUser | HTTPResponse:
        user = await authenticate(request)
        if user is None:
            return response.redirect(login_url)
        if not may_view(user):
            return render("error.html", 403, user=user,
                          message="Diese Auswertung ist nur für die Kommunalverwaltung "
                                  "(Rolle „Kommune – Verwaltung“) freigegeben.")
        return user

    def csrf_ok(request: Request, user: InsightUser) -> bool:
        origin = request.headers.get("origin") or request.headers.get("referer")
        if origin and origin != "null" and urlsplit(origin).netloc != request.host:
            return False
        sent = (request.form.get("csrf_token") if request.form else "") or \
            request.headers.get("x-csrf-token", "")
        return bool(user.csrf_token) and hmac.compare_digest(sent or "", user.csrf_token)

    @bp.get("/")
    async def report_page(request: Request) -> HTTPResponse:
        user = await guard(request)
        if isinstance(user, HTTPResponse):
            return user
        flt = _parse_filter(request, user, zone)
        report, tables = await asyncio.to_thread(insight.report, flt)
        d = insight.disclosure
        by_key = {t.key: t for t in tables}
        chart_svgs = {
            "series": charts.column_chart(by_key["series"].title, by_key["series"].chart,
                                          "Gespräche"),
            "topics": charts.hbar_chart(by_key["topics"].title, by_key["topics"].chart,
                                        "Nachrichten"),
            "channels": charts.hbar_chart(by_key["channels"].title, by_key["channels"].chart,
                                          "Gespräche"),
            "municipalities": charts.hbar_chart(by_key["municipalities"].title,
                                                by_key["municipalities"].chart, "Gespräche"),
            "offices": charts.hbar_chart(by_key["offices"].title, by_key["offices"].chart,
                                         "Gespräche"),
            "handoff_reasons": charts.hbar_chart(by_key["handoff_reasons"].title,
                                                 by_key["handoff_reasons"].chart, "Übergaben"),
            "wait": charts.hbar_chart(by_key["wait"].title, by_key["wait"].chart, "Übergaben"),
            "heatmap": charts.heatmap(by_key["heatmap"].title, list(WEEKDAY_NAMES),
                                      heatmap_values(report, d)),
        }
        if "callbacks" in by_key and by_key["callbacks"].chart:
            chart_svgs["callbacks"] = charts.hbar_chart(by_key["callbacks"].title,
                                                        by_key["callbacks"].chart, "Rückrufe")
        if "ticket_wait" in by_key:
            chart_svgs["ticket_wait"] = charts.hbar_chart(
                by_key["ticket_wait"].title, by_key["ticket_wait"].chart, "Übergaben")
        query = {"from": flt.date_from.isoformat(), "to": flt.date_to.isoformat(),
                 "period": flt.period}
        if flt.municipality and scope(user) is None:
            query["municipality"] = flt.municipality
        municipalities = (await asyncio.to_thread(insight.municipalities)
                          if scope(user) is None else [])
        return render("report.html", user=user, report=report, flt=flt, tables=by_key,
                      charts=chart_svgs, periods=PERIOD_LABELS, query=urlencode(query),
                      municipalities=municipalities, scoped=scope(user) is not None,
                      min_count=d.min_count, base=d.rounding_base,
                      summary=by_key["summary"].rows, peaks=peak_hours(report, d))

    @bp.get("/export.csv", name="export_csv")
    async def export_csv(request: Request) -> HTTPResponse:
        return await export(request, "csv")

    @bp.get("/export.xlsx", name="export_xlsx")
    async def export_xlsx(request: Request) -> HTTPResponse:
        return await export(request, "xlsx")

    async def export(request: Request, fmt: str) -> HTTPResponse:
        user = await guard(request)
        if isinstance(user, HTTPResponse):
            return user
        flt = _parse_filter(request, user, zone)
        report, tables = await asyncio.to_thread(insight.report, flt)
        name = f"quartierslotse-auswertung-{flt.date_from}-{flt.date_to}.{fmt}"
        headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
        if fmt == "csv":
            return response.text(to_csv(report, tables, insight.disclosure), headers=headers,
                                 content_type="text/csv; charset=utf-8")
        data = await asyncio.to_thread(to_xlsx, report, tables, insight.disclosure)
        return response.raw(data, headers=headers, content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))

    @bp.get("/review")
    async def review_page(request: Request) -> HTTPResponse:
        user = await guard(request)
        if isinstance(user, HTTPResponse):
            return user
        await asyncio.to_thread(insight.ingest)
        status = request.args.get("status", "open")
        status = status if status in review.STATUSES else "open"
        try:
            page = max(0, int(request.args.get("page", "0")))
        except ValueError:
            page = 0
        found = await asyncio.to_thread(review.groups, insight.target, status, scope(user), 50,
                                        page * 50)
        counts = await asyncio.to_thread(review.counts, insight.target, scope(user))
        feedback = await asyncio.to_thread(review.feedback, insight.target, scope(user))
        return render("review.html", user=user, items=found, list_status=status, counts=counts,
                      feedback=feedback, answer=response_label,
                      intents=review.domain_intents(), page=page, csrf=user.csrf_token,
                      format_int=format_int, message=request.args.get("ok", ""))

    @bp.post("/review/<item_id:int>")
    async def review_action(request: Request, item_id: int) -> HTTPResponse:
        user = await guard(request)
        if isinstance(user, HTTPResponse):
            return user
        if not csrf_ok(request, user):
            return render("error.html", 403, user=user,
                          message="Sicherheitsprüfung fehlgeschlagen. "
                                  "Bitte laden Sie die Seite neu.")
        action = request.form.get("action", "")
        intent = request.form.get("intent", "")
        try:
            # the page shows each text once; an action applies to all messages with that text
            if action == "label":
                done = await asyncio.to_thread(review.label, insight.target, item_id, intent,
                                               user.name, None, scope(user), True)
            elif action == "out_of_scope":
                done = await asyncio.to_thread(review.label, insight.target, item_id,
                                               review.OUT_OF_SCOPE, user.name, None, scope(user),
                                               True)
            elif action == "discard":
                done = await asyncio.to_thread(review.discard, insight.target, item_id, user.name,
                                               scope(user), True)
            elif action == "reopen":
                done = await asyncio.to_thread(review.reopen, insight.target, item_id, scope(user),
                                               True)
            else:
                done = False
        except ValueError:
            done = False
        if not done:
            return render("error.html", 400, user=user,
                          message="Diese Nachricht gibt es nicht, oder die Auswahl ist ungültig.")
        back = request.form.get("status", "open")
        back = back if back in review.STATUSES else "open"
        return response.redirect(f"{url_prefix}/review?status={back}&ok=1")

    @bp.get("/review/export.yml")
    async def review_export(request: Request) -> HTTPResponse:
        user = await guard(request)
        if isinstance(user, HTTPResponse):
            return user
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "nlu.yml"
            await asyncio.to_thread(review.export_nlu, insight.target, out, review.NLU_DIR,
                                    scope(user))
            text = out.read_text(encoding="utf-8")
        headers = {**HEADERS,
                   "Content-Disposition": 'attachment; filename="pruefliste_nlu.yml"'}
        return response.text(text, headers=headers, content_type="text/yaml; charset=utf-8")

    return bp
