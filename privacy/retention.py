"""Retention and deletion of conversation data (see PRIVACY.md).

    python -m privacy.retention run [--days N] [--dry-run]     # the automatic job
    python -m privacy.retention delete --conversation ID      # deletion on request
    python -m privacy.retention loop [--interval 3600]        # run the job periodically

What `run` deletes (cutoff = now − QL_RETENTION_DAYS, default 30 days):
  * Rasa tracker store: every event older than the cutoff (so a conversation without activity
    for N days disappears completely),
  * Rasa SQL event broker table (if QL_EVENT_BROKER_URL is an SQL URL): events older than the
    cutoff,
  * web chat outbox (`webchat_outbox`): messages older than the cutoff,
  * ratings "hilfreich / nicht hilfreich" of every channel (`answer_ratings`) and the rateable
    Telegram answers they refer to (`telegram_answers`) older than the cutoff,
  * handoff tickets whose last activity is older than the cutoff, with their notes,
  * callbacks: completed ("done"/"failed") ones at once, any other one after the cutoff;
    before a completed one is deleted, phone numbers and the preferred time are also scrubbed
    from its conversation (tracker events, outbox) – see `scrub_callback_data()`,
  * console sessions that have expired,
  * insight review texts older than the cutoff; older insight conversation rows lose their
    sender pseudonym (statistics without any link to a person remain),
  * audit entries older than AUDIT_RETENTION_DAYS (accountability of advisors' actions).

`delete` removes everything of one conversation id (sender id) from all of these places.

Tables that do not exist (a component not in use) are skipped. The module only touches the
tables listed here, by their documented names and columns.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from privacy.pseudonyms import pseudonym
from storage.engine import get_engine

logger = logging.getLogger(__name__)

AUDIT_RETENTION_DAYS = 365
DEFAULT_INTERVAL_SECONDS = 3600

# The one job definition every topology runs (tests/privacy/test_retention_everywhere.py):
#   `make run` and `make run-cluster`: start_background() -> run_retention() every hour,
#   Compose: service "retention" with LOOP_COMMAND, Helm: CronJob with RUN_COMMAND on
#   CRON_SCHEDULE (docker/compose.yml, docker/helm/extras.yaml).
RUN_COMMAND = ["python", "-m", "privacy.retention", "run"]
LOOP_COMMAND = ["python", "-m", "privacy.retention", "loop", "--interval",
                str(DEFAULT_INTERVAL_SECONDS)]
CRON_SCHEDULE = "17 * * * *"  # hourly, like the loop

def _table(engine: Engine, name: str) -> sa.Table | None:
    if not sa.inspect(engine).has_table(name):
        return None
    return sa.Table(name, sa.MetaData(), autoload_with=engine)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _sql_broker_url(settings: Any) -> str:
    url = getattr(settings, "event_broker_url", "") or ""
    return url if url and not url.startswith(("amqp", "amqps")) else ""


def _insight_url(settings: Any) -> str:
    return getattr(settings, "insight_database_url", "") or settings.database_url


# --- one step per store ------------------------------------------------------------------------

def _tracker_events(engine: Engine, counts: dict[str, int], *, before: float | None = None,
                    sender: str | None = None, key: str = "tracker_events") -> None:
    events = _table(engine, "events")
    if events is None:
        return
    if "timestamp" in events.c:
        condition = events.c.timestamp < before if before is not None else None
    else:  # Rasa's SQL event broker: id, sender_id, data (JSON with "timestamp")
        condition = None
        if before is not None:
            old_ids = []
            with engine.connect() as conn:
                for row in conn.execute(sa.select(events.c.id, events.c.data)):
                    try:
                        stamp = float(json.loads(row.data or "{}").get("timestamp") or 0)
                    except (ValueError, TypeError, AttributeError):
                        stamp = 0.0  # unreadable rows carry no date: treat as old
                    if stamp < before:
                        old_ids.append(row.id)
            condition = events.c.id.in_(old_ids)
    if sender is not None:
        condition = events.c.sender_id == sender
    with engine.begin() as conn:
        counts[key] = counts.get(key, 0) + conn.execute(sa.delete(events).where(condition)).rowcount


def _outbox(engine: Engine, counts: dict[str, int], *, before: datetime | None = None,
            sender: str | None = None) -> None:
    outbox = _table(engine, "webchat_outbox")
    if outbox is None:
        return
    condition = outbox.c.sender == sender if sender is not None else outbox.c.created_at < before
    with engine.begin() as conn:
        counts["webchat_outbox"] = conn.execute(sa.delete(outbox).where(condition)).rowcount


def _ratings(engine: Engine, counts: dict[str, int], *, before: datetime | None = None,
             sender: str | None = None) -> None:
    """The ratings of every channel (`answer_ratings`) and the Telegram answers they refer to
    (`telegram_answers`), by conversation or by age."""
    for name in ("answer_ratings", "telegram_answers"):
        table = _table(engine, name)
        if table is None:
            continue
        condition = (table.c.sender == sender if sender is not None
                     else table.c.created_at < before)
        with engine.begin() as conn:
            counts[name] = conn.execute(sa.delete(table).where(condition)).rowcount


def _handoff(engine: Engine, counts: dict[str, int], *, before: datetime | None = None,
             sender: str | None = None, now: datetime | None = None) -> None:
    tickets = _table(engine, "handoff_tickets")
    notes = _table(engine, "handoff_notes")
    callbacks = _table(engine, "handoff_callbacks")
    sessions = _table(engine, "handoff_console_sessions")
    with engine.begin() as conn:
        if tickets is not None:
            if sender is not None:
                condition = tickets.c.sender_id == sender
            else:
                last = sa.func.coalesce(tickets.c.closed_at, tickets.c.claimed_at,
                                        tickets.c.created_at)
                condition = last < before
            ids = [row[0] for row in conn.execute(sa.select(tickets.c.id).where(condition))]
            if notes is not None and ids:
                counts["handoff_notes"] = conn.execute(
                    sa.delete(notes).where(notes.c.ticket_id.in_(ids))).rowcount
            if ids:
                counts["handoff_tickets"] = conn.execute(
                    sa.delete(tickets).where(tickets.c.id.in_(ids))).rowcount
        if callbacks is not None:
            if sender is not None:
                condition = callbacks.c.sender_id == sender
            else:
                condition = sa.or_(callbacks.c.status.in_(["done", "failed"]),
                                   callbacks.c.created_at < before)
            counts["handoff_callbacks"] = conn.execute(
                sa.delete(callbacks).where(condition)).rowcount
        if sessions is not None and now is not None:
            counts["console_sessions"] = conn.execute(
                sa.delete(sessions).where(sessions.c.expires_at < now)).rowcount


CALLBACK_SLOTS = ("callback_phone", "callback_time")


CALLBACK_PLACEHOLDER = "[Rückruf-Angabe]"


def _scrub_texts(data: dict[str, Any], values: set[str]) -> bool:
    """Redact personal data and the given callback answers (`values`) in the texts of one
    user/bot event; True if something changed."""
    from privacy.redaction import redact

    def clean_text(text: str) -> str:
        for value in sorted(values, key=len, reverse=True):
            text = text.replace(value, CALLBACK_PLACEHOLDER)
        return redact(text)

    changed = False
    for holder in (
        data,
        data.get("parse_data") if isinstance(data.get("parse_data"), dict) else None,
    ):
        if holder and isinstance(holder.get("text"), str):
            clean = clean_text(holder["text"])
            if clean != holder["text"]:
                holder["text"], changed = clean, True
    entities = (data.get("parse_data") or {}).get("entities") if isinstance(
        data.get("parse_data"), dict) else None
    for entity in entities or []:
        if isinstance(entity, dict) and isinstance(entity.get("value"), str):
            clean = clean_text(entity["value"])
            if clean != entity["value"]:
                entity["value"], changed = clean, True
    return changed


def _scrub_conversation(tracker: Engine, app: Engine, sender: str, counts: dict[str, int]) -> None:
    """Remove callback data (phone number, preferred time) of one conversation from the
    tracker store and the web chat outbox, once the callback is done."""
    events = _table(tracker, "events")
    if events is not None and "type_name" in events.c:
        with tracker.begin() as conn:
            rows = conn.execute(sa.select(events.c.id, events.c.type_name, events.c.data).where(
                events.c.sender_id == sender,
                events.c.type_name.in_(["user", "bot", "slot"]))).fetchall()
            decoded = []
            for row in rows:
                try:
                    decoded.append((row, json.loads(row.data or "{}")))
                except ValueError:
                    continue
            # what the person answered to the callback questions, verbatim
            values = {str(data.get("value")).strip() for row, data in decoded
                      if row.type_name == "slot" and data.get("name") in CALLBACK_SLOTS
                      and data.get("value") is not None
                      and len(str(data.get("value")).strip()) >= 3}
            for row, data in decoded:
                if row.type_name == "slot":
                    changed = data.get("name") in CALLBACK_SLOTS and data.get("value") is not None
                    if changed:
                        data["value"] = None
                else:
                    changed = _scrub_texts(data, values)
                if changed:
                    conn.execute(sa.update(events).where(events.c.id == row.id)
                                 .values(data=json.dumps(data, ensure_ascii=False)))
                    counts["tracker_events_scrubbed"] = counts.get("tracker_events_scrubbed", 0) + 1
    outbox = _table(app, "webchat_outbox")
    if outbox is not None:
        from privacy.redaction import redact

        with app.begin() as conn:
            for row in conn.execute(sa.select(outbox.c.id, outbox.c.text).where(
                    outbox.c.sender == sender)).fetchall():
                clean = redact(row.text or "")
                if clean != (row.text or ""):
                    conn.execute(sa.update(outbox).where(outbox.c.id == row.id).values(text=clean))
                    counts["webchat_outbox_scrubbed"] = counts.get("webchat_outbox_scrubbed", 0) + 1


def scrub_callback_data(settings: Any, sender_id: str) -> dict[str, int]:
    """Call when a callback is done: phone number and preferred time disappear from the
    conversation (tracker store, outbox); the retention job does it for every done callback."""
    counts: dict[str, int] = {}
    _scrub_conversation(get_engine(settings.tracker_store_url), get_engine(settings.database_url),
                        sender_id, counts)
    return counts


def _done_callback_senders(engine: Engine) -> list[str]:
    callbacks = _table(engine, "handoff_callbacks")
    if callbacks is None:
        return []
    with engine.connect() as conn:
        return sorted({row[0] for row in conn.execute(
            sa.select(callbacks.c.sender_id).where(callbacks.c.status.in_(["done", "failed"])))})


def _audit(engine: Engine, counts: dict[str, int], before: datetime) -> None:
    audit = _table(engine, "handoff_audit")
    if audit is None:
        return
    with engine.begin() as conn:
        counts["audit"] = conn.execute(sa.delete(audit).where(audit.c.at < before)).rowcount


def _insight(engine: Engine, counts: dict[str, int], *, before: float | None = None,
             sender: str | None = None, settings: Any = None) -> None:
    conversations = _table(engine, "insight_conversations")
    review = _table(engine, "insight_review")
    messages = _table(engine, "insight_messages")
    if sender is not None:
        if conversations is None:
            return
        hashes = _insight_sender_hashes(engine, settings, sender)
        if not hashes:
            return
        with engine.begin() as conn:
            _insight_erase_sender(conn, counts, conversations, review, messages, hashes)
        return
    with engine.begin() as conn:
        if review is not None:
            counts["insight_review"] = conn.execute(
                sa.delete(review).where(review.c.created_at < before)).rowcount
        if conversations is not None:
            counts["insight_unlinked"] = conn.execute(
                sa.update(conversations)
                .where(conversations.c.last_at < before, conversations.c.sender_hash != "")
                .values(sender_hash="")).rowcount


def _insight_erase_sender(conn: Connection, counts: dict[str, int], conversations: sa.Table,
                          review: sa.Table | None, messages: sa.Table | None,
                          hashes: list[str]) -> None:
    """Delete the insight conversations of the pseudonyms `hashes`, with their review entries
    and messages."""
    ids = [row[0] for row in conn.execute(
        sa.select(conversations.c.id).where(conversations.c.sender_hash.in_(hashes)))]
    if not ids:
        return
    if review is not None:
        counts["insight_review"] = conn.execute(
            sa.delete(review).where(review.c.conversation_id.in_(ids))).rowcount
    if messages is not None:
        counts["insight_messages"] = conn.execute(
            sa.delete(messages).where(messages.c.conversation_id.in_(ids))).rowcount
    counts["insight_conversations"] = conn.execute(
        sa.delete(conversations).where(conversations.c.id.in_(ids))).rowcount


def _insight_sender_hashes(engine: Engine, settings: Any, sender: str) -> list[str]:
    """The pseudonym insight stores for `sender` (privacy.pseudonyms, with insight's salt:
    the configured one, else the one in `insight_state`; none yet: nothing to erase)."""
    salt = getattr(settings, "insight_salt", "") or ""
    state = _table(engine, "insight_state")
    if not salt and state is not None:
        with engine.connect() as conn:
            query = sa.select(state.c.value).where(state.c.key == "salt")
            salt = conn.execute(query).scalar() or ""
    return [pseudonym(salt, sender)] if salt else []


# --- public API --------------------------------------------------------------------------------

def run_retention(settings: Any, days: int | None = None,
                  now: datetime | None = None) -> dict[str, int]:
    """Delete everything older than the retention period; returns rows deleted per store."""
    days = int(days if days is not None else getattr(settings, "retention_days", 30))
    if days < 1:
        raise ValueError("Die Aufbewahrungsdauer muss mindestens 1 Tag betragen.")
    now = now or datetime.now(timezone.utc)
    cutoff = now - timedelta(days=days)
    counts: dict[str, int] = {}
    _tracker_events(get_engine(settings.tracker_store_url), counts, before=cutoff.timestamp())
    broker = _sql_broker_url(settings)
    if broker:
        _tracker_events(get_engine(broker), counts, before=cutoff.timestamp(), key="broker_events")
    app = get_engine(settings.database_url)
    for sender in _done_callback_senders(app):
        _scrub_conversation(get_engine(settings.tracker_store_url), app, sender, counts)
    _outbox(app, counts, before=_naive_utc(cutoff))
    _ratings(app, counts, before=_naive_utc(cutoff))
    _handoff(app, counts, before=_naive_utc(cutoff), now=_naive_utc(now))
    _audit(app, counts, _naive_utc(now - timedelta(days=max(days, AUDIT_RETENTION_DAYS))))
    _insight(get_engine(_insight_url(settings)), counts, before=cutoff.timestamp())
    logger.info("Aufbewahrungsfrist %s Tage: gelöscht %s", days, counts)
    return counts


def delete_conversation(settings: Any, sender_id: str) -> dict[str, int]:
    """Delete all data of one conversation (request of the data subject)."""
    if not sender_id or not isinstance(sender_id, str):
        raise ValueError("Eine Gesprächs-ID wird benötigt.")
    counts: dict[str, int] = {}
    _insight(get_engine(_insight_url(settings)), counts, sender=sender_id, settings=settings)
    _tracker_events(get_engine(settings.tracker_store_url), counts, sender=sender_id)
    broker = _sql_broker_url(settings)
    if broker:
        _tracker_events(get_engine(broker), counts, sender=sender_id, key="broker_events")
    app = get_engine(settings.database_url)
    _outbox(app, counts, sender=sender_id)
    _ratings(app, counts, sender=sender_id)
    _handoff(app, counts, sender=sender_id)
    logger.info("Gespräch auf Anfrage gelöscht: %s", counts)
    return counts


def start_background(settings: Any, interval: float = DEFAULT_INTERVAL_SECONDS) -> threading.Thread:
    """Run the retention job now and then every `interval` seconds in a daemon thread."""

    def loop() -> None:
        while True:
            try:
                run_retention(settings)
            except Exception:
                logger.exception("Aufbewahrungs-Job fehlgeschlagen")
            time.sleep(interval)

    thread = threading.Thread(target=loop, name="retention", daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> int:
    from quartierslotse.settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m privacy.retention",
                                     description="Aufbewahrung und Löschung von Gesprächsdaten")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="alles löschen, was älter als die Aufbewahrungsfrist ist")
    run.add_argument("--days", type=int, default=None)
    delete = sub.add_parser("delete", help="ein Gespräch auf Anfrage löschen")
    delete.add_argument("--conversation", required=True, help="Gesprächs-ID (sender id)")
    loop = sub.add_parser("loop", help="den Job regelmäßig ausführen")
    loop.add_argument("--interval", type=float, default=DEFAULT_INTERVAL_SECONDS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = get_settings()
    if args.command == "run":
        counts = run_retention(settings, args.days)
    elif args.command == "delete":
        counts = delete_conversation(settings, args.conversation)
    else:
        start_background(settings, args.interval).join()
        return 0
    print(json.dumps({k: v for k, v in counts.items()}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
