"""Validation of a municipality file into typed specs, with file:line: field messages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.fileformats import FileFormatError, LDict, LList, load_file
from knowledge.hoursyntax import (
    ExceptionEntry,
    HoursSyntaxError,
    NoticeEntry,
    WeeklySlot,
    format_slots,
    overlaps,
    parse_exception,
    parse_notice,
    parse_slot,
)
from knowledge.models import AREA_KINDS, COORD_PRECISIONS, OFFICE_TYPES
from knowledge.normalize import slug

MUNICIPALITY_FIELDS = (
    "key",
    "name",
    "state",
    "hotline",
    "coordinates",
    "source",
    "as_of",
    "example",
    "notes",
    "notices",
)
AREA_FIELDS = (
    "key",
    "name",
    "kind",
    "parent",
    "aliases",
    "stadtteile",
    "postal_codes",
    "coordinates",
    "source",
    "as_of",
    "example",
    "notes",
)
OFFICE_FIELDS = (
    "key",
    "name",
    "type",
    "traeger",
    "address",
    "coordinates",
    "phone",
    "phone_more",
    "email",
    "web",
    "accessibility",
    "languages",
    "topics",
    "areas",
    "hours",
    "hours_text",
    "hours_caveat",
    "closed_on_holidays",
    "exceptions",
    "notices",
    "source",
    "as_of",
    "example",
    "notes",
)
STATES = (
    "BW",
    "BY",
    "BE",
    "BB",
    "HB",
    "HH",
    "HE",
    "MV",
    "NI",
    "NW",
    "RP",
    "SL",
    "SN",
    "ST",
    "SH",
    "TH",
)
TOPICS = (
    "pflege",
    "vorsorge",
    "wohnen",
    "begegnung",
    "gesundheit",
    "ehrenamt",
    "freizeit",
    "nachbarschaftshilfe",
    "hilfsmittel",
    "digitales",
    "migration",
    "grundsicherung",
)
POSTAL_CODE = re.compile(r"^\d{5}$")
LOWEST_POSTAL_CODE = "01001"  # German codes run from 01001 to 99998
# digits with the usual separators ("0231 50-28390", "+49 (0)231 50 23311", "0231/5023311")
PHONE = re.compile(r"^\+?[\d\s()/\-]+$")
PHONE_DIGITS = (5, 20)
MAX_RANGE = 1000  # postal codes per range (ranges are stored code by code)
_BOOL_WORDS = {
    "true": True,
    "ja": True,
    "yes": True,
    "1": True,
    "false": False,
    "nein": False,
    "no": False,
    "0": False,
}


@dataclass(frozen=True)
class Issue:
    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path}: {self.message}"


class ValidationFailed(Exception):
    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("\n".join(str(issue) for issue in issues))
        self.issues = issues


@dataclass
class Provenance:
    source: str
    as_of: str
    example: bool = False


@dataclass
class Coordinates:
    lat: float
    lon: float
    precision: str = "city_centroid"
    source: str | None = None


@dataclass
class PostalCodes:
    ranges: list[tuple[str, str]]
    provenance: Provenance


@dataclass
class AreaSpec:
    key: str
    name: str
    kind: str
    provenance: Provenance
    parent: str | None = None
    aliases: list[str] = field(default_factory=list)
    postal_codes: PostalCodes | None = None
    coordinates: Coordinates | None = None
    notes: str | None = None


@dataclass
class OfficeSpec:
    key: str
    name: str
    type: str
    provenance: Provenance
    traeger: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    coordinates: Coordinates | None = None
    phone: str | None = None
    phone_more: str | None = None
    email: str | None = None
    web: str | None = None
    accessibility: str | None = None
    languages: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    hours: list[WeeklySlot] = field(default_factory=list)
    hours_text: str | None = None
    hours_caveat: str | None = None
    closed_on_holidays: bool = True
    exceptions: list[ExceptionEntry] = field(default_factory=list)
    notes: str | None = None
    notices: list[NoticeEntry] = field(default_factory=list)


@dataclass
class MunicipalitySpec:
    key: str
    name: str
    state: str
    provenance: Provenance
    hotline_phone: str | None = None
    hotline_hours: str | None = None
    hotline_note: str | None = None
    coordinates: Coordinates | None = None
    notes: str | None = None
    areas: list[AreaSpec] = field(default_factory=list)
    offices: list[OfficeSpec] = field(default_factory=list)
    notices: list[NoticeEntry] = field(default_factory=list)


class _Checker:
    """Collects issues while reading one raw document."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.issues: list[Issue] = []

    def error(self, line: int, path: str, message: str) -> None:
        self.issues.append(Issue(self.file, line, path, message))

    def mapping(
        self, value: Any, line: int, path: str, allowed: tuple[str, ...] | None = None
    ) -> LDict | None:
        if isinstance(value, LDict):
            for key in value:
                if allowed is not None and key not in allowed:
                    self.error(
                        value.line_of(key),
                        f"{path}.{key}",
                        f"unbekanntes Feld (erlaubt: {', '.join(allowed)})",
                    )
            return value
        self.error(line, path, "muss ein Abschnitt mit Feldern (Mapping) sein")
        return None

    def text(
        self, data: LDict, key: str, path: str, required: bool = False, max_len: int = 300
    ) -> str | None:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(data.line_of(key), f"{path}.{key}", "Pflichtfeld fehlt oder ist leer")
            return None
        if isinstance(value, (dict, list)):
            self.error(data.line_of(key), f"{path}.{key}", "muss ein einfacher Text sein")
            return None
        text = str(value).strip()
        if len(text) > max_len:
            self.error(data.line_of(key), f"{path}.{key}", f"zu lang (höchstens {max_len} Zeichen)")
        return text

    def choice(
        self, data: LDict, key: str, path: str, allowed: tuple[str, ...], default: str | None = None
    ) -> str:
        value = self.text(data, key, path, required=default is None)
        if value is None:
            return default or ""
        if value not in allowed:
            self.error(
                data.line_of(key),
                f"{path}.{key}",
                f"{value!r} ist nicht erlaubt (erlaubt: {', '.join(allowed)})",
            )
        return value

    def boolean(self, data: LDict, key: str, path: str, default: bool) -> bool:
        value = data.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if str(value).lower() in _BOOL_WORDS:
            return _BOOL_WORDS[str(value).lower()]
        self.error(
            data.line_of(key), f"{path}.{key}", f"{value!r} ist kein Ja/Nein-Wert (true/false)"
        )
        return default

    def strings(self, data: LDict, key: str, path: str) -> list[tuple[str, int]]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(data.line_of(key), f"{path}.{key}", "muss eine Liste sein")
            return []
        items = []
        for index, item in enumerate(value):
            line = value.line_of(index) if isinstance(value, LList) else data.line_of(key)
            if isinstance(item, (dict, list)) or item is None or not str(item).strip():
                self.error(line, f"{path}.{key}[{index}]", "muss ein nicht leerer Text sein")
            else:
                items.append((str(item).strip(), line))
        return items

    def provenance(self, data: LDict, path: str, inherited: Provenance | None = None) -> Provenance:
        required = inherited is None
        source = self.text(data, "source", path, required=required, max_len=2000)
        as_of = self.text(data, "as_of", path, required=required, max_len=200)
        base = inherited or Provenance("", "")
        return Provenance(
            source or base.source,
            as_of or base.as_of,
            self.boolean(data, "example", path, base.example),
        )

    def coordinates(self, data: LDict, path: str) -> Coordinates | None:
        raw = data.get("coordinates")
        if raw is None:
            return None
        coords = self.mapping(
            raw,
            data.line_of("coordinates"),
            f"{path}.coordinates",
            ("lat", "lon", "precision", "source"),
        )
        if coords is None:
            return None
        values = []
        for key, low, high in (("lat", 47.0, 55.2), ("lon", 5.8, 15.1)):
            try:
                number = float(coords.get(key))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                self.error(coords.line_of(key), f"{path}.coordinates.{key}", "muss eine Zahl sein")
                return None
            if not low <= number <= high:
                self.error(
                    coords.line_of(key),
                    f"{path}.coordinates.{key}",
                    f"{number} liegt nicht in Deutschland ({low} bis {high})",
                )
            values.append(number)
        precision = self.choice(
            coords, "precision", f"{path}.coordinates", COORD_PRECISIONS, default="city_centroid"
        )
        return Coordinates(
            values[0],
            values[1],
            precision,
            self.text(coords, "source", f"{path}.coordinates", max_len=500),
        )

    def postal_code(self, value: str, line: int, path: str) -> str:
        if not POSTAL_CODE.match(value):
            self.error(line, path, f"Postleitzahl {value!r} muss genau fünf Ziffern haben")
        elif value < LOWEST_POSTAL_CODE:
            self.error(line, path, f"Postleitzahl {value!r} gibt es in Deutschland nicht")
        return value

    def phone(self, data: LDict, key: str, path: str) -> str | None:
        value = self.text(data, key, path, max_len=100)
        digits = sum(char.isdigit() for char in value or "")
        if value and not (PHONE.match(value) and PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]):
            self.error(
                data.line_of(key),
                f"{path}.{key}",
                f"{value!r} ist keine Telefonnummer (nur Ziffern, Leerzeichen, '-', '/', "
                "'(', ')' und ein '+' am Anfang; z. B. 0231 50-28390)",
            )
        return value

    def notices(self, data: LDict, path: str) -> list[NoticeEntry]:
        notices = []
        for index, (text, line) in enumerate(self.strings(data, "notices", path)):
            try:
                notices.append(parse_notice(text))
            except HoursSyntaxError as exc:
                self.error(line, f"{path}.notices[{index}]", str(exc))
        return notices


