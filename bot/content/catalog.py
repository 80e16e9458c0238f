"""The Antwortkatalog for the city's editorial and legal review:
`quartierslotse answers export --format html|md [--output FILE]`.

Every answer the assistant can give (all responses of bot/domain/, the texts the Python code
builds from bot/facts.yml), grouped by topic, with the facts each one uses (value, source,
Stand, review date) and the office data that is example or unconfirmed.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.content import build, review, texts
from bot.content import facts as facts_module
from quartierslotse.settings import PROJECT_ROOT

KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge" / "data"
NLU_DIR = PROJECT_ROOT / "data" / "nlu"
UNIT_LABELS = {"euro": "Euro", "weeks": "Wochen", "months": "Monate", "working_days": "Arbeitstage",
               "points": "Punkte", "count": "Anzahl", "hour": "Uhr", "phone": "Telefon",
               "years": "Jahre", "age": "Jahre (Alter)", "program": "Programm"}
TOPICS = {  # domain file -> topic heading, in reading order
    "pflegegrad": "Pflege", "pflegegrad_amounts": "Pflege", "vorsorge": "Vorsorge",
    "wohnen": "Wohnen", "begegnung": "Begegnung und Hilfe im Alltag",
    "alltag": "Begegnung und Hilfe im Alltag", "soziales": "Geld im Alter",
    "gesundheit": "Gesundheit", "emergency": "Notfall", "core": "Gespräch",
    "offices": "Büros und Sprechzeiten", "handoff": "Weitergabe an einen Menschen",
}
PYTHON_TEXTS = {
    "pflegetelefon_line": "Büro-Suche ohne Treffer / Ort nicht gefunden",
    "national_contact_line": "Weitergabe: keine Telefonnummer der Stadt bekannt",
    "fallback_hotline": "Technische Störung: Ansprechstelle ohne Stadt",
}


def example_questions() -> dict[str, str]:
    """Response name -> the first training example of its intent, as a readable heading."""
    import re

    found: dict[str, str] = {}
    for path in sorted(NLU_DIR.glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            intent, examples = block.get("intent"), str(block.get("examples") or "")
            first = next((line[2:].strip() for line in examples.splitlines()
                          if line.startswith("- ")), "")
            first = re.sub(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})", r"\1", first)
            if intent and first:
                found.setdefault(f"utter_{intent}", first[:1].upper() + first[1:])
    return found


@dataclass
class Answer:
    name: str
    topic: str
    variations: list[tuple[str, str]]  # (condition, text)
    source: str = ""
    as_of: str = ""
    review_by: str = ""
    facts: list[str] = field(default_factory=list)
    question: str = ""


def _condition(variation: dict[str, Any]) -> str:
    parts = [f"{c.get('name')} = {c.get('value')}" for c in variation.get("condition") or []]
    return ", ".join(parts)


def answers() -> list[Answer]:
    meta = facts_module.answers()
    questions = example_questions()
    found: list[Answer] = []
    order = list(TOPICS)
    for path in sorted((PROJECT_ROOT / "bot" / "domain").glob("*.yml"),
                       key=lambda p: (order.index(p.stem) if p.stem in order else 99, p.stem)):
        responses = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses")
        for name, variations in (responses or {}).items():
            info = meta.get(name, {})
            found.append(Answer(
                name, TOPICS.get(path.stem, path.stem),
                [(_condition(v), v.get("text", "")) for v in variations if v.get("text")],
                str(info.get("source", "")), str(info.get("as_of", "")),
                str(info.get("review_by", "")), build.used_keys(name), questions.get(name, "")))
    for name, where in PYTHON_TEXTS.items():
        keys = facts_module.fact_keys(texts.TEMPLATES[name])
        found.append(Answer(f"Text im Programm: {where}", "Texte aus dem Programm",
                            [("", texts.text(name))], facts=keys))
    return found


@dataclass
class OfficeNote:
    municipality: str
    name: str
    as_of: str
    example: bool
    source: str


def office_notes() -> list[OfficeNote]:
    """Offices whose data is example data or has no known date."""
    notes = []
    for path in sorted(KNOWLEDGE_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        town = (data.get("municipality") or {}).get("name", path.stem)
        for office in data.get("offices") or []:
            as_of = str(office.get("as_of") or "unbekannt")
            if office.get("example") or as_of.lower().startswith("unbekannt"):
                notes.append(OfficeNote(town, str(office.get("name")), as_of,
                                        bool(office.get("example")), str(office.get("source", ""))))
    return notes


def fact_values(fact: facts_module.Fact) -> list[tuple[str, str]]:
    """(field, value as shown with its unit) for every number of a fact."""
    values = []
    for name, kind in fact.units().items():
        raw = fact.data.get(name)
        unit = UNIT_LABELS.get(kind, kind)
        if isinstance(raw, dict):
            shown = " · ".join(f"PG {g}: {facts_module.number(v, kind)}"
                               for g, v in raw.items() if v is not None) + f" {unit}"
        elif isinstance(raw, list):
            shown = ", ".join(str(v) for v in raw) + f" ({unit})"
        elif raw is not None:
            shown = (f"{unit} {raw}" if kind == "phone"
                     else f"{facts_module.number(raw, kind)} {unit}")
        else:
            continue
        values.append((name, shown))
    return values


def _fact_rows(keys: list[str]) -> list[tuple[str, str, str, str, str]]:
    """(key, values, source, Stand, review date) per fact."""
    all_facts = facts_module.facts()
    rows = []
    for key in keys:
        fact = all_facts.get(key)
        if fact is None:
            continue
        values = [f"{shown} [{name}]" for name, shown in fact_values(fact)]
        rows.append((key, "; ".join(values) or "keine Zahl (nur Quelle)", fact.source,
                     facts_module.german_date(fact.as_of),
                     facts_module.german_date(fact.review_by)))
    return rows


def _grouped(items: list[Answer]) -> dict[str, list[Answer]]:
    groups: dict[str, list[Answer]] = {}
    for item in items:
        groups.setdefault(item.topic, []).append(item)
    return groups


def _status(today: date) -> tuple[list[review.Due], str]:
    due = review.check(today)
    overdue = sum(1 for d in due if d.overdue)
    return due, (f"{overdue} Angaben sind überfällig, {len(due) - overdue} müssen in den "
                 f"nächsten {review.WARN_DAYS} Tagen geprüft werden.")


def markdown(today: date) -> str:
    items = answers()
    due, status = _status(today)
    out = ["# Antwortkatalog des Quartierslotsen", "",
           f"Erstellt am {today.isoformat()} aus bot/facts.yml und bot/domain/. {status}", "",
           "Jede Antwort steht so da, wie Nutzerinnen und Nutzer sie sehen. Darunter: die "
           "Angaben (Zahlen, Fristen, Telefonnummern), die sie verwendet, mit Quelle, Stand und "
           "Datum der nächsten Prüfung.", ""]
    for topic, group in _grouped(items).items():
        out += [f"## {topic}", ""]
        for item in group:
            out += [f"### {item.name}", ""]
            if item.question:
                out += [f"Beispielfrage: „{item.question}“", ""]
            if item.source:
                out += [f"Quelle der Antwort: {item.source} · Stand: "
                        f"{facts_module.german_date(item.as_of)} · prüfen bis: "
                        f"{facts_module.german_date(item.review_by)}", ""]
            for condition, text in item.variations:
                if condition:
                    out.append(f"*Wenn {condition}:*")
                out += ["> " + line for line in text.splitlines()] + [""]
            rows = _fact_rows(item.facts)
            if rows:
                out += ["| Angabe | Wert | Quelle | Stand | prüfen bis |", "|---|---|---|---|---|"]
                out += [f"| {' | '.join(r)} |" for r in rows] + [""]
    out += ["## Büro-Daten: Beispieldaten oder ohne bestätigtes Datum", ""]
    out += ["| Stadt | Büro | Stand laut Quelle | Beispieldaten | Quelle |",
            "|---|---|---|---|---|"]
    out += [f"| {n.municipality} | {n.name} | {n.as_of} | {'ja' if n.example else 'nein'} | "
            f"{n.source} |" for n in office_notes()]
    out += ["", "## Prüfliste", ""] + [f"    {line}" for line in review.report(due, today)]
    return "\n".join(out) + "\n"


CSS = """body{font:17px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1a1a1a}h1{font-size:1.8rem}h2{border-bottom:2px solid #0b5394;padding-top:1rem}
h3{font-size:1.1rem;margin-bottom:.1rem}
.answer{border:1px solid #ccc;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}
.text{background:#f3f6fa;border-left:4px solid #0b5394;padding:.5rem .8rem;margin:.4rem 0;
white-space:pre-wrap}.cond{font-style:italic;color:#555;margin-top:.6rem}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.5rem 0}
th,td{border:1px solid #bbb;padding:.25rem .4rem;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
th{background:#e8eef5}.meta{color:#444;font-size:.92rem}.warn{background:#fff4d6}
.over{background:#fde2e1}.sign{margin-top:2rem;border-top:1px solid #999;padding-top:1rem}"""


def _table(head: list[str], rows: Sequence[tuple[str, ...]], klass: str = "") -> str:
    """A table with column headers; each cell names its column (data-label) so a narrow
    screen can show the rows one below the other."""
    e = html.escape
    body = "".join("<tr>" + "".join(f"<td data-label='{e(h)}'>{e(c)}</td>"
                                    for h, c in zip(head, row, strict=True)) + "</tr>"
                   for row in rows)
    cls = f' class="{klass}"' if klass else ""
    return (f"<table{cls}><thead><tr>"
            + "".join(f"<th scope='col'>{e(h)}</th>" for h in head)
            + "</tr></thead><tbody>" + body + "</tbody></table>")


def html_page(today: date) -> str:
    """The catalog as a stand-alone HTML file (styles inline, for printing and mailing)."""
    return ("<!doctype html><html lang='de'><head><meta charset='utf-8'>\n"
            "<title>Antwortkatalog des Quartierslotsen</title>\n"
            f"<style>{CSS}</style>\n</head><body>" + html_body(today) + "</body></html>\n")


def html_body(today: date) -> str:
    """The catalog's content without page, styles or scripts (the console shows it inside
    its own layout; its CSP allows no inline style)."""
    e = html.escape
    items = answers()
    due, status = _status(today)
    parts = ["<h1>Antwortkatalog des Quartierslotsen</h1>",
             f"<p>Erstellt am {e(today.isoformat())}. {e(status)}</p>",
             "<p>Jede Antwort steht so da, wie Nutzerinnen und Nutzer sie sehen. Darunter stehen "
             "die Angaben (Beträge, Fristen, Telefonnummern), die sie verwendet – mit Quelle, "
             "Stand und dem Datum der nächsten Prüfung. Wenn mehrere Fassungen gezeigt werden, "
             "hängt die Fassung vom Gespräch ab (zum Beispiel vom genannten Pflegegrad).</p>",
             "<nav aria-label='Inhalt des Katalogs'><ul>"]
    groups = _grouped(items)
    parts += [f"<li><a href='#t{i}'>{e(topic)}</a> ({len(group)})</li>"
              for i, (topic, group) in enumerate(groups.items())]
    parts += ["<li><a href='#buero'>Büro-Daten</a></li><li><a href='#pruefung'>Prüfliste</a>"
              "</li></ul></nav>"]
    for i, (topic, group) in enumerate(groups.items()):
        parts.append(f"<h2 id='t{i}'>{e(topic)}</h2>")
        for item in group:
            title = f"Beispielfrage: „{item.question}“" if item.question else item.name
            parts.append(f"<div class='answer'><h3>{e(title)}</h3>"
                         f"<p class='meta'>Antwort {e(item.name)}</p>")
            if item.source:
                parts.append(f"<p class='meta'>Quelle der Antwort: {e(item.source)} · Stand: "
                             f"{e(facts_module.german_date(item.as_of))} · prüfen bis: "
                             f"{e(facts_module.german_date(item.review_by))}</p>")
            for condition, text in item.variations:
                if condition:
                    parts.append(f"<p class='cond'>Fassung, wenn {e(condition)}:</p>")
                parts.append(f"<div class='text'>{e(text)}</div>")
            rows = _fact_rows(item.facts)
            if rows:
                parts.append(_table(["Angabe", "Wert", "Quelle", "Stand", "prüfen bis"], rows))
            parts.append("</div>")
    parts.append("<h2 id='buero'>Büro-Daten: Beispieldaten oder ohne bestätigtes Datum</h2>"
                 "<p>Diese Büros nennt der Assistent mit dem Hinweis, dass das Datum der Angaben "
                 "nicht bekannt ist (bei Beispieldaten: dass sie nicht bestätigt sind).</p>")
    parts.append(_table(["Stadt", "Büro", "Stand laut Quelle", "Beispieldaten", "Quelle"],
                        [(n.municipality, n.name, n.as_of, "ja" if n.example else "nein",
                          n.source) for n in office_notes()]))
    parts.append("<h2 id='pruefung'>Prüfliste</h2>")
    parts.append(_table(["Angabe", "prüfen bis", "Status", "verwendet in"],
                        [(d.key, d.review_by.isoformat() if d.review_by else "ohne Datum",
                          "überfällig" if d.overdue else "bald fällig", ", ".join(d.answers))
                         for d in due]))
    parts.append("<div class='sign'><p>Geprüft und freigegeben (Name, Stelle, Datum, "
                 "Unterschrift):</p><p>&nbsp;</p></div>")
    return "\n".join(parts) + "\n"


def export(fmt: str, today: date, output: Path | None) -> int:
    text = html_page(today) if fmt == "html" else markdown(today)
    if output is None:
        print(text, end="")
    else:
        output.write_text(text, encoding="utf-8")
        print(f"geschrieben: {output}")
    return 0
