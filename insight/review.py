"""Review queue of messages the bot did not understand (or only with low confidence).

Texts are stored redacted (privacy.redaction) at ingest time. An annotator assigns the right
intent or marks a message as out of scope (or discards it); `export_nlu` writes the labelled
examples as Rasa NLU training data (YAML, version 3.1) for data/nlu/.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Engine

from insight import models
from privacy.redaction import redact
from quartierslotse.settings import PROJECT_ROOT

DOMAIN_DIR = PROJECT_ROOT / "bot" / "domain"
NLU_DIR = PROJECT_ROOT / "data" / "nlu"
OUT_OF_SCOPE = "out_of_scope"
STATUSES = ("open", "labelled", "out_of_scope", "discarded")
NOT_LABELS = {"nlu_fallback"}


@dataclass
class ExportResult:
    path: Path
    examples: int
    intents: int
    skipped_existing: int
    skipped_conflicts: int


def domain_intents(domain_dir: Path = DOMAIN_DIR) -> list[str]:
    """Intents declared in the domain files (what an annotator may choose from)."""
    found: list[str] = []
    for path in sorted(Path(domain_dir).glob("**/*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in content.get("intents") or []:
            name = next(iter(item)) if isinstance(item, dict) else str(item)
            if name not in found and name not in NOT_LABELS:
                found.append(name)
    if OUT_OF_SCOPE not in found:
        found.append(OUT_OF_SCOPE)
    return found


def items(engine: Engine, status: str = "open", municipality: str | None = None,
          limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    r = models.review
    query = sa.select(r).where(r.c.status == status)
    if municipality is not None:
        query = query.where(r.c.municipality == municipality)
    order = r.c.id.desc() if status != "open" else r.c.id
    query = query.order_by(order).limit(limit).offset(offset)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def groups(engine: Engine, status: str = "open", municipality: str | None = None,
           limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """Identical (redacted) texts once, most frequent first: annotators label each text once."""
    r = models.review
    query = (
        sa.select(sa.func.min(r.c.id).label("id"), r.c.text, sa.func.count().label("count"),
                  sa.func.max(r.c.day).label("day"),
                  sa.func.max(r.c.predicted_intent).label("predicted_intent"),
                  sa.func.avg(r.c.confidence).label("confidence"),
                  sa.func.max(r.c.label).label("label"),
                  sa.func.max(r.c.annotator).label("annotator"))
        .where(r.c.status == status).group_by(r.c.text)
        .order_by(sa.func.count().desc(), sa.func.min(r.c.id)).limit(limit).offset(offset)
    )
    if municipality is not None:
        query = query.where(r.c.municipality == municipality)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def feedback(engine: Engine, municipality: str | None = None,
             limit: int = 50) -> list[dict[str, Any]]:
    """The newest "nicht hilfreich" ratings (web chat and Telegram) that came with a text
    ("Was hat gefehlt?"), with the answer they are about. The text was redacted before it was
    stored (channels.ratings.store_rating); it is redacted once more here, defensively."""
    if not sa.inspect(engine).has_table("answer_ratings"):
        return []
    r = sa.table("answer_ratings", sa.column("id", sa.Integer), sa.column("topic", sa.String),
                 sa.column("response", sa.String), sa.column("municipality", sa.String),
                 sa.column("value", sa.String), sa.column("text", sa.Text),
                 sa.column("created_at", sa.DateTime))
    query = (sa.select(r.c.id, r.c.topic, r.c.response, r.c.text, r.c.created_at)
             .where(r.c.value == "nicht_hilfreich", r.c.text != "")
             .order_by(r.c.id.desc()).limit(limit))
    if municipality is not None:
        query = query.where(r.c.municipality == municipality)
    with engine.connect() as conn:
        rows = [dict(row) for row in conn.execute(query).mappings()]
    for row in rows:
        row["text"] = redact(row["text"] or "")
        row["day"] = row["created_at"].date().isoformat() if row["created_at"] else ""
    return rows


def counts(engine: Engine, municipality: str | None = None) -> dict[str, int]:
    r = models.review
    query = sa.select(r.c.status, sa.func.count()).group_by(r.c.status)
    if municipality is not None:
        query = query.where(r.c.municipality == municipality)
    with engine.connect() as conn:
        found = dict(conn.execute(query).all())
    return {status: int(found.get(status, 0)) for status in STATUSES}


def label(engine: Engine, item_id: int, intent: str, annotator: str,
          allowed: list[str] | None = None, municipality: str | None = None,
          same_text: bool = False) -> bool:
    """Assigns `intent` ("out_of_scope" marks it out of scope). False if the item is unknown;
    ValueError for an intent the domain does not have. With `same_text`, every item with the
    same text and status (in the same scope) gets the label too."""
    allowed = allowed if allowed is not None else domain_intents()
    if intent not in allowed:
        raise ValueError(f"Unbekannte Absicht (Intent): {intent!r}")
    status = "out_of_scope" if intent == OUT_OF_SCOPE else "labelled"
    return _update(engine, item_id, municipality, same_text, status=status, label=intent,
                   annotator=annotator[:128])


def discard(engine: Engine, item_id: int, annotator: str, municipality: str | None = None,
            same_text: bool = False) -> bool:
    return _update(engine, item_id, municipality, same_text, status="discarded", label="",
                   annotator=annotator[:128])


def reopen(engine: Engine, item_id: int, municipality: str | None = None,
           same_text: bool = False) -> bool:
    return _update(engine, item_id, municipality, same_text, status="open", label="",
                   annotator="")


def _update(engine: Engine, item_id: int, municipality: str | None, same_text: bool,
            **values: Any) -> bool:
    r = models.review
    with engine.begin() as conn:
        query = sa.select(r.c.text, r.c.status).where(r.c.id == item_id)
        if municipality is not None:
            query = query.where(r.c.municipality == municipality)
        found = conn.execute(query).first()
        if found is None:
            return False
        where = ([r.c.text == found.text, r.c.status == found.status] if same_text
                 else [r.c.id == item_id])
        if municipality is not None:
            where.append(r.c.municipality == municipality)
        stmt = r.update().where(*where).values(labelled_at=time.time(), **values)
        return bool(conn.execute(stmt).rowcount)


def clean_example(text: str) -> str:
    """One line of training data: redacted (again, defensively), whitespace collapsed, and no
    accidental Rasa entity syntax (`[x](y)`, `[x]{..}`)."""
    text = " ".join(redact(text).split())
    return re.sub(r"\]([({\[])", r"] \1", text)


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def existing_examples(nlu_dir: Path = NLU_DIR) -> set[str]:
    seen: set[str] = set()
    for path in sorted(Path(nlu_dir).glob("**/*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in content.get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    plain = re.sub(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})", r"\1", line[2:])
                    seen.add(_normalise(plain))
    return seen


def export_nlu(engine: Engine, out: Path, nlu_dir: Path | None = NLU_DIR,
               municipality: str | None = None) -> ExportResult:
    """Writes labelled and out-of-scope items as Rasa NLU YAML. Examples already in data/nlu
    and texts labelled with two different intents are left out."""
    r = models.review
    query = sa.select(r.c.text, r.c.label).where(r.c.status.in_(("labelled", "out_of_scope")))
    if municipality is not None:
        query = query.where(r.c.municipality == municipality)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(r.c.id)).all()
    existing = existing_examples(nlu_dir) if nlu_dir is not None else set()
    by_text: dict[str, tuple[str, set[str]]] = {}
    for text, intent in rows:
        example = clean_example(text)
        if not example or not re.search(r"[A-Za-zÄÖÜäöüß]", example):
            continue
        key = _normalise(example)
        shown, labels = by_text.setdefault(key, (example, set()))
        labels.add(intent)
    per_intent: dict[str, list[str]] = {}
    skipped_existing = skipped_conflicts = 0
    for key, (example, labels) in by_text.items():
        if len(labels) > 1:
            skipped_conflicts += 1
            continue
        if key in existing:
            skipped_existing += 1
            continue
        per_intent.setdefault(next(iter(labels)), []).append(example)
    lines = ["version: \"3.1\"",
             "# Aus der Prüfliste von Quartierslotse (insight review-export); Texte anonymisiert.",
             "nlu:"]
    for intent in sorted(per_intent):
        lines.append(f"  - intent: {intent}")
        lines.append("    examples: |")
        lines.extend(f"      - {example}" for example in per_intent[intent])
    if not per_intent:
        lines[-1] = "nlu: []"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ExportResult(out, sum(len(v) for v in per_intent.values()), len(per_intent),
                        skipped_existing, skipped_conflicts)