def _municipality(check: _Checker, raw: LDict) -> MunicipalitySpec:
    path = "municipality"
    provenance = check.provenance(raw, path)
    hotline = raw.get("hotline")
    hot = (
        check.mapping(
            hotline, raw.line_of("hotline"), f"{path}.hotline", ("phone", "hours", "note")
        )
        if hotline
        else None
    )
    return MunicipalitySpec(
        key=check.text(raw, "key", path, required=True, max_len=64) or "",
        name=check.text(raw, "name", path, required=True) or "",
        state=check.choice(raw, "state", path, STATES),
        provenance=provenance,
        hotline_phone=check.phone(hot, "phone", f"{path}.hotline") if hot else None,
        hotline_hours=check.text(hot, "hours", f"{path}.hotline") if hot else None,
        hotline_note=check.text(hot, "note", f"{path}.hotline", max_len=2000) if hot else None,
        coordinates=check.coordinates(raw, path),
        notes=check.text(raw, "notes", path, max_len=5000),
        notices=check.notices(raw, path),
    )


def _postal_codes(
    check: _Checker, raw: LDict, path: str, inherited: Provenance
) -> PostalCodes | None:
    block = raw.get("postal_codes")
    if block is None:
        return None
    data = check.mapping(
        block,
        raw.line_of("postal_codes"),
        f"{path}.postal_codes",
        ("codes", "source", "as_of", "example"),
    )
    if data is None:
        return None
    ranges = []
    for index, (item, line) in enumerate(check.strings(data, "codes", f"{path}.postal_codes")):
        bounds = [part.strip() for part in re.split(r"\s*[-–]\s*", item)]
        item_path = f"{path}.postal_codes.codes[{index}]"
        codes = [check.postal_code(bound, line, item_path) for bound in bounds]
        if len(codes) > 2 or (len(codes) == 2 and codes[1] < codes[0]):
            check.error(line, item_path, f"{item!r}: Bereich muss 'von-bis' mit von <= bis sein")
            continue
        if all(code.isdigit() for code in codes) and int(codes[-1]) - int(codes[0]) > MAX_RANGE:
            check.error(line, item_path, f"{item!r}: Bereich größer als {MAX_RANGE} Nummern")
            continue
        ranges.append((codes[0], codes[-1]))
    return PostalCodes(ranges, check.provenance(data, f"{path}.postal_codes", inherited))


