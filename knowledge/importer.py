"""Transactional, idempotent import of municipality files (all or nothing)."""

from __future__ import annotations

import hashlib
import time as clock
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import select
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
from knowledge.models import (
    Area,
    AreaName,
    AreaPostalCode,
    Municipality,
    Office,
    OfficeException,
    OfficeTopic,
    OpeningHours,
)
from knowledge.normalize import fold


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
        area.names.clear()
        area.postal_codes.clear()
        rows[spec.key] = area
    session.flush()
    for spec in specs:
        area = rows[spec.key]
        area.parent = rows[spec.parent] if spec.parent else None
        names = {fold(name): name for name in [spec.name, *spec.aliases]}
        area.names.extend(AreaName(name=name, norm=norm) for norm, name in names.items())
        if spec.postal_codes:
            for code in expand_ranges(spec.postal_codes.ranges):
                row = AreaPostalCode(code=code)
                _provenance(row, spec.postal_codes.provenance)
                area.postal_codes.append(row)
    return rows


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


def _fill_office_children(office: Office, spec: OfficeSpec) -> None:
    office.topics.extend(OfficeTopic(topic=topic) for topic in dict.fromkeys(spec.topics))
    for slot in dict.fromkeys(spec.hours):
        hours = OpeningHours(
            weekday=slot.weekday,
            opens=slot.opens,
            closes=slot.closes,
            mode=slot.mode,
            appointment_only=slot.appointment_only,
        )
        _provenance(hours, spec.provenance)
        office.hours.append(hours)
    for entry in spec.exceptions:
        exception = OfficeException(
            date_from=entry.date_from,
            date_to=entry.date_to,
            closed=entry.closed,
            opens=entry.opens,
            closes=entry.closes,
            note=entry.note,
        )
        _provenance(exception, spec.provenance)
        office.exceptions.append(exception)


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
        office.topics.clear()
        office.hours.clear()
        office.exceptions.clear()
        rows.append((office, spec))
    session.flush()
    for office, spec in rows:
        _fill_office_children(office, spec)


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
        row.content_hash = digest
    session.flush()
    return True


def import_specs(specs: list[MunicipalitySpec], url: str | None = None) -> ImportReport:
    report = ImportReport()
    with open_session(url) as session, session.begin():
        for spec in specs:
            (report.changed if apply_spec(session, spec) else report.unchanged).append(spec.name)
            report.offices += len(spec.offices)
    return report


def import_files(paths: Iterable[Path], url: str | None = None) -> ImportReport:
    """Validate every file, then import all in one transaction (nothing changes on error)."""
    started = clock.perf_counter()
    paths = list(paths)
    report = import_specs(validate_files(paths), url)
    report.seconds = clock.perf_counter() - started
    return report
