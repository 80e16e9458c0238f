"""Transactional, idempotent import of municipality files (all or nothing)."""

from __future__ import annotations

import hashlib
import time as clock
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from knowledge.db import open_session
from knowledge.document import (
    AreaSpec,
    Issue,
    MunicipalitySpec,
    OfficeSpec,
    Provenance,
    ValidationFailed,
    read_document,
)
from knowledge.hoursyntax import NoticeEntry
from knowledge.lookup import bump_revision
from knowledge.lookup import invalidate as invalidate_lookup
from knowledge.models import (
    Area,
    AreaName,
    AreaPostalCode,
    Base,
    Municipality,
    Notice,
    Office,
    OfficeException,
    OfficeTopic,
    OpeningHours,
)
from knowledge.normalize import fold

_CHUNK = 500  # ids per DELETE … IN (…), well below any backend's parameter limit


@dataclass
class ImportReport:
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    offices: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{len(self.changed)} Kommune(n) aktualisiert ({', '.join(self.changed) or '-'}), "
            f"{len(self.unchanged)} unverändert, {self.offices} Büros, {self.seconds:.2f} s"
        )


def validate_files(paths: Iterable[Path]) -> list[MunicipalitySpec]:
    """All files validated; raises ValidationFailed with the issues of every file."""
    specs, issues = [], []
    for path in paths:
        try:
            specs.append(read_document(Path(path)))
        except ValidationFailed as exc:
            issues.extend(exc.issues)
    keys: dict[str, str] = {}
    for spec, path in zip(specs, paths, strict=False):
        if spec.key in keys:
            issues.append(
                Issue(
                    Path(path).name,
                    1,
                    "municipality.key",
                    f"Kommune {spec.key!r} steht auch in {keys[spec.key]}",
                )
            )
        keys[spec.key] = Path(path).name
    if issues:
        raise ValidationFailed(issues)
    return specs


def content_hash(spec: MunicipalitySpec) -> str:
    return hashlib.sha256(repr(asdict(spec)).encode()).hexdigest()


def _provenance(record: object, provenance: Provenance) -> None:
    record.source = provenance.source  # type: ignore[attr-defined]
    record.as_of = provenance.as_of  # type: ignore[attr-defined]
    record.example = provenance.example  # type: ignore[attr-defined]


def _set_municipality(row: Municipality, spec: MunicipalitySpec) -> None:
    row.name, row.state = spec.name, spec.state
    row.hotline_phone, row.hotline_hours = spec.hotline_phone, spec.hotline_hours
    row.hotline_note, row.notes = spec.hotline_note, spec.notes
    row.lat = spec.coordinates.lat if spec.coordinates else None
    row.lon = spec.coordinates.lon if spec.coordinates else None
    _provenance(row, spec.provenance)


def _sync_areas(
    session: Session, municipality: Municipality, specs: list[AreaSpec]
) -> dict[str, Area]:
    existing = {area.key: area for area in municipality.areas}
    wanted = {spec.key for spec in specs}
    for key, area in existing.items():
        if key not in wanted:
            session.delete(area)
    rows: dict[str, Area] = {}
    for spec in specs:
        area = existing.get(spec.key)
        if area is None:
            area = Area(key=spec.key, municipality=municipality)
            session.add(area)
        area.name, area.kind, area.notes = spec.name, spec.kind, spec.notes
        area.lat = spec.coordinates.lat if spec.coordinates else None
        area.lon = spec.coordinates.lon if spec.coordinates else None
        _provenance(area, spec.provenance)
        rows[spec.key] = area
    session.flush()
    # names and postal codes are replaced wholesale: one DELETE, one multi-row INSERT
    _delete_children(session, (AreaName, AreaPostalCode), "area_id", _kept_ids(existing, wanted))
    names: list[dict[str, object]] = []
    codes: list[dict[str, object]] = []
    for spec in specs:
        area = rows[spec.key]
        area.parent = rows[spec.parent] if spec.parent else None
        spelled = {fold(name): name for name in [spec.name, *spec.aliases]}
        names.extend(
            {"area_id": area.id, "name": name, "norm": norm} for norm, name in spelled.items()
        )
        if spec.postal_codes:
            provenance = _provenance_values(spec.postal_codes.provenance)
            codes.extend(
                {"area_id": area.id, "code": code, **provenance}
                for code in expand_ranges(spec.postal_codes.ranges)
            )
    _insert(session, AreaName, names)
    _insert(session, AreaPostalCode, codes)
    return rows


def _kept_ids(existing: dict[str, Area] | dict[str, Office], wanted: set[str]) -> list[int]:
    return [row.id for key, row in existing.items() if key in wanted]


def _provenance_values(provenance: Provenance) -> dict[str, object]:
    return {
        "source": provenance.source,
        "as_of": provenance.as_of,
        "example": provenance.example,
    }


def _delete_children(
    session: Session, models: tuple[type[Base], ...], column: str, parent_ids: list[int]
) -> None:
    for start in range(0, len(parent_ids), _CHUNK):
        chunk = parent_ids[start : start + _CHUNK]
        for model in models:
            table = model.__table__  # type: ignore[attr-defined]
            session.execute(delete(table).where(table.c[column].in_(chunk)))


def _insert(session: Session, model: type[Base], rows: list[dict[str, object]]) -> None:
    if rows:
        table = model.__table__  # type: ignore[attr-defined]
        session.execute(insert(table), rows)  # executemany, no per-row flush


def expand_ranges(ranges: list[tuple[str, str]]) -> list[str]:
    """[("44263", "44265")] -> ["44263", "44264", "44265"] (order kept, duplicates dropped)."""
    codes = (f"{n:05d}" for start, end in ranges for n in range(int(start), int(end) + 1))
    return list(dict.fromkeys(codes))