def _areas(check: _Checker, raw_list: Any, line: int) -> list[AreaSpec]:
    if raw_list is None:
        return []
    if not isinstance(raw_list, list):
        check.error(line, "areas", "muss eine Liste sein")
        return []
    areas: list[AreaSpec] = []
    for index, item in enumerate(raw_list):
        path = f"areas[{index}]"
        raw = check.mapping(
            item,
            raw_list.line_of(index) if isinstance(raw_list, LList) else line,
            path,
            AREA_FIELDS,
        )
        if raw is None:
            continue
        provenance = check.provenance(raw, path)
        area = AreaSpec(
            key=check.text(raw, "key", path, required=True, max_len=80) or "",
            name=check.text(raw, "name", path, required=True) or "",
            kind=check.choice(raw, "kind", path, AREA_KINDS),
            provenance=provenance,
            parent=check.text(raw, "parent", path),
            aliases=[name for name, _ in check.strings(raw, "aliases", path)],
            postal_codes=_postal_codes(check, raw, path, provenance),
            coordinates=check.coordinates(raw, path),
            notes=check.text(raw, "notes", path, max_len=5000),
        )
        areas.append(area)
        for name, _ in check.strings(raw, "stadtteile", path):
            areas.append(
                AreaSpec(f"{area.key}/{slug(name)}", name, "stadtteil", provenance, parent=area.key)
            )
    return areas


