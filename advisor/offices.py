"""Console pages /offices: the municipality's offices, their contact data, consultation hours,
exceptions, current notices and catchment, with history and undo (Sanic Blueprint).

Who may do what: municipality admins edit the offices of their own municipality, admins those
of every municipality; advisors see their municipality's offices read-only (they answer the
phone and need the data, but the municipality decides what the bot tells citizens). Offices
of another municipality do not exist for an account (404, also for POST).

The form only collects values; validation, storing, revisions and undo are
knowledge.editing (the importer's validator, one implementation).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import select

from handoff import service
from handoff.models import ROLE_ADMIN, ROLE_MUNICIPALITY_ADMIN, Advisor
from knowledge import editing
from knowledge.bootstrap import ensure_database
from knowledge.db import open_session
from knowledge.document import TOPICS
from knowledge.exporter import export_document
from knowledge.hoursyntax import (
    NOTICE_MAX_CHARS,
    WEEKDAYS,
    parse_exception,
    parse_notice,
    parse_slot,
)
from knowledge.models import Municipality, Office
from knowledge.notices import local_date
from storage.engine import session_scope

EDIT_ROLES = {ROLE_MUNICIPALITY_ADMIN, ROLE_ADMIN}
WEEKDAY_LABELS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
TOPIC_LABELS = {topic: topic.capitalize() for topic in TOPICS}
TYPE_LABELS = {
    "seniorenbuero": "Seniorenbüro",
    "quartiersbuero": "Quartiersbüro",
    "begegnungsstaette": "Begegnungsstätte",
    "pflegestuetzpunkt": "Pflegestützpunkt",
    "wohnberatung": "Wohnberatung",
    "sonstiges": "Sonstiges",
}
AUDIT_LABELS = {
    "buero_geaendert": "Büro geändert",
    "hinweise_geaendert": "Hinweise der Kommune geändert",
    "aenderung_zurueckgenommen": "Änderung zurückgenommen",
}
EMPTY_ROWS = {"hours": 3, "exceptions": 2, "notices": 2}
READ_ONLY = "Nur die Verwaltung der Kommune kann Büros ändern. Sie können die Angaben ansehen."
NOT_FOUND = "Dieses Büro gibt es nicht oder nicht für Ihre Kommune."


def may_view(advisor: Advisor, municipality_name: str) -> bool:
    return advisor.role == ROLE_ADMIN or advisor.municipality == municipality_name


def may_edit(advisor: Advisor, municipality_name: str) -> bool:
    return advisor.role in EDIT_ROLES and may_view(advisor, municipality_name)


# ---- the form -------------------------------------------------------------------------------


@dataclass
class Form:
    """Rows as shown, the OfficeEdit built from them, and where each built item came from."""

    values: dict[str, Any]
    edit: editing.OfficeEdit
    rows: dict[str, list[int]] = field(default_factory=dict)  # built index -> form row
    errors: dict[str, str] = field(default_factory=dict)  # form field id -> message


def _split_list(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def form_values(document: dict[str, Any], office: dict[str, Any]) -> dict[str, Any]:
    """The stored office as form rows."""
    address = office.get("address", {})
    hours = []
    for line in office.get("hours", []):
        for slot in parse_slot(line):
            hours.append(
                {
                    "day": str(slot.weekday),
                    "from": f"{slot.opens:%H:%M}",
                    "to": f"{slot.closes:%H:%M}",
                    "mode": slot.mode,
                    "appointment": slot.appointment_only,
                }
            )
    exceptions = []
    for line in office.get("exceptions", []):
        entry = parse_exception(line)
        exceptions.append(
            {
                "from": entry.date_from.isoformat(),
                "to": entry.date_to.isoformat(),
                "kind": "closed" if entry.closed else "hours",
                "opens": f"{entry.opens:%H:%M}" if entry.opens else "",
                "closes": f"{entry.closes:%H:%M}" if entry.closes else "",
                "note": entry.note or "",
            }
        )
    notices = []
    for line in office.get("notices", []):
        notice = parse_notice(line)
        notices.append(
            {
                "from": notice.date_from.isoformat(),
                "to": notice.date_to.isoformat(),
                "text": notice.text,
            }
        )
    areas = editing.catchment_areas(document, office)
    return {
        "phone": office.get("phone", ""),
        "email": office.get("email", ""),
        "web": office.get("web", ""),
        "street": address.get("street", ""),
        "postal_code": address.get("postal_code", ""),
        "city": address.get("city", ""),
        "accessibility": office.get("accessibility", ""),
        "languages": ", ".join(office.get("languages", [])),
        "topics": list(office.get("topics", [])),
        "hours": hours,
        "exceptions": exceptions,
        "notices": notices,
        "areas": list(office.get("areas", [])),
        "catchment": {
            area["key"]: {
                "stadtteile": ", ".join(area.get("stadtteile", [])),
                "postal_codes": ", ".join((area.get("postal_codes") or {}).get("codes", [])),
            }
            for area in areas
        },
    }


def _rows(form: Any, name: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    try:
        count = min(int(form.get(f"{name}_count", "0")), 100)
    except ValueError:
        count = 0
    return [
        {key: (form.get(f"{name}-{index}-{key}") or "").strip() for key in keys}
        for index in range(count)
    ]


def parse_form(form: Any, catchment_keys: list[str]) -> Form:
    """The posted form as an OfficeEdit; incomplete rows are errors here, everything else is
    checked by knowledge.editing (the importer's validator)."""
    hours = _rows(form, "hours", ("day", "from", "to", "mode", "appointment"))
    exceptions = _rows(form, "exceptions", ("from", "to", "kind", "opens", "closes", "note"))
    notices = _rows(form, "notices", ("from", "to", "text"))
    values: dict[str, Any] = {
        key: (form.get(key) or "").strip()
        for key in ("phone", "email", "web", "street", "postal_code", "city", "accessibility",
                    "languages")
    }
    values.update(
        topics=form.getlist("topics") or [],
        areas=form.getlist("areas") or [],
        hours=[{**row, "appointment": bool(row["appointment"])} for row in hours],
        exceptions=exceptions,
        notices=notices,
        catchment={
            key: {
                "stadtteile": (form.get(f"stadtteile-{key}") or "").strip(),
                "postal_codes": (form.get(f"postal_codes-{key}") or "").strip(),
            }
            for key in catchment_keys
        },
    )
    result = Form(values, editing.OfficeEdit())
    edit = result.edit
    for key in ("phone", "email", "web", "street", "postal_code", "city", "accessibility"):
        setattr(edit, key, values[key])
    edit.languages = _split_list(values["languages"])
    edit.topics = list(values["topics"])
    edit.areas = list(values["areas"])
    edit.hours, result.rows["hours"] = _hour_lines(hours, result.errors)
    edit.exceptions, result.rows["exceptions"] = _exception_lines(exceptions, result.errors)
    edit.notices, result.rows["notices"] = _notice_lines(notices, result.errors)
    for key, item in values["catchment"].items():
        edit.stadtteile[key] = _split_list(item["stadtteile"])
        edit.postal_codes[key] = _split_list(item["postal_codes"])
    return result


def _hour_lines(rows: list[dict[str, Any]], errors: dict[str, str]) -> tuple[list[str], list[int]]:
    lines, origin = [], []
    for index, row in enumerate(rows):
        if not (row["day"] or row["from"] or row["to"]):
            continue
        if not (row["day"].isdigit() and int(row["day"]) < len(WEEKDAYS)):
            errors[f"hours-{index}"] = "Bitte wählen Sie einen Wochentag."
            continue
        if not (row["from"] and row["to"]):
            errors[f"hours-{index}"] = "Bitte geben Sie Beginn und Ende an."
            continue
        suffix = " telefonisch" if row["mode"] == "phone" else ""
        suffix += " nur mit Termin" if row["appointment"] else ""
        lines.append(f"{WEEKDAYS[int(row['day'])]} {row['from']}-{row['to']}{suffix}")
        origin.append(index)
    return lines, origin


def _exception_lines(
    rows: list[dict[str, Any]], errors: dict[str, str]
) -> tuple[list[str], list[int]]:
    lines, origin = [], []
    for index, row in enumerate(rows):
        if not any(row[key] for key in ("from", "to", "opens", "closes", "note")):
            continue
        if not row["from"]:
            errors[f"exceptions-{index}"] = "Bitte geben Sie an, ab wann die Ausnahme gilt."
            continue
        span = row["from"] + (f"..{row['to']}" if row["to"] and row["to"] != row["from"] else "")
        if row["kind"] == "hours":
            if not (row["opens"] and row["closes"]):
                errors[f"exceptions-{index}"] = "Bitte geben Sie die geänderten Zeiten an."
                continue
            body = f"{row['opens']}-{row['closes']}"
        else:
            body = "geschlossen"
        note = " ".join(row["note"].split())
        lines.append(f"{span} {body}" + (f": {note}" if note else ""))
        origin.append(index)
    return lines, origin


def _notice_lines(
    rows: list[dict[str, Any]], errors: dict[str, str]
) -> tuple[list[str], list[int]]:
    lines, origin = [], []
    for index, row in enumerate(rows):
        if not any(row.values()):
            continue
        if not (row["from"] and row["to"]):
            errors[f"notices-{index}"] = "Bitte geben Sie an, von wann bis wann der Hinweis gilt."
            continue
        if not row["text"]:
            errors[f"notices-{index}"] = "Bitte schreiben Sie den Hinweis."
            continue
        span = row["from"] + (f"..{row['to']}" if row["to"] != row["from"] else "")
        lines.append(f"{span}: {' '.join(row['text'].split())}")
        origin.append(index)
    return lines, origin


def place_errors(form: Form, errors: list[editing.FieldError]) -> None:
    """The validator's fields ("hours.1") as form field ids ("hours-3")."""
    for error in errors:
        section, _, rest = error.field.partition(".")
        if section in form.rows and rest.split(".")[0].isdigit():
            index = int(rest.split(".")[0])
            rows = form.rows[section]
            target = f"{section}-{rows[index]}" if index < len(rows) else section
        elif section == "areas" and "." in rest:
            key, _, what = rest.partition(".")  # "hoerde.postal_codes" -> "postal_codes-hoerde"
            target = f"{what}-{key}"
        elif section == "address":
            target = rest
        elif section in ("topics", "languages", "areas"):
            target = section
        else:
            target = section or "allgemein"
        form.errors.setdefault(target, error.message)


# ---- the blueprint ---------------------------------------------------------------------------


def create_blueprint(
    database_url: str,
    requires_login: Callable[..., Any],
    render: Callable[..., HTTPResponse],
) -> Blueprint:
    """`requires_login` and `render` are the console's (session, CSRF, templates, headers)."""
    ensure_database(database_url)
    bp = Blueprint("offices", url_prefix="/offices")

    def db_call(fn: Callable[..., Any], *args: Any) -> Any:
        return asyncio.to_thread(fn, *args)

    def municipalities(advisor: Advisor) -> list[tuple[str, str]]:
        with open_session(database_url) as session:
            rows = session.execute(
                select(Municipality.key, Municipality.name).order_by(Municipality.name)
            ).all()
        return [(key, name) for key, name in rows if may_view(advisor, name)]

    def office_list(advisor: Advisor) -> list[dict[str, Any]]:
        visible = municipalities(advisor)
        out = []
        with open_session(database_url) as session:
            for key, name in visible:
                municipality = session.execute(
                    select(Municipality).where(Municipality.key == key)
                ).scalar_one()
                offices = session.execute(
                    select(Office).where(Office.municipality_id == municipality.id)
                    .order_by(Office.name)
                ).scalars()
                document = export_document(session, key)
                out.append({
                    "key": key,
                    "name": name,
                    "may_edit": may_edit(advisor, name),
                    "offices": [
                        {"key": o.key, "name": o.name, "type": TYPE_LABELS.get(o.type, o.type),
                         "hours": bool(o.hours), "as_of": o.as_of, "example": o.example}
                        for o in offices
                    ],
                    "notices": [
                        {"from": n.date_from.isoformat(), "to": n.date_to.isoformat(),
                         "text": n.text} for n in (parse_notice(line) for line in
                                                   document["municipality"].get("notices", []))
                    ],
                    "revisions": editing.revisions(session, municipality.id, None, limit=20),
                })
        return out

    def office_page_data(advisor: Advisor, municipality_key: str, office_key: str) -> Any:
        with open_session(database_url) as session:
            municipality = session.execute(
                select(Municipality).where(Municipality.key == municipality_key)
            ).scalar_one_or_none()
            if municipality is None or not may_view(advisor, municipality.name):
                return None
            office = session.execute(
                select(Office).where(
                    Office.municipality_id == municipality.id, Office.key == office_key
                )
            ).scalar_one_or_none()
            if office is None:
                return None
            document = export_document(session, municipality_key)
            stored = editing.office_document(session, municipality_key, office_key)
            selected = set(stored.get("areas", []))
            return {
                "municipality": {"key": municipality.key, "name": municipality.name},
                "office": {"key": office.key, "name": office.name, "version": office.version,
                           "type": TYPE_LABELS.get(office.type, office.type),
                           "source": office.source, "as_of": office.as_of,
                           "example": office.example},
                "stored": stored,
                "values": form_values(document, stored),
                "area_choices": [
                    {"key": a["key"], "name": a["name"], "kind": a["kind"]}
                    for a in document["areas"]
                    if a["kind"] != "stadtteil" or a["key"] in selected
                ],
                "area_names": {a["key"]: a["name"] for a in document["areas"]},
                "revisions": editing.revisions(session, municipality.id, office_key),
                "may_edit": may_edit(advisor, municipality.name),
            }

    def page(
        request: Request, data: dict[str, Any], status: int = 200, **extra: Any
    ) -> HTTPResponse:
        values = extra.pop("values", None) or data["values"]
        return render(
            "offices/office.html", status, advisor=request.ctx.advisor, csrf=request.ctx.csrf,
            data=data, values=values, weekdays=WEEKDAY_LABELS, topics=TOPIC_LABELS,
            empty_rows=EMPTY_ROWS, notice_max=NOTICE_MAX_CHARS,
            saved=request.args.get("gespeichert", ""),
            new_places=request.args.get("neue_orte", ""), **{"errors": {}, **extra},
        )

    def not_found(request: Request) -> HTTPResponse:
        return render("error.html", 404, advisor=request.ctx.advisor, message=NOT_FOUND)

    def saved_url(municipality_key: str, office_key: str, result: editing.EditResult) -> str:
        query = {"gespeichert": str(result.revision_id or 0)}
        if result.new_places:
            query["neue_orte"] = ", ".join(result.new_places)
        return f"/offices/{municipality_key}/{office_key}?{urlencode(query)}"

    def audit(advisor: Advisor, municipality: str, action: str, detail: str) -> None:
        # the edited municipality's log (an installation admin may edit any municipality)
        with session_scope(database_url) as session:
            service.audit(session, advisor.username, municipality, action, detail=detail)

    @bp.get("/")
    @requires_login()
    async def offices_index(request: Request) -> HTTPResponse:
        advisor = request.ctx.advisor
        groups = await db_call(office_list, advisor)
        return render("offices/list.html", advisor=advisor, csrf=request.ctx.csrf,
                      groups=groups, empty_rows=EMPTY_ROWS["notices"],
                      notice_max=NOTICE_MAX_CHARS, errors={}, error_group="", message="")

    @bp.get("/<municipality_key>/<office_key>")
    @requires_login()
    async def office_page(request: Request, municipality_key: str, office_key: str) -> HTTPResponse:
        data = await db_call(office_page_data, request.ctx.advisor, municipality_key, office_key)
        return not_found(request) if data is None else page(request, data)

    @bp.post("/<municipality_key>/<office_key>")
    @requires_login()
    async def office_save(request: Request, municipality_key: str, office_key: str) -> HTTPResponse:
        advisor = request.ctx.advisor
        data = await db_call(office_page_data, advisor, municipality_key, office_key)
        if data is None:
            return not_found(request)
        if not data["may_edit"]:
            return render("error.html", 403, advisor=advisor, message=READ_ONLY)
        form = request.form or {}
        form_data = parse_form(form, list(data["values"]["catchment"]))
        try:
            version = int(form.get("version", ""))
        except ValueError:
            version = -1
        if form_data.errors:
            return page(request, data, 422, values=form_data.values, errors=form_data.errors)
        today = local_date(datetime.now(timezone.utc))
        try:
            result = await db_call(editing.edit_office, database_url, municipality_key,
                                   office_key, version, advisor.username, form_data.edit, today)
        except editing.EditRejected as rejected:
            place_errors(form_data, rejected.errors)
            return page(request, data, 422, values=form_data.values, errors=form_data.errors)
        except editing.EditConflict as conflict:
            return page(request, data, 409, conflict=str(conflict))
        if result.revision_id is not None:
            await db_call(audit, advisor, data["municipality"]["name"], "buero_geaendert",
                          f"{data['office']['name']}: {result.summary} "
                          f"(Änderung Nr. {result.revision_id})")
        return response.redirect(saved_url(municipality_key, office_key, result))

    @bp.post("/<municipality_key>/<office_key>/undo/<revision_id:int>")
    @requires_login()
    async def office_undo(request: Request, municipality_key: str, office_key: str,
                          revision_id: int) -> HTTPResponse:
        advisor = request.ctx.advisor
        data = await db_call(office_page_data, advisor, municipality_key, office_key)
        if data is None or revision_id not in [r.id for r in data["revisions"]]:
            return not_found(request)
        if not data["may_edit"]:
            return render("error.html", 403, advisor=advisor, message=READ_ONLY)
        try:
            result = await db_call(editing.undo, database_url, municipality_key, revision_id,
                                   data["office"]["version"], advisor.username)
        except editing.EditConflict as conflict:
            return page(request, data, 409, conflict=str(conflict))
        await db_call(audit, advisor, data["municipality"]["name"], "aenderung_zurueckgenommen",
                      f"{data['office']['name']}: {result.summary}")
        return response.redirect(saved_url(municipality_key, office_key, result))

    @bp.post("/<municipality_key>/notices")
    @requires_login()
    async def notices_save(request: Request, municipality_key: str) -> HTTPResponse:
        advisor = request.ctx.advisor
        visible = dict(await db_call(municipalities, advisor))
        if municipality_key not in visible:
            return not_found(request)
        if not may_edit(advisor, visible[municipality_key]):
            return render("error.html", 403, advisor=advisor, message=READ_ONLY)
        form = request.form or {}
        errors: dict[str, str] = {}
        lines, origin = _notice_lines(_rows(form, "notices", ("from", "to", "text")), errors)
        message = ""
        if not errors:
            try:
                seen = int(form.get("seen_revision", "0") or 0)
                result = await db_call(editing.edit_municipality_notices, database_url,
                                       municipality_key, advisor.username, lines, seen)
                if result.revision_id is not None:
                    await db_call(audit, advisor, visible[municipality_key],
                                  "hinweise_geaendert", result.summary)
                return response.redirect("/offices/")
            except editing.EditRejected as rejected:
                for error in rejected.errors:
                    index = error.field.split(".")[1] if error.field.count(".") else ""
                    row = origin[int(index)] if index.isdigit() and int(index) < len(origin) else 0
                    errors.setdefault(f"notices-{row}", error.message)
            except (editing.EditConflict, ValueError) as conflict:
                message = str(conflict)
        groups = await db_call(office_list, advisor)
        return render("offices/list.html", 409 if message else 422, advisor=advisor,
                      csrf=request.ctx.csrf, groups=groups, empty_rows=EMPTY_ROWS["notices"],
                      notice_max=NOTICE_MAX_CHARS, errors=errors, error_group=municipality_key,
                      message=message)

    return bp


__all__ = ["AUDIT_LABELS", "create_blueprint"]
