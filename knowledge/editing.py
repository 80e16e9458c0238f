"""Editing office data from the console: the same validation and import as the files, a
revision (before/after) for every change, undo, and an optimistic version check.

An edit is an import of the edited file: the municipality is exported to the file format
(knowledge.exporter), the office (and the areas of its catchment) are replaced by the form's
values, the whole document goes through knowledge.document.parse_document — the validator
`knowledge import` uses — and knowledge.importer.apply_spec writes it, in one transaction.
So a console edit can never store what a file could not, `knowledge export` reproduces it,
and re-importing that export changes nothing (the stored content hash is the export's).

Scopes: an office (office_key) or the municipality's own notices (office_key None).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from knowledge.db import open_session
from knowledge.document import Issue, ValidationFailed, parse_document
from knowledge.exporter import export_document
from knowledge.fileformats import dump_yaml, load_yaml
from knowledge.importer import apply_spec, content_hash
from knowledge.lookup import bump_revision
from knowledge.lookup import invalidate as invalidate_lookup
from knowledge.models import EditRevision, Municipality, Office

PROVENANCE_KEYS = ("source", "as_of", "example")
SOURCE_TEMPLATE = "eingegeben von {account} in der Konsole"
FORM_FILE = "Konsole"
CONTACT_KEYS = ("phone", "email", "web", "address", "accessibility", "topics", "languages")
OFFICE_EDIT_KEYS = (*CONTACT_KEYS, "hours", "exceptions", "notices", "areas")
FIELD_LABELS = {  # shown in the history and in messages
    "phone": "Telefon",
    "email": "E-Mail",
    "web": "Internetseite",
    "address": "Adresse",
    "accessibility": "Barrierefreiheit",
    "topics": "Themen",
    "languages": "Sprachen",
    "hours": "Sprechzeiten",
    "exceptions": "Ausnahmen",
    "notices": "Aktuelle Hinweise",
    "areas": "Zuständigkeitsgebiete",
    "stadtteile": "Stadtteile",
    "postal_codes": "Postleitzahlen",
    "source": "Quelle",
    "as_of": "Stand",
    "example": "Beispieldaten",
}
_INDEX = re.compile(r"\[(\d+)\]")


class NotFound(LookupError):
    """No such municipality, office or revision (for this account's municipality)."""


class EditConflict(Exception):
    """Someone else changed the data since the form was shown (message in German)."""


@dataclass(frozen=True)
class FieldError:
    field: str  # "phone", "address.postal_code", "hours.2", "areas.hoerde.postal_codes", ""
    message: str


class EditRejected(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors


@dataclass
class OfficeEdit:
    """The form's values in the file format (knowledge/README.md); lists in form row order."""

    phone: str = ""
    email: str = ""
    web: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""
    accessibility: str = ""
    topics: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    hours: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    # per catchment area shown in the form (area key): its postal codes and Stadtteile
    postal_codes: dict[str, list[str]] = field(default_factory=dict)
    stadtteile: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class RevisionView:
    id: int
    account: str
    created_at: datetime
    summary: str
    changes: list[Change]
    reverts_id: int | None
    reverted_by_id: int | None


@dataclass(frozen=True)
class EditResult:
    revision_id: int | None  # None: nothing changed
    summary: str
    new_places: list[str] = field(default_factory=list)  # need the next training (NLU)


def console_provenance(account: str, on: date) -> dict[str, Any]:
    """Entering data in the console confirms it: own source, today's date, not an example."""
    return {"source": SOURCE_TEMPLATE.format(account=account), "as_of": on.isoformat()}


# ---- reading -----------------------------------------------------------------------------


def office_document(session: Session, municipality_key: str, office_key: str) -> dict[str, Any]:
    """The office in the file format, as the form shows it."""
    document = export_document(session, municipality_key)
    return document["offices"][_office_index(document, office_key)]


def catchment_areas(document: dict[str, Any], office: dict[str, Any]) -> list[dict[str, Any]]:
    keys = set(office.get("areas", []))
    return [area for area in document["areas"] if area["key"] in keys]


def revisions(
    session: Session, municipality_id: int, office_key: str | None, limit: int = 50
) -> list[RevisionView]:
    scope = (
        EditRevision.office_key.is_(None)
        if office_key is None
        else EditRevision.office_key == office_key
    )
    rows = session.execute(
        select(EditRevision)
        .where(EditRevision.municipality_id == municipality_id, scope)
        .order_by(EditRevision.id.desc())
        .limit(limit)
    ).scalars()
    return [
        RevisionView(
            row.id,
            row.account,
            row.created_at,
            row.summary,
            changes(json.loads(row.before), json.loads(row.after)),
            row.reverts_id,
            row.reverted_by_id,
        )
        for row in rows
    ]


def _show(value: Any) -> str:
    if value in (None, "", [], {}):
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, list):
        return "; ".join(_show(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(_show(item) for item in value.values() if item not in (None, ""))
    return str(value)


def _diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Changed keys, in the order of FIELD_LABELS (the form's order)."""
    order = list(FIELD_LABELS)
    keys = [key for key in dict.fromkeys([*before, *after]) if before.get(key) != after.get(key)]
    return sorted(keys, key=lambda key: order.index(key) if key in order else len(order))


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """What an edit changed, field by field, with the values before and after (as text)."""
    out = []
    for key in _diff(before.get("office", {}), after.get("office", {})):
        out.append(
            Change(
                FIELD_LABELS.get(key, key),
                _show(before["office"].get(key)),
                _show(after["office"].get(key)),
            )
        )
    for area_key, area in after.get("areas", {}).items():
        old = before.get("areas", {}).get(area_key, {})
        for key in _diff(old, area):
            if key in ("stadtteile", "postal_codes"):
                value_before = _codes_or_names(old, key)
                value_after = _codes_or_names(area, key)
                if value_before != value_after:
                    label = f"{FIELD_LABELS[key]} ({area.get('name', area_key)})"
                    out.append(Change(label, value_before, value_after))
    if before.get("notices") != after.get("notices"):
        out.append(
            Change(
                FIELD_LABELS["notices"],
                _show(before.get("notices")),
                _show(after.get("notices")),
            )
        )
    return out


def _codes_or_names(area: dict[str, Any], key: str) -> str:
    value = area.get(key)
    return _show(value.get("codes") if isinstance(value, dict) else value)


def summary_of(found: list[Change]) -> str:
    labels = [change.label for change in found if change.label not in ("Quelle", "Stand")]
    return "Geändert: " + ", ".join(dict.fromkeys(labels)) if labels else "Angaben bestätigt"


# ---- writing -----------------------------------------------------------------------------


@contextmanager
def _transaction(url: str | None) -> Iterator[Session]:
    with open_session(url) as session:
        with session.begin():
            yield session
        invalidate_lookup(session)  # this process at once; others through the revision


def _lock_municipality(session: Session, municipality_key: str) -> Municipality:
    """The first statement writes, so concurrent edits of one municipality run one after the
    other (row lock in PostgreSQL, the write lock in SQLite) and each exports fresh data."""
    result = session.execute(
        update(Municipality)
        .where(Municipality.key == municipality_key)
        .values(content_hash=Municipality.content_hash)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:
        raise NotFound(municipality_key)
    return session.execute(
        select(Municipality).where(Municipality.key == municipality_key)
    ).scalar_one()


def _office_row(session: Session, municipality: Municipality, office_key: str) -> Office:
    office = session.execute(
        select(Office).where(Office.municipality_id == municipality.id, Office.key == office_key)
    ).scalar_one_or_none()
    if office is None:
        raise NotFound(office_key)
    return office


def _check_version(session: Session, office: Office, version: int) -> None:
    if office.version == version:
        return
    last = session.execute(
        select(EditRevision)
        .where(
            EditRevision.municipality_id == office.municipality_id,
            EditRevision.office_key == office.key,
        )
        .order_by(EditRevision.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    who = f" von {last.account} ({last.created_at:%d.%m.%Y %H:%M} UTC)" if last else ""
    raise EditConflict(
        f"{office.name} wurde inzwischen{who} geändert. Ihre Eingaben wurden nicht gespeichert, "
        "damit nichts überschrieben wird. Bitte laden Sie die Seite neu, prüfen Sie den "
        "aktuellen Stand und tragen Sie Ihre Änderung noch einmal ein."
    )


def _office_index(document: dict[str, Any], office_key: str) -> int:
    for index, office in enumerate(document["offices"]):
        if office["key"] == office_key:
            return index
    raise NotFound(office_key)


def _area_indexes(document: dict[str, Any]) -> dict[str, int]:
    return {area["key"]: index for index, area in enumerate(document["areas"])}


def _state(document: dict[str, Any], office_key: str | None, area_keys: list[str]) -> dict:
    if office_key is None:
        return {"notices": list(document["municipality"].get("notices", []))}
    office = document["offices"][_office_index(document, office_key)]
    indexes = _area_indexes(document)
    return {
        "office": copy.deepcopy(office),
        "areas": {
            key: copy.deepcopy(document["areas"][indexes[key]])
            for key in area_keys
            if key in indexes
        },
    }


def _put_state(document: dict[str, Any], office_key: str | None, state: dict) -> None:
    if office_key is None:
        _set_or_drop(document["municipality"], "notices", state["notices"])
        return
    document["offices"][_office_index(document, office_key)] = state["office"]
    indexes = _area_indexes(document)
    for key, area in state["areas"].items():
        document["areas"][indexes[key]] = area


def _set_or_drop(target: dict[str, Any], key: str, value: Any) -> None:
    if value in (None, "", [], {}):
        target.pop(key, None)
    else:
        target[key] = value


def _edited(state: dict, edit: OfficeEdit, provenance: dict[str, Any]) -> dict:
    after = copy.deepcopy(state)
    office = after["office"]
    for key in ("phone", "email", "web", "accessibility"):
        _set_or_drop(office, key, getattr(edit, key).strip())
    address = {
        "street": edit.street.strip(),
        "postal_code": edit.postal_code.strip(),
        "city": edit.city.strip(),
    }
    _set_or_drop(office, "address", {k: v for k, v in address.items() if v})
    for key in ("topics", "languages", "hours", "exceptions", "notices", "areas"):
        _set_or_drop(office, key, list(getattr(edit, key)))
    office.update(provenance)
    office.pop("example", None)
    for key, area in after["areas"].items():
        if key in edit.stadtteile:
            before_names = area.get("stadtteile", [])
            if edit.stadtteile[key] != before_names:
                _set_or_drop(area, "stadtteile", edit.stadtteile[key])
                area.update(provenance)
                area.pop("example", None)
        if key in edit.postal_codes:
            postal = area.get("postal_codes") or {}
            if edit.postal_codes[key] != postal.get("codes", []):
                if edit.postal_codes[key]:
                    area["postal_codes"] = {"codes": edit.postal_codes[key], **provenance}
                else:
                    area.pop("postal_codes", None)
    return after


def edit_office(
    url: str | None,
    municipality_key: str,
    office_key: str,
    version: int,
    account: str,
    edit: OfficeEdit,
    on: date,
) -> EditResult:
    """Validate and store the form of one office; EditRejected (field errors, nothing
    stored), EditConflict (stale version) or NotFound."""
    with _transaction(url) as session:
        municipality = _lock_municipality(session, municipality_key)
        office = _office_row(session, municipality, office_key)
        _check_version(session, office, version)
        document = export_document(session, municipality_key)
        area_keys = list(dict.fromkeys([*edit.postal_codes, *edit.stadtteile]))
        before = _state(document, office_key, area_keys)
        after = _edited(before, edit, console_provenance(account, on))
        return _commit(session, municipality, office, document, before, after, account)


def edit_municipality_notices(
    url: str | None, municipality_key: str, account: str, notices: list[str], seen_revision: int
) -> EditResult:
    """The municipality's own notices; `seen_revision` is the newest revision of this scope
    the form showed (0: none) — a newer one means a conflict."""
    with _transaction(url) as session:
        municipality = _lock_municipality(session, municipality_key)
        latest = revisions(session, municipality.id, None, limit=1)
        if (latest[0].id if latest else 0) != seen_revision:
            raise EditConflict(
                f"Die Hinweise der Kommune hat inzwischen {latest[0].account} geändert. Ihre "
                "Eingaben wurden nicht gespeichert. Bitte laden Sie die Seite neu."
            )
        document = export_document(session, municipality_key)
        before = _state(document, None, [])
        return _commit(session, municipality, None, document, before, {"notices": notices}, account)


def undo(
    url: str | None, municipality_key: str, revision_id: int, version: int | None, account: str
) -> EditResult:
    """Take a revision back: each field it changed gets its value from before, unless that
    field was changed again since (then EditConflict names it and nothing changes)."""
    with _transaction(url) as session:
        municipality = _lock_municipality(session, municipality_key)
        revision = session.get(EditRevision, revision_id)
        if revision is None or revision.municipality_id != municipality.id:
            raise NotFound(str(revision_id))
        if revision.reverted_by_id is not None:
            raise EditConflict(
                "Diese Änderung wurde schon zurückgenommen "
                f"(Änderung Nr. {revision.reverted_by_id})."
            )
        office = None
        if revision.office_key is not None:
            office = _office_row(session, municipality, revision.office_key)
            if version is not None:
                _check_version(session, office, version)
        before, after = json.loads(revision.before), json.loads(revision.after)
        document = export_document(session, municipality_key)
        current = _state(document, revision.office_key, list(after.get("areas", {})))
        restored = _restore(current, before, after)
        result = _commit(
            session, municipality, office, document, current, restored, account, revision.id
        )
        revision.reverted_by_id = result.revision_id
        return result


def _restore(current: dict, before: dict, after: dict) -> dict:
    restored = copy.deepcopy(current)
    stale: list[str] = []
    sections: list[tuple[dict, dict, dict, str]] = []
    if "office" in after:
        sections.append((restored["office"], before["office"], after["office"], ""))
        for key, area in after["areas"].items():
            sections.append(
                (restored["areas"][key], before["areas"][key], area, f" ({area.get('name', key)})")
            )
    else:
        sections.append((restored, before, after, ""))
    for target, old, new, suffix in sections:
        changed = [key for key in _diff(old, new) if key not in PROVENANCE_KEYS]
        for key in changed:
            if target.get(key) != new.get(key):
                stale.append(FIELD_LABELS.get(key, key) + suffix)
            else:
                _set_or_drop(target, key, copy.deepcopy(old.get(key)))
        if all(target.get(key) == new.get(key) for key in PROVENANCE_KEYS):
            for key in PROVENANCE_KEYS:
                _set_or_drop(target, key, copy.deepcopy(old.get(key)))
    if stale:
        raise EditConflict(
            "Diese Änderung kann nicht mehr zurückgenommen werden, weil danach noch einmal "
            f"geändert wurde: {', '.join(stale)}. Nehmen Sie bitte zuerst die spätere Änderung "
            "zurück."
        )
    return restored


def _commit(
    session: Session,
    municipality: Municipality,
    office: Office | None,
    document: dict[str, Any],
    before: dict,
    after: dict,
    account: str,
    reverts_id: int | None = None,
) -> EditResult:
    if before == after:
        return EditResult(None, "Keine Änderung")
    office_key = office.key if office is not None else None
    _put_state(document, office_key, after)
    apply_spec(session, _validated(document, office_key, after))
    session.expire_all()  # the importer writes child rows with Core statements
    exported = export_document(session, municipality.key)
    # the stored hash is the export's, so re-importing `knowledge export` changes nothing
    municipality.content_hash = content_hash(
        parse_document(load_yaml(dump_yaml(exported)), "export")
    )
    # the state as stored (hours grouped and ordered as the file format writes them)
    after = _state(exported, office_key, list(after.get("areas", {})))
    if before == after:
        return EditResult(None, "Keine Änderung")
    found = changes(before, after)
    if office is not None:
        office.version = (office.version or 0) + 1
    bump_revision(session)
    summary = summary_of(found)
    if reverts_id is not None:
        summary = f"Änderung Nr. {reverts_id} zurückgenommen ({summary})"
    row = EditRevision(
        municipality_id=municipality.id,
        office_key=office_key,
        account=account,
        created_at=datetime.now(timezone.utc).replace(tzinfo=None),
        summary=summary,
        before=json.dumps(before, ensure_ascii=False, sort_keys=True),
        after=json.dumps(after, ensure_ascii=False, sort_keys=True),
        reverts_id=reverts_id,
    )
    session.add(row)
    session.flush()
    return EditResult(row.id, summary, _new_places(before, after))


def _new_places(before: dict, after: dict) -> list[str]:
    names: list[str] = []
    for key, area in after.get("areas", {}).items():
        known = set(before.get("areas", {}).get(key, {}).get("stadtteile", []))
        names.extend(name for name in area.get("stadtteile", []) if name not in known)
    return names


def _validated(document: dict[str, Any], office_key: str | None, after: dict) -> Any:
    try:
        return parse_document(load_yaml(dump_yaml(document)), FORM_FILE)
    except ValidationFailed as exc:
        raise EditRejected(_field_errors(exc.issues, document, office_key, after)) from exc


def _field_errors(
    issues: list[Issue], document: dict[str, Any], office_key: str | None, after: dict
) -> list[FieldError]:
    """The validator's paths ("offices[3].hours[1]") as form fields ("hours.1")."""
    prefixes: dict[str, str] = {}
    if office_key is None:
        prefixes["municipality."] = ""
    else:
        prefixes[f"offices[{_office_index(document, office_key)}]."] = ""
        indexes = _area_indexes(document)
        for key in after.get("areas", {}):
            prefixes[f"areas[{indexes[key]}]."] = f"areas.{key}."
    errors = []
    for issue in issues:
        name = ""
        for prefix, replacement in prefixes.items():
            if issue.path.startswith(prefix):
                name = replacement + _INDEX.sub(r".\1", issue.path[len(prefix) :])
                break
        name = re.sub(r"^(areas\.[^.]+\.(?:postal_codes|stadtteile)).*$", r"\1", name)
        errors.append(FieldError(name, issue.message))
    return errors