def _office(check: _Checker, raw: LDict, path: str) -> OfficeSpec:
    address_raw = raw.get("address")
    address = (
        check.mapping(
            address_raw,
            raw.line_of("address"),
            f"{path}.address",
            ("street", "postal_code", "city"),
        )
        if address_raw
        else None
    )
    postal = check.text(address, "postal_code", f"{path}.address") if address else None
    if postal:
        check.postal_code(postal, address.line_of("postal_code"), f"{path}.address.postal_code")  # type: ignore[union-attr]
    hours = _hours(check, raw, path)
    exceptions: list[ExceptionEntry] = []
    for index, (text, line) in enumerate(check.strings(raw, "exceptions", path)):
        try:
            exceptions.append(parse_exception(text))
        except HoursSyntaxError as exc:
            check.error(line, f"{path}.exceptions[{index}]", str(exc))
    topics = []
    for index, (topic, line) in enumerate(check.strings(raw, "topics", path)):
        if topic not in TOPICS:
            check.error(
                line,
                f"{path}.topics[{index}]",
                f"Thema {topic!r} unbekannt (erlaubt: {', '.join(TOPICS)})",
            )
        topics.append(topic)
    email = check.text(raw, "email", path)
    if email and not re.match(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", email):
        check.error(raw.line_of("email"), f"{path}.email", f"{email!r} ist keine E-Mail-Adresse")
    return OfficeSpec(
        key=check.text(raw, "key", path, required=True, max_len=80) or "",
        name=check.text(raw, "name", path, required=True) or "",
        type=check.choice(raw, "type", path, OFFICE_TYPES),
        provenance=check.provenance(raw, path),
        traeger=check.text(raw, "traeger", path, max_len=1000),
        street=check.text(address, "street", f"{path}.address") if address else None,
        postal_code=postal,
        city=check.text(address, "city", f"{path}.address") if address else None,
        coordinates=check.coordinates(raw, path),
        phone=check.phone(raw, "phone", path),
        phone_more=check.text(raw, "phone_more", path, max_len=1000),
        email=email,
        web=check.text(raw, "web", path),
        accessibility=check.text(raw, "accessibility", path, max_len=2000),
        languages=[name for name, _ in check.strings(raw, "languages", path)],
        topics=topics,
        areas=[name for name, _ in check.strings(raw, "areas", path)],
        hours=hours,
        hours_text=check.text(raw, "hours_text", path, max_len=2000),
        hours_caveat=check.text(raw, "hours_caveat", path, max_len=1000),
        closed_on_holidays=check.boolean(raw, "closed_on_holidays", path, True),
        exceptions=exceptions,
        notes=check.text(raw, "notes", path, max_len=5000),
        notices=check.notices(raw, path),
    )


def _hours(check: _Checker, raw: LDict, path: str) -> list[WeeklySlot]:
    """The weekly slots; a slot that overlaps an earlier one of the same day and kind (in
    person or by phone) is an error at its line."""
    numbered: list[tuple[int, WeeklySlot]] = []
    lines: dict[int, tuple[str, int]] = {}
    for index, (text, line) in enumerate(check.strings(raw, "hours", path)):
        lines[index] = (text, line)
        try:
            numbered.extend((index, slot) for slot in parse_slot(text))
        except HoursSyntaxError as exc:
            check.error(line, f"{path}.hours[{index}]", str(exc))
    for index, earlier in overlaps(numbered):
        other = format_slots([slot for i, slot in numbered if i == earlier])
        check.error(
            lines[index][1],
            f"{path}.hours[{index}]",
            f"{lines[index][0]!r} überschneidet sich mit {', '.join(other)!r}",
        )
    return [slot for _, slot in numbered]


def _cross_check(check: _Checker, doc: LDict, spec: MunicipalitySpec) -> None:
    area_keys: dict[str, int] = {}
    for index, area in enumerate(spec.areas):
        if area.key in area_keys:
            check.error(doc.line, f"areas[{index}].key", f"Schlüssel {area.key!r} doppelt vergeben")
        area_keys[area.key] = index
    for index, area in enumerate(spec.areas):
        if area.parent and area.parent not in area_keys:
            check.error(doc.line, f"areas[{index}].parent", f"Gebiet {area.parent!r} gibt es nicht")
    offices = doc.get("offices") or []
    seen: set[str] = set()
    for index, office in enumerate(spec.offices):
        raw = offices[index]
        if office.key in seen:
            check.error(
                raw.line_of("key"),
                f"offices[{index}].key",
                f"Schlüssel {office.key!r} doppelt vergeben",
            )
        seen.add(office.key)
        for position, key in enumerate(office.areas):
            if key not in area_keys:
                areas_raw = raw.get("areas")
                line = areas_raw.line_of(position) if isinstance(areas_raw, LList) else raw.line
                check.error(
                    line,
                    f"offices[{index}].areas[{position}]",
                    f"Gebiet {key!r} ist in 'areas' nicht definiert",
                )


def parse_document(raw: Any, file: str) -> MunicipalitySpec:
    """Validate one raw document; raises ValidationFailed with every issue found."""
    check = _Checker(file)
    if not isinstance(raw, LDict):
        raise ValidationFailed(
            [
                Issue(
                    file,
                    1,
                    "(Datei)",
                    "Die Datei muss ein Mapping mit "
                    "'municipality', 'areas' und 'offices' enthalten",
                )
            ]
        )
    unknown = set(raw) - {"municipality", "areas", "offices"}
    for key in sorted(unknown):
        check.error(
            raw.line_of(key), key, "unbekannter Abschnitt (erlaubt: municipality, areas, offices)"
        )
    head = check.mapping(
        raw.get("municipality"), raw.line_of("municipality"), "municipality", MUNICIPALITY_FIELDS
    )
    if head is None:
        raise ValidationFailed(check.issues)
    spec = _municipality(check, head)
    spec.areas = _areas(check, raw.get("areas"), raw.line_of("areas"))
    offices = raw.get("offices") or []
    if not isinstance(offices, list):
        check.error(raw.line_of("offices"), "offices", "muss eine Liste sein")
        offices = []
    for index, item in enumerate(offices):
        line = offices.line_of(index) if isinstance(offices, LList) else raw.line
        data = check.mapping(item, line, f"offices[{index}]", OFFICE_FIELDS)
        if data is not None:
            spec.offices.append(_office(check, data, f"offices[{index}]"))
    if len(spec.offices) == len(offices):
        _cross_check(check, raw, spec)
    if check.issues:
        raise ValidationFailed(check.issues)
    return spec


def read_document(path: Path) -> MunicipalitySpec:
    try:
        raw = load_file(path)
    except FileFormatError as exc:
        raise ValidationFailed([Issue(path.name, exc.line, "(Datei)", str(exc))]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed([Issue(path.name, 0, "(Datei)", f"nicht lesbar: {exc}")]) from exc
    return parse_document(raw, path.name)
