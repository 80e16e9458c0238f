"""Incremental aggregation of Rasa's tracker store into insight's tables.

Reads the `events` table of Rasa's SQLTrackerStore (read-only) in id order, starting after
the last event id it has processed, and maintains one row per conversation, one row per user
message (without text) and the redacted review queue. Each run touches only new events, so a
scheduled `python -m insight ingest` (or the report itself) stays cheap.

Conversations: a Rasa session, i.e. it starts at `session_started` (or at a sender's first
event). Only events older than `ingest_lag_seconds` are read, so that transactions of the Rasa
server that were still open (ids allocated but not committed) are not skipped.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from insight import models
from insight.config import InsightConfig
from insight.topics import CONTENT_TOPICS, topic_for_intent
from privacy.pseudonyms import pseudonym
from privacy.redaction import redact
from storage.engine import get_engine
from storage.schema import upgrade

EVENTS = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("sender_id", sa.String),
    sa.column("type_name", sa.String),
    sa.column("timestamp", sa.Float),
    sa.column("intent_name", sa.String),
    sa.column("action_name", sa.String),
    sa.column("data", sa.Text),
)

# events per batch: bounds the memory, the CPU time and the write lock of one transaction
CHUNK_EVENTS = 2_000
# the review queue keeps at most this much of a message; longer texts are cut *before* they
# are redacted, so a 1 MB message costs no more than a 2,000-character one
REVIEW_TEXT_CHARS = 2_000

_TYPES = ("user", "bot", "action", "slot", "pause", "resume", "session_started", "restart")


@dataclass
class _Message:
    event_id: int
    conversation_id: int
    ts: float
    intent: str
    topic: str
    confidence: float | None
    fallback: bool
    text: str  # raw text, only kept in memory until it is redacted for the review queue
    flushed: bool = False


@dataclass
class _Conversation:
    row: dict[str, Any]
    new: bool
    paused: bool = False
    topics: dict[str, int] = field(default_factory=dict)
    last_message: _Message | None = None


@dataclass
class _Batch:
    """Rows computed for one chunk of events, written in one short transaction."""
    inserts: list[dict[str, Any]]
    updates: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    late_fallbacks: list[int]
    review: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class IngestStats:
    events: int = 0
    conversations: int = 0
    messages: int = 0
    review_items: int = 0
    last_event_id: int = 0
    seconds: float = 0.0
    concurrent: bool = False  # stopped because another ingest ran at the same time


class _Calendar:
    """Local calendar attributes of a timestamp, cached per UTC hour (offsets are whole hours)."""

    def __init__(self, tz: str) -> None:
        self.zone = ZoneInfo(tz)
        self.cache: dict[int, tuple[str, str, str, int, int]] = {}

    def __call__(self, ts: float) -> tuple[str, str, str, int, int]:
        key = int(ts // 3600)
        hit = self.cache.get(key)
        if hit is None:
            local = datetime.fromtimestamp(key * 3600, self.zone)
            iso = local.isocalendar()
            hit = (local.strftime("%Y-%m-%d"), f"{iso[0]}-W{iso[1]:02d}", local.strftime("%Y-%m"),
                   local.weekday(), local.hour)
            self.cache[key] = hit
        return hit


def _get_state(conn: Connection, key: str) -> str | None:
    return conn.execute(
        sa.select(models.state.c.value).where(models.state.c.key == key)
    ).scalar()


def _set_state(conn: Connection, key: str, value: str) -> None:
    updated = conn.execute(
        models.state.update().where(models.state.c.key == key).values(value=value)
    ).rowcount
    if not updated:
        conn.execute(models.state.insert().values(key=key, value=value))


def _knowledge_labels(url: str) -> tuple[dict[str, str], dict[str, str]]:
    """Municipality key/name -> name and "<municipality key>/<office key>" -> office name from
    the knowledge base (tables municipality, office), so the report shows names, not keys."""
    municipalities: dict[str, str] = {}
    offices: dict[str, str] = {}
    try:
        engine = get_engine(url)
        inspector = sa.inspect(engine)
        if not inspector.has_table("municipality"):
            return municipalities, offices
        m = sa.table("municipality", sa.column("id"), sa.column("key"), sa.column("name"))
        with engine.connect() as conn:
            for _id, key, name in conn.execute(sa.select(m.c.id, m.c.key, m.c.name)):
                municipalities[key.lower()] = name
                municipalities[name.lower()] = name
            if inspector.has_table("office"):
                o = sa.table("office", sa.column("municipality_id"), sa.column("key"),
                             sa.column("name"))
                for mkey, okey, oname in conn.execute(
                        sa.select(m.c.key, o.c.key, o.c.name)
                        .select_from(o.join(m, m.c.id == o.c.municipality_id))):
                    offices[f"{mkey}/{okey}"] = oname
    except sa.exc.SQLAlchemyError:
        pass
    return municipalities, offices


class Ingestor:
    def __init__(self, config: InsightConfig, source: Engine | None = None,
                 target: Engine | None = None) -> None:
        self.config = config
        self.source = source or get_engine(config.tracker_store_url)
        self.target = target or get_engine(config.database_url)
        self.calendar = _Calendar(config.timezone)
        self.cache: dict[str, _Conversation] = {}  # latest conversation per sender pseudonym
        self.dirty: dict[int, _Conversation] = {}  # conversations changed in the current chunk
        upgrade(self.target.url.render_as_string(hide_password=False))
        try:
            with self.target.begin() as conn:
                salt = config.salt or _get_state(conn, "salt")
                if not salt:
                    salt = secrets.token_hex(16)
                    _set_state(conn, "salt", salt)
                if _get_state(conn, "last_event_id") is None:
                    _set_state(conn, "last_event_id", "0")
        except sa.exc.IntegrityError:  # another process initialised the state at the same time
            with self.target.connect() as conn:
                salt = config.salt or _get_state(conn, "salt") or ""
        self.salt = salt
        self.municipality_names, self.office_names = _knowledge_labels(
            config.knowledge_url or config.database_url)

    # -- helpers -----------------------------------------------------------------------
    def pseudonym(self, sender_id: str) -> str:
        return pseudonym(self.salt, sender_id)

    def _upper_bound(self, now: float | None) -> int:
        cutoff = (time.time() if now is None else now) - self.config.ingest_lag_seconds
        with self.source.connect() as conn:
            return int(conn.execute(
                sa.select(sa.func.max(EVENTS.c.id)).where(EVENTS.c.timestamp < cutoff)
            ).scalar() or 0)

    def _load_open(self, conn: Connection, hashes: list[str]) -> None:
        c = models.conversations
        for start in range(0, len(hashes), 500):
            batch = hashes[start:start + 500]
            latest = (
                sa.select(c.c.sender_hash, sa.func.max(c.c.id).label("id"))
                .where(c.c.sender_hash.in_(batch)).group_by(c.c.sender_hash).subquery()
            )
            rows = conn.execute(sa.select(c).join(latest, c.c.id == latest.c.id)).mappings()
            for row in rows:
                self.cache[row["sender_hash"]] = _Conversation(row=dict(row), new=False)

    def _new_conversation(self, event_id: int, sender_hash: str, ts: float,
                          previous: _Conversation | None) -> _Conversation:
        day, week, month, _, _ = self.calendar(ts)
        row = {
            "id": event_id, "sender_hash": sender_hash, "started_at": ts, "last_at": ts,
            "day": day, "week": week, "month": month, "channel": "",
            # slots are carried over into a new session (carry_over_slots_to_new_session)
            "municipality": previous.row["municipality"] if previous else "",
            "office_area": previous.row["office_area"] if previous else "",
            "n_messages": 0, "n_fallback": 0, "main_topic": "", "handoff": 0,
            "handoff_reason": "", "handoff_at": None, "advisor_reply_at": None,
        }
        conv = _Conversation(row=row, new=True)
        self.cache[sender_hash] = conv
        self.dirty[event_id] = conv
        return conv

    def _municipality(self, value: object) -> str:
        text = str(value).strip()
        return self.municipality_names.get(text.lower(), text)[:128]

    # -- main loop -----------------------------------------------------------------------
    def run(self, chunk_size: int = CHUNK_EVENTS, now: float | None = None) -> IngestStats:
        started = time.perf_counter()
        stats = IngestStats()
        with self.target.begin() as conn:
            last_id = int(_get_state(conn, "last_event_id") or 0)
        upper = self._upper_bound(now)
        first_run = last_id == 0
        data_col = sa.case(
            (EVENTS.c.type_name.in_(("user", "slot", "bot")), EVENTS.c.data), else_=sa.null()
        ).label("data")
        interesting_actions = (*self.config.fallback_actions, *self.config.handoff_actions)
        while last_id < upper:
            query = (
                sa.select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp,
                          EVENTS.c.intent_name, EVENTS.c.action_name, data_col)
                .where(EVENTS.c.id > last_id, EVENTS.c.id <= min(upper, last_id + chunk_size))
                .where(EVENTS.c.type_name.in_(_TYPES))
                .where(sa.or_(EVENTS.c.type_name != "action",
                              EVENTS.c.action_name.in_(interesting_actions)))
                .order_by(EVENTS.c.id)
            )
            with self.source.connect() as src:
                rows = src.execute(query).fetchall()
            chunk_end = min(upper, last_id + chunk_size)
            # all CPU work (JSON, redaction) happens here, before the write transaction, so
            # the write lock is held only for the inserts of one bounded batch
            batch = self._process(rows, first_run)
            with self.target.begin() as conn:
                # lock the state row (PostgreSQL: row lock; SQLite: database write lock), then
                # check that no other ingest advanced in the meantime
                conn.execute(models.state.update().where(models.state.c.key == "last_event_id")
                             .values(value=models.state.c.value))
                if int(_get_state(conn, "last_event_id") or 0) != last_id:
                    stats.concurrent = True
                    break
                self._write(conn, batch, stats)
                _set_state(conn, "last_event_id", str(chunk_end))
            stats.events += len(rows)
            last_id = chunk_end
        stats.last_event_id = last_id
        stats.seconds = time.perf_counter() - started
        return stats

    def _process(self, rows: list[Any], first_run: bool) -> _Batch:
        hashes = {row.sender_id: self.pseudonym(row.sender_id) for row in rows}
        if not first_run:
            unknown = sorted({h for h in hashes.values() if h not in self.cache})
            with self.target.connect() as conn:
                self._load_open(conn, unknown)
        new_messages: list[_Message] = []
        late_fallbacks: list[_Message] = []
        threshold = self.config.low_confidence
        for event_id, sender_id, type_name, ts, intent_name, action_name, data in rows:
            ts = float(ts or 0.0)
            sender_hash = hashes[sender_id]
            conv = self.cache.get(sender_hash)
            if type_name == "session_started" or conv is None:
                conv = self._new_conversation(event_id, sender_hash, ts, conv)
                if type_name == "session_started":
                    continue
            row = conv.row
            row["last_at"] = max(row["last_at"], ts)
            self.dirty[row["id"]] = conv
            if type_name == "user":
                payload = json.loads(data) if data else {}
                parse = payload.get("parse_data") or {}
                intent_info = parse.get("intent") or {}
                intent = intent_name or intent_info.get("name") or ""
                selector = (parse.get("response_selector") or {}).get(intent) or {}
                retrieval = ((selector.get("response") or {}).get("intent_response_key")
                             if isinstance(selector, dict) else None)
                if retrieval:
                    intent = retrieval
                confidence = intent_info.get("confidence")
                fallback = intent == "nlu_fallback" or (
                    confidence is not None and confidence < threshold)
                topic = topic_for_intent(intent)
                # only the part the review queue keeps is ever held (and redacted)
                text = payload.get("text")
                message = _Message(event_id, row["id"], ts, intent, topic, confidence, fallback,
                                   text[:REVIEW_TEXT_CHARS] if isinstance(text, str) else "")
                new_messages.append(message)
                conv.last_message = message
                row["n_messages"] += 1
                if fallback:
                    row["n_fallback"] += 1
                if topic in CONTENT_TOPICS:
                    conv.topics[topic] = conv.topics.get(topic, 0) + 1
                    if not row["main_topic"] or conv.topics[topic] > conv.topics.get(
                            row["main_topic"], 0):
                        row["main_topic"] = topic
                if not row["channel"]:
                    row["channel"] = payload.get("input_channel") or ""
                metadata = payload.get("metadata") or {}
                if isinstance(metadata, dict) and metadata.get("municipality"):
                    row["municipality"] = self._municipality(metadata["municipality"])
                if topic == "notfall" and not row["handoff_reason"]:
                    row["handoff_reason"] = "emergency"
            elif type_name == "action":
                if action_name in self.config.fallback_actions:
                    last = conv.last_message
                    if last is not None and not last.fallback:
                        last.fallback = True
                        row["n_fallback"] += 1
                        if last.flushed:
                            late_fallbacks.append(last)
                else:
                    reason = self.config.handoff_actions.get(action_name or "", "request")
                    if reason == "request" and row["n_fallback"] and (
                            conv.last_message is None or conv.last_message.fallback):
                        reason = "fallback"
                    self._mark_handoff(row, ts, reason)
            elif type_name == "slot":
                payload = json.loads(data) if data else {}
                name, value = payload.get("name"), payload.get("value")
                if isinstance(value, (str, int)) and value != "":
                    if name in self.config.municipality_slots:
                        row["municipality"] = self._municipality(value)
                    elif name in self.config.office_slots:
                        value = str(value)
                        row["office_area"] = self.office_names.get(value, value)[:128]
                        if "/" in value and not row["municipality"]:
                            row["municipality"] = self._municipality(value.split("/", 1)[0])
            elif type_name == "pause":
                conv.paused = True
                self._mark_handoff(row, ts, "takeover")
            elif type_name == "resume":
                conv.paused = False
            elif type_name == "bot":
                # while a conversation is paused the bot predicts nothing: bot events are sent
                # by the console through the HTTP API (role "advisor"; "system" = join notice)
                if row["handoff"] and row["advisor_reply_at"] is None and conv.paused:
                    payload = json.loads(data) if data else {}
                    role = (payload.get("metadata") or {}).get("role")
                    if role in (None, "advisor"):
                        row["advisor_reply_at"] = ts
            elif type_name == "restart":
                conv.last_message = None
        conv_rows = list(self.dirty.values())
        self.dirty = {}
        return self._prepare(conv_rows, new_messages, late_fallbacks)

    @staticmethod
    def _mark_handoff(row: dict[str, Any], ts: float, reason: str) -> None:
        if not row["handoff"]:
            row["handoff"] = 1
            row["handoff_at"] = ts
            if not row["handoff_reason"] or reason == "emergency":
                row["handoff_reason"] = reason
        elif reason == "emergency":
            row["handoff_reason"] = "emergency"
        elif row["handoff_reason"] == "takeover" and reason != "takeover":
            row["handoff_reason"] = reason

    def _prepare(self, conv_rows: list[_Conversation], new_messages: list[_Message],
                 late_fallbacks: list[_Message]) -> _Batch:
        """The rows to write for one chunk (CPU only, no database)."""
        batch = _Batch(
            inserts=[dict(conv.row) for conv in conv_rows if conv.new],
            updates=[{**conv.row, "b_id": conv.row["id"]} for conv in conv_rows if not conv.new],
            messages=[
                {"event_id": m.event_id, "conversation_id": m.conversation_id,
                 **dict(zip(("day", "week", "month", "weekday", "hour"), self.calendar(m.ts),
                          strict=True)),
                 "intent": m.intent[:128], "topic": m.topic, "confidence": m.confidence,
                 "fallback": int(m.fallback)}
                for m in new_messages
            ],
            late_fallbacks=[m.event_id for m in late_fallbacks],
        )
        for conv in conv_rows:
            conv.new = False
        municipality = {conv.row["id"]: conv.row["municipality"] for conv in conv_rows}
        for message in [*new_messages, *late_fallbacks]:
            if message.fallback and message.text.strip() and not message.text.startswith("/"):
                batch.review.append({
                    "event_id": message.event_id, "conversation_id": message.conversation_id,
                    "created_at": message.ts, "day": self.calendar(message.ts)[0],
                    "municipality": municipality.get(message.conversation_id, ""),
                    # cut before redacting (the text is already cut when it is read)
                    "text": redact(message.text[:REVIEW_TEXT_CHARS])[:REVIEW_TEXT_CHARS],
                    "predicted_intent": message.intent[:128], "confidence": message.confidence,
                    "reason": "fallback" if (message.intent == "nlu_fallback" or (
                        message.confidence is not None
                        and message.confidence >= self.config.low_confidence))
                    else "low_confidence",
                    "status": "open", "label": "", "annotator": "",
                })
        # keep the raw text in memory only for the last message of each conversation that is
        # not yet in the queue (a fallback action may still follow in the next chunk)
        keep = {id(conv.last_message) for conv in conv_rows}
        for message in [*new_messages, *late_fallbacks]:
            message.flushed = True
            if message.fallback or id(message) not in keep:
                message.text = ""
        return batch

    @staticmethod
    def _write(conn: Connection, batch: _Batch, stats: IngestStats) -> None:
        c = models.conversations
        if batch.inserts:
            conn.execute(c.insert(), batch.inserts)
            stats.conversations += len(batch.inserts)
        if batch.updates:
            columns = [col.name for col in c.columns if col.name != "id"]
            stmt = c.update().where(c.c.id == sa.bindparam("b_id")).values(
                {name: sa.bindparam(name) for name in columns})
            conn.execute(stmt, batch.updates)
        if batch.messages:
            conn.execute(models.messages.insert(), batch.messages)
            stats.messages += len(batch.messages)
        if batch.late_fallbacks:
            conn.execute(models.messages.update().where(
                models.messages.c.event_id.in_(batch.late_fallbacks)).values(fallback=1))
        if batch.review:
            conn.execute(models.review.insert(), batch.review)
            stats.review_items += len(batch.review)


def ingest(config: InsightConfig | None = None, **kwargs: Any) -> IngestStats:
    return Ingestor(config or InsightConfig.from_settings()).run(**kwargs)