def _set_office(office: Office, spec: OfficeSpec, areas: dict[str, Area]) -> None:
    for name in (
        "name",
        "type",
        "traeger",
        "street",
        "postal_code",
        "city",
        "phone",
        "phone_more",
        "email",
        "web",
        "accessibility",
        "hours_text",
        "hours_caveat",
        "closed_on_holidays",
        "notes",
    ):
        setattr(office, name, getattr(spec, name))
    office.languages = ", ".join(spec.languages) or None
    coords = spec.coordinates
    office.lat, office.lon = (coords.lat, coords.lon) if coords else (None, None)
    office.coord_precision = coords.precision if coords else None
    office.coord_source = coords.source if coords else None
    _provenance(office, spec.provenance)
    office.areas = [areas[key] for key in spec.areas]


def _office_children(
    municipality_id: int,
    office_id: int,
    spec: OfficeSpec,
    out: dict[type[Base], list[dict[str, object]]],
) -> None:
    provenance = _provenance_values(spec.provenance)
    out[OfficeTopic].extend(
        {"office_id": office_id, "topic": topic} for topic in dict.fromkeys(spec.topics)
    )
    out[OpeningHours].extend(
        {
            "office_id": office_id,
            "weekday": slot.weekday,
            "opens": slot.opens,
            "closes": slot.closes,
            "mode": slot.mode,
            "appointment_only": slot.appointment_only,
            **provenance,
        }
        for slot in dict.fromkeys(spec.hours)
    )
    out[OfficeException].extend(
        {
            "office_id": office_id,
            "date_from": entry.date_from,
            "date_to": entry.date_to,
            "closed": entry.closed,
            "opens": entry.opens,
            "closes": entry.closes,
            "note": entry.note,
            **provenance,
        }
        for entry in spec.exceptions
    )
    out[Notice].extend(_notice_rows(municipality_id, office_id, spec.notices, provenance))


def _notice_rows(
    municipality_id: int,
    office_id: int | None,
    notices: list[NoticeEntry],
    provenance: dict[str, object],
) -> list[dict[str, object]]:
    return [
        {
            "municipality_id": municipality_id,
            "office_id": office_id,
            "date_from": entry.date_from,
            "date_to": entry.date_to,
            "text": entry.text,
            **provenance,
        }
        for entry in notices
    ]


def _sync_offices(
    session: Session, municipality: Municipality, specs: list[OfficeSpec], areas: dict[str, Area]
) -> None:
    existing = {office.key: office for office in municipality.offices}
    wanted = {spec.key for spec in specs}
    for key, office in existing.items():
        if key not in wanted:
            session.delete(office)
    rows = []
    for spec in specs:
        office = existing.get(spec.key)
        if office is None:
            office = Office(key=spec.key, municipality=municipality)
            session.add(office)
        _set_office(office, spec, areas)
        rows.append((office, spec))
    session.flush()
    # topics, hours and exceptions are replaced wholesale: one DELETE, one multi-row INSERT
    children: tuple[type[Base], ...] = (OfficeTopic, OpeningHours, OfficeException, Notice)
    _delete_children(session, children, "office_id", _kept_ids(existing, wanted))
    fresh: dict[type[Base], list[dict[str, object]]] = {model: [] for model in children}
    for office, spec in rows:
        _office_children(municipality.id, office.id, spec, fresh)
    for model in children:
        _insert(session, model, fresh[model])


def _sync_municipality_notices(
    session: Session, municipality: Municipality, spec: MunicipalitySpec
) -> None:
    session.execute(
        delete(Notice).where(
            Notice.municipality_id == municipality.id, Notice.office_id.is_(None)
        )
    )
    provenance = _provenance_values(spec.provenance)
    _insert(session, Notice, _notice_rows(municipality.id, None, spec.notices, provenance))


def apply_spec(session: Session, spec: MunicipalitySpec) -> bool:
    """Bring the database in line with `spec`; False when it already was."""
    digest = content_hash(spec)
    row = session.execute(
        select(Municipality).where(Municipality.key == spec.key)
    ).scalar_one_or_none()
    if row is not None and row.content_hash == digest:
        return False
    if row is None:
        row = Municipality(key=spec.key)
        session.add(row)
    with session.no_autoflush:
        _set_municipality(row, spec)
        areas = _sync_areas(session, row, spec.areas)
        _sync_offices(session, row, spec.offices, areas)
        _sync_municipality_notices(session, row, spec)
        row.content_hash = digest
    session.flush()
    return True


def import_specs(specs: list[MunicipalitySpec], url: str | None = None) -> ImportReport:
    report = ImportReport()
    with open_session(url) as session:
        with session.begin():
            for spec in specs:
                changed = apply_spec(session, spec)
                (report.changed if changed else report.unchanged).append(spec.name)
                report.offices += len(spec.offices)
            if report.changed:
                bump_revision(session)  # other processes' look-up caches see it
        if report.changed:
            invalidate_lookup(session)  # this process's cache: at once
            _refresh_statistics(session)
    return report


def _refresh_statistics(session: Session) -> None:
    """PostgreSQL plans joins from table statistics, which autovacuum refreshes only a while
    after a bulk change; until then the office-by-area join scans the whole office table."""
    if session.get_bind().dialect.name != "postgresql":
        return
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with session.begin():
        session.execute(text(f"ANALYZE {tables}"))


def import_files(paths: Iterable[Path], url: str | None = None) -> ImportReport:
    """Validate every file, then import all in one transaction (nothing changes on error)."""
    started = clock.perf_counter()
    paths = list(paths)
    report = import_specs(validate_files(paths), url)
    report.seconds = clock.perf_counter() - started
    return report
