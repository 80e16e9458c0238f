"""Reading YAML and CSV municipality files into plain structures that remember line numbers.

Both formats become the same nested dict/list shape (see knowledge/data/*.yml), so one
validator (knowledge.document) checks both and reports file:line: field precisely.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import yaml


class LDict(dict):
    """A mapping with the line of the mapping and of each key's value."""

    line: int = 0

    def __init__(self, *args: Any, line: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = line
        self.key_lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LList(list):
    """A list with the line of each item."""

    def __init__(
        self, items: list[Any] | None = None, lines: list[int] | None = None, line: int = 0
    ) -> None:
        items = items or []
        super().__init__(items)
        self.line = line
        self.item_lines = lines or [line] * len(items)

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available (10x faster)


class _Loader(_SafeBase):  # type: ignore[misc,valid-type]
    """Safe loader that keeps postal codes, times and dates as text (no octal/sexagesimal)."""


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LDict:
    loader.flatten_mapping(node)
    result = LDict(line=node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = value_node.start_mark.line + 1
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LList:
    items = [loader.construct_object(child, deep=True) for child in node.value]
    lines = [child.start_mark.line + 1 for child in node.value]
    return LList(items, lines, node.start_mark.line + 1)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


class FileFormatError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise FileFormatError(line, f"YAML-Syntaxfehler: {exc.problem}") from exc
    except yaml.YAMLError as exc:  # libyaml reports some errors without a mark
        raise FileFormatError(0, f"YAML-Syntaxfehler: {exc}") from exc


# ---- CSV: one row per record; list fields are separated by ';' -------------------------

CSV_COLUMNS = (
    "record",
    "key",
    "name",
    "type",
    "state",
    "parent",
    "aliases",
    "stadtteile",
    "postal_codes",
    "postal_source",
    "postal_as_of",
    "traeger",
    "street",
    "postal_code",
    "city",
    "lat",
    "lon",
    "coord_precision",
    "coord_source",
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
    "hotline_phone",
    "hotline_hours",
    "hotline_note",
    "source",
    "as_of",
    "example",
    "notes",
)
LIST_SEPARATOR = ";"
_LIST_FIELDS = (
    "aliases",
    "stadtteile",
    "languages",
    "topics",
    "areas",
    "hours",
    "exceptions",
    "notices",
)
_COMMON = ("key", "name", "source", "as_of", "example", "notes")


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]


def _csv_record(row: dict[str, str], line: int) -> tuple[str, LDict]:
    def d(**values: Any) -> LDict:
        out = LDict(line=line)
        for key, value in values.items():
            if value not in (None, "", []):
                out[key] = value
                out.key_lines[key] = line
        return out

    value = {k: (row.get(k) or "").strip() for k in CSV_COLUMNS}
    lists = {k: LList(_split(value[k]), line=line) for k in _LIST_FIELDS}
    coords = d(
        lat=value["lat"],
        lon=value["lon"],
        precision=value["coord_precision"],
        source=value["coord_source"],
    )
    common = {k: value[k] for k in _COMMON}
    record = value["record"].lower()
    if record == "municipality":
        hotline = d(
            phone=value["hotline_phone"], hours=value["hotline_hours"], note=value["hotline_note"]
        )
        return record, d(
            **common,
            state=value["state"],
            hotline=hotline or None,
            coordinates=coords or None,
            notices=lists["notices"],
        )
    if record == "area":
        postal = d(
            codes=LList(_split(value["postal_codes"]), line=line),
            source=value["postal_source"],
            as_of=value["postal_as_of"],
        )
        return record, d(
            **common,
            kind=value["type"],
            parent=value["parent"],
            aliases=lists["aliases"],
            stadtteile=lists["stadtteile"],
            postal_codes=postal if "codes" in postal else None,
            coordinates=coords or None,
        )
    if record == "office":
        address = d(street=value["street"], postal_code=value["postal_code"], city=value["city"])
        return record, d(
            **common,
            type=value["type"],
            traeger=value["traeger"],
            address=address or None,
            coordinates=coords or None,
            phone=value["phone"],
            phone_more=value["phone_more"],
            email=value["email"],
            web=value["web"],
            accessibility=value["accessibility"],
            languages=lists["languages"],
            topics=lists["topics"],
            areas=lists["areas"],
            hours=lists["hours"],
            hours_text=value["hours_text"],
            hours_caveat=value["hours_caveat"],
            closed_on_holidays=value["closed_on_holidays"],
            exceptions=lists["exceptions"],
            notices=lists["notices"],
        )
    raise FileFormatError(
        line,
        f"Spalte 'record': {value['record']!r} unbekannt (erlaubt: municipality, area, office)",
    )


def load_csv(text: str) -> LDict:
    reader = csv.DictReader(io.StringIO(text))
    unknown = set(reader.fieldnames or ()) - set(CSV_COLUMNS)
    if unknown or not reader.fieldnames or "record" not in reader.fieldnames:
        raise FileFormatError(
            1,
            f"Kopfzeile: unbekannte oder fehlende Spalten {sorted(unknown)}; "
            f"erlaubt: {', '.join(CSV_COLUMNS)}",
        )
    document = LDict(line=1)
    areas, offices = LList(line=1), LList(line=1)
    for row in reader:
        line = reader.line_num
        kind, record = _csv_record(row, line)
        if kind == "municipality":
            if "municipality" in document:
                raise FileFormatError(line, "Nur eine Zeile mit record=municipality erlaubt")
            document["municipality"] = record
            document.key_lines["municipality"] = line
        else:
            target = areas if kind == "area" else offices
            target.append(record)
            target.item_lines.append(line)
    document.update(areas=areas, offices=offices)
    return document


def load_file(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        return load_csv(text)
    return load_yaml(text)


def dump_yaml(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)


def dump_csv(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
