"""Export of one municipality from the database to the YAML or CSV file format."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.fileformats import LIST_SEPARATOR, dump_csv, dump_yaml
from knowledge.hoursyntax import (
    ExceptionEntry,
    NoticeEntry,
    WeeklySlot,
    format_exception,
    format_notice,
    format_slots,
)
from knowledge.models import Area, Municipality, Notice, Office
from knowledge.normalize import slug


class UnknownMunicipality(LookupError):
    pass


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value not in (None, "", [], {})}


def _provenance(row: Any) -> dict[str, Any]:
    return _clean({"source": row.source, "as_of": row.as_of, "example": row.example or None})


def _coordinates(row: Any, precision: str | None = None, source: str | None = None) -> dict | None:
    if row.lat is None:
        return None
    return _clean({"lat": row.lat, "lon": row.lon, "precision": precision, "source": source})


def _aliases(area: Area) -> list[str]:
    return sorted(name.name for name in area.names if name.name != area.name)


def _is_plain_stadtteil(area: Area) -> bool:
    parent = area.parent
    return bool(
        parent is not None
        and area.kind == "stadtteil"
        and area.key == f"{parent.key}/{slug(area.name)}"
        and not _aliases(area)
        and not area.postal_codes
        and area.lat is None
        and not area.notes
        and _provenance(area) == _provenance(parent)
    )


def collapse_codes(codes: list[str]) -> list[str]:
    """["44263", "44264", "44265", "44287"] -> ["44263-44265", "44287"] (file order kept)."""
    runs: list[list[int]] = []
    for number in (int(code) for code in codes):
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return [f"{a:05d}" if a == b else f"{a:05d}-{b:05d}" for a, b in runs]


def _area(area: Area, children: list[Area]) -> dict[str, Any]:
    codes = area.postal_codes
    postal = None
    if codes:
        postal = {"codes": collapse_codes([c.code for c in codes]), **_provenance(codes[0])}
    return _clean(
        {
            "key": area.key,
            "name": area.name,
            "kind": area.kind,
            "parent": area.parent.key if area.parent else None,
            "aliases": _aliases(area),
            "stadtteile": [child.name for child in children],
            "postal_codes": postal,
            "coordinates": _coordinates(area),
            **_provenance(area),
            "notes": area.notes,
        }
    )


def _office(office: Office) -> dict[str, Any]:
    slots = [
        WeeklySlot(h.weekday, h.opens, h.closes, h.mode, h.appointment_only) for h in office.hours
    ]
    exceptions = [
        ExceptionEntry(e.date_from, e.date_to, e.closed, e.opens, e.closes, e.note)
        for e in office.exceptions
    ]
    return _clean(
        {
            "key": office.key,
            "name": office.name,
            "type": office.type,
            "traeger": office.traeger,
            "address": _clean(
                {"street": office.street, "postal_code": office.postal_code, "city": office.city}
            ),
            "coordinates": _coordinates(office, office.coord_precision, office.coord_source),
            "phone": office.phone,
            "phone_more": office.phone_more,
            "email": office.email,
            "web": office.web,
            "accessibility": office.accessibility,
            "languages": [
                lang.strip() for lang in (office.languages or "").split(",") if lang.strip()
            ],
            "topics": [topic.topic for topic in office.topics],
            "areas": [area.key for area in sorted(office.areas, key=lambda a: a.key)],
            "hours": format_slots(slots),
            "hours_text": office.hours_text,
            "hours_caveat": office.hours_caveat,
            "closed_on_holidays": None if office.closed_on_holidays else False,
            "exceptions": [format_exception(entry) for entry in exceptions],
            "notices": _notices(office.notices),
            **_provenance(office),
            "notes": office.notes,
        }
    )


def _notices(rows: list[Notice]) -> list[str]:
    return [format_notice(NoticeEntry(row.date_from, row.date_to, row.text)) for row in rows]


def export_office(office: Office) -> dict[str, Any]:
    """One office in the file format (as under `offices:`)."""
    return _office(office)


def municipality_notices(session: Session, municipality_id: int) -> list[str]:
    """The municipality's own notices (not an office's) in the file format."""
    rows = session.execute(
        select(Notice)
        .where(Notice.municipality_id == municipality_id, Notice.office_id.is_(None))
        .order_by(Notice.date_from, Notice.id)
    ).scalars()
    return _notices(list(rows))


def export_document(session: Session, key_or_name: str) -> dict[str, Any]:
    row = session.execute(
        select(Municipality).where(
            (Municipality.key == key_or_name) | (Municipality.name == key_or_name)
        )
    ).scalar_one_or_none()
    if row is None:
        raise UnknownMunicipality(key_or_name)
    areas = sorted(row.areas, key=lambda area: area.id)
    collapsed = {area.id for area in areas if _is_plain_stadtteil(area)}
    children: dict[int, list[Area]] = {}
    for area in areas:
        if area.id in collapsed:
            children.setdefault(area.parent_id, []).append(area)
    head = _clean(
        {
            "key": row.key,
            "name": row.name,
            "state": row.state,
            "hotline": _clean(
                {"phone": row.hotline_phone, "hours": row.hotline_hours, "note": row.hotline_note}
            ),
            "coordinates": _coordinates(row),
            **_provenance(row),
            "notes": row.notes,
            "notices": municipality_notices(session, row.id),
        }
    )
    return {
        "municipality": head,
        "areas": [
            _area(area, children.get(area.id, [])) for area in areas if area.id not in collapsed
        ],
        "offices": [_office(office) for office in sorted(row.offices, key=lambda o: o.id)],
    }


def _join(values: list[str] | None) -> str:
    return f"{LIST_SEPARATOR} ".join(values or [])


def document_to_csv_rows(document: dict[str, Any]) -> list[dict[str, str]]:
    def base(record: str, data: dict[str, Any]) -> dict[str, str]:
        coords = data.get("coordinates") or {}
        return {
            "record": record,
            "key": data.get("key", ""),
            "name": data.get("name", ""),
            "lat": str(coords.get("lat", "")),
            "lon": str(coords.get("lon", "")),
            "coord_precision": coords.get("precision", ""),
            "coord_source": coords.get("source", ""),
            "source": data.get("source", ""),
            "as_of": data.get("as_of", ""),
            "example": "true" if data.get("example") else "",
            "notes": data.get("notes", ""),
        }

    head = document["municipality"]
    hotline = head.get("hotline") or {}
    rows = [
        {
            **base("municipality", head),
            "state": head["state"],
            "hotline_phone": hotline.get("phone", ""),
            "hotline_hours": hotline.get("hours", ""),
            "hotline_note": hotline.get("note", ""),
            "notices": _join(head.get("notices")),
        }
    ]
    for area in document["areas"]:
        postal = area.get("postal_codes") or {}
        rows.append(
            {
                **base("area", area),
                "type": area["kind"],
                "parent": area.get("parent", ""),
                "aliases": _join(area.get("aliases")),
                "stadtteile": _join(area.get("stadtteile")),
                "postal_codes": _join(postal.get("codes")),
                "postal_source": postal.get("source", "")
                if postal.get("source") != area.get("source")
                else "",
                "postal_as_of": postal.get("as_of", "")
                if postal.get("as_of") != area.get("as_of")
                else "",
            }
        )
    for office in document["offices"]:
        address = office.get("address") or {}
        closed = office.get("closed_on_holidays")
        rows.append(
            {
                **base("office", office),
                "type": office["type"],
                "traeger": office.get("traeger", ""),
                "street": address.get("street", ""),
                "postal_code": address.get("postal_code", ""),
                "city": address.get("city", ""),
                "phone": office.get("phone", ""),
                "phone_more": office.get("phone_more", ""),
                "email": office.get("email", ""),
                "web": office.get("web", ""),
                "accessibility": office.get("accessibility", ""),
                "languages": _join(office.get("languages")),
                "topics": _join(office.get("topics")),
                "areas": _join(office.get("areas")),
                "hours": _join(office.get("hours")),
                "hours_text": office.get("hours_text", ""),
                "hours_caveat": office.get("hours_caveat", ""),
                "closed_on_holidays": "false" if closed is False else "",
                "exceptions": _join(office.get("exceptions")),
                "notices": _join(office.get("notices")),
            }
        )
    return rows


def export_text(session: Session, key_or_name: str, fmt: str) -> str:
    document = export_document(session, key_or_name)
    if fmt == "csv":
        return dump_csv(document_to_csv_rows(document))
    return dump_yaml(document)
