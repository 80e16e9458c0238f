"""Operations on handoff state. Synchronous (SQLAlchemy 1.4); async callers use
`asyncio.to_thread`. Every state change that an advisor causes is written to the audit log."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from sqlalchemy import func, inspect, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from handoff.db import get_engine, session_scope
from handoff.models import (
    PRIORITY_EMERGENCY,
    Advisor,
    AuditEntry,
    Base,
    Callback,
    CannedReply,
    Note,
    Ticket,
    utcnow,
)

# An advisor counts as on duty only while the console is open (it polls every few seconds).
DUTY_HEARTBEAT = timedelta(minutes=5)
ACTIVE_STATES = ("queued", "open")

DEFAULT_CANNED_REPLIES = [
    ("Begrüßung", "Guten Tag, hier ist die Seniorenberatung. Ich habe Ihre Nachricht gelesen "
     "und bin jetzt für Sie da."),
    ("Kurz warten", "Einen Moment bitte, ich schaue das für Sie nach."),
    ("Rückruf anbieten", "Das bespreche ich gern in Ruhe am Telefon mit Ihnen. Unter welcher "
     "Nummer und wann kann ich Sie zurückrufen?"),
    ("Termin anbieten", "Gern können Sie auch persönlich in unsere Sprechstunde kommen. "
     "Soll ich Ihnen die Adresse und die Zeiten schicken?"),
    ("Verabschiedung", "Ich gebe Sie jetzt wieder an den digitalen Assistenten zurück. "
     "Alles Gute für Sie!"),
]


# Columns added after a table was first released: create_all does not alter existing tables,
# so ensure_schema adds them (there are no migrations for the handoff tables).
# (table, column, DDL type and default valid on SQLite and PostgreSQL)
ADDED_COLUMNS = (
    ("handoff_advisors", "role", "VARCHAR(32) NOT NULL DEFAULT 'advisor'"),
)


def _add_missing_columns(engine: Engine) -> None:
    for table, column, ddl in ADDED_COLUMNS:
        if column in {c["name"] for c in inspect(engine).get_columns(table)}:
            continue
        if_not_exists = "IF NOT EXISTS " if engine.dialect.name == "postgresql" else ""
        try:
            with engine.begin() as conn:
                conn.execute(sql_text(f"ALTER TABLE {table} ADD COLUMN {if_not_exists}{column} {ddl}"))
        except DBAPIError:
            # another process (console, action server) may have added it at the same time
            if column not in {c["name"] for c in inspect(engine).get_columns(table)}:
                raise


@cache
def ensure_schema(url: str) -> None:
    """Create the handoff tables (idempotent), add columns that older databases lack, and seed
    the default canned replies."""
    engine = get_engine(url)
    Base.metadata.create_all(engine)
    _add_missing_columns(engine)
    with session_scope(url) as session:
        if session.scalar(select(func.count(CannedReply.id))) == 0:
            for title, text in DEFAULT_CANNED_REPLIES:
                session.add(CannedReply(municipality="", title=title, text=text))


def audit(session, actor: str, municipality: str, action: str,  # type: ignore[no-untyped-def]
          ticket_id: int | None = None, detail: str = "") -> None:
    session.add(AuditEntry(actor=actor, municipality=municipality, action=action,
                           ticket_id=ticket_id, detail=detail[:2000]))


# --- duty -------------------------------------------------------------------------------------

def advisors_on_duty(url: str, municipality: str) -> int:
    ensure_schema(url)
    with session_scope(url) as session:
        return int(session.scalar(
            select(func.count(Advisor.id)).where(
                Advisor.municipality == municipality,
                Advisor.active.is_(True),
                Advisor.on_duty.is_(True),
                Advisor.last_seen >= utcnow() - DUTY_HEARTBEAT,
            )
        ) or 0)


def set_duty(url: str, advisor_id: int, on_duty: bool) -> None:
    with session_scope(url) as session:
        advisor = session.get(Advisor, advisor_id)
        advisor.on_duty = on_duty
        advisor.last_seen = utcnow()
        audit(session, advisor.username, advisor.municipality,
              "dienst_beginn" if on_duty else "dienst_ende")


def touch(url: str, advisor_id: int) -> None:
    with session_scope(url) as session:
        session.execute(update(Advisor).where(Advisor.id == advisor_id).values(last_seen=utcnow()))


# --- tickets ----------------------------------------------------------------------------------

@dataclass
class QueueResult:
    ticket_id: int
    position: int  # 1 = next
    wait_minutes: int
    advisors: int
    created: bool


def open_ticket(
    url: str,
    *,
    sender_id: str,
    channel: str,
    municipality: str,
    place: str = "",
    topic: str = "",
    relation: str = "",
    reason: str = "request",
    priority: int = 10,
    preview: str = "",
    minutes_per_ticket: int = 5,
) -> QueueResult:
    """Queue the conversation (or raise the priority of its active ticket)."""
    ensure_schema(url)
    with session_scope(url) as session:
        ticket = session.scalar(
            select(Ticket).where(Ticket.sender_id == sender_id, Ticket.status.in_(ACTIVE_STATES))
        )
        created = ticket is None
        if ticket is None:
            ticket = Ticket(sender_id=sender_id, channel=channel, municipality=municipality,
                            place=place, topic=topic, relation=relation, reason=reason,
                            priority=priority, preview=preview[:500], status="queued")
            session.add(ticket)
            session.flush()
            audit(session, "bot", municipality, "ticket_erstellt", ticket.id,
                  f"Grund: {reason}, Priorität {priority}, Kanal {channel}")
        else:
            if priority > ticket.priority:
                ticket.priority = priority
                ticket.reason = reason
                audit(session, "bot", ticket.municipality, "prioritaet_erhoeht", ticket.id, reason)
            for attr, value in (("place", place), ("topic", topic), ("relation", relation),
                                ("channel", channel), ("preview", preview[:500])):
                if value:
                    setattr(ticket, attr, value)
        ahead = int(session.scalar(
            select(func.count(Ticket.id)).where(
                Ticket.municipality == ticket.municipality,
                Ticket.status == "queued",
                Ticket.id != ticket.id,
                (Ticket.priority > ticket.priority)
                | ((Ticket.priority == ticket.priority) & (Ticket.created_at <= ticket.created_at)),
            )
        ) or 0)
        ticket_id = ticket.id
    advisors = advisors_on_duty(url, municipality)
    wait = wait_estimate(ahead, advisors, minutes_per_ticket)
    return QueueResult(ticket_id, ahead + 1, wait, advisors, created)


def wait_estimate(ahead: int, advisors: int, minutes_per_ticket: int) -> int:
    return max(2, math.ceil((ahead + 1) * minutes_per_ticket / max(advisors, 1)))


def active_ticket_for(url: str, sender_id: str) -> Ticket | None:
    ensure_schema(url)
    with session_scope(url) as session:
        return session.scalar(
            select(Ticket).where(Ticket.sender_id == sender_id, Ticket.status.in_(ACTIVE_STATES))
        )


def queue(url: str, municipality: str) -> list[Ticket]:
    """Active tickets of one municipality: queued first by priority and age, then open ones."""
    with session_scope(url) as session:
        rows = session.scalars(
            select(Ticket).where(Ticket.municipality == municipality,
                                 Ticket.status.in_(ACTIVE_STATES))
        ).all()
    return sorted(rows, key=lambda t: (t.status != "queued", -t.priority, t.created_at))


def get_ticket(url: str, ticket_id: int, municipality: str) -> Ticket | None:
    """A ticket only if it belongs to the advisor's municipality."""
    with session_scope(url) as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or ticket.municipality != municipality:
            return None
        return ticket


def claim(url: str, ticket_id: int, advisor: Advisor) -> bool:
    """Atomically take a queued ticket (safe with several console instances)."""
    with session_scope(url) as session:
        result = session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.municipality == advisor.municipality,
                   Ticket.status == "queued")
            .values(status="open", claimed_by=advisor.id, claimed_at=utcnow())
        )
        if result.rowcount != 1:
            return False
        audit(session, advisor.username, advisor.municipality, "uebernommen", ticket_id)
        return True


def close(url: str, ticket_id: int, advisor: Advisor, summary: str) -> bool:
    with session_scope(url) as session:
        result = session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.municipality == advisor.municipality,
                   Ticket.status.in_(ACTIVE_STATES))
            .values(status="closed", closed_at=utcnow(), summary=summary[:2000])
        )
        if result.rowcount != 1:
            return False
        audit(session, advisor.username, advisor.municipality, "an_bot_zurueckgegeben",
              ticket_id, summary)
        return True


def advisor_names(url: str, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    with session_scope(url) as session:
        rows = session.execute(select(Advisor.id, Advisor.display_name).where(Advisor.id.in_(ids)))
        return {row.id: row.display_name for row in rows}


# --- notes, canned replies ----------------------------------------------------------------------

def add_note(url: str, ticket_id: int, advisor: Advisor, text: str) -> None:
    with session_scope(url) as session:
        session.add(Note(ticket_id=ticket_id, advisor_id=advisor.id, text=text[:4000]))
        audit(session, advisor.username, advisor.municipality, "notiz", ticket_id)


def notes(url: str, ticket_id: int) -> list[tuple[Note, str]]:
    with session_scope(url) as session:
        rows = session.execute(
            select(Note, Advisor.display_name).join(Advisor, Advisor.id == Note.advisor_id)
            .where(Note.ticket_id == ticket_id).order_by(Note.created_at)
        ).all()
        return [(row[0], row[1]) for row in rows]


def canned_replies(url: str, municipality: str) -> list[CannedReply]:
    with session_scope(url) as session:
        return list(session.scalars(
            select(CannedReply).where(CannedReply.municipality.in_(["", municipality]))
            .order_by(CannedReply.id)
        ))


def add_canned_reply(url: str, advisor: Advisor, title: str, text: str) -> None:
    with session_scope(url) as session:
        session.add(CannedReply(municipality=advisor.municipality, title=title[:128], text=text))
        audit(session, advisor.username, advisor.municipality, "textbaustein_angelegt",
              detail=title[:128])


# --- callbacks ---------------------------------------------------------------------------------

def add_callback(url: str, *, sender_id: str, channel: str, municipality: str, phone: str,
                 preferred_time: str, topic: str = "") -> int:
    ensure_schema(url)
    with session_scope(url) as session:
        callback = Callback(sender_id=sender_id, channel=channel, municipality=municipality,
                            phone=phone, preferred_time=preferred_time, topic=topic,
                            consent_at=utcnow(), status="open")
        session.add(callback)
        session.flush()
        audit(session, "bot", municipality, "rueckruf_angelegt", detail=f"Rückruf {callback.id}")
        return int(callback.id)


def callbacks(url: str, municipality: str) -> list[Callback]:
    with session_scope(url) as session:
        return list(session.scalars(
            select(Callback).where(Callback.municipality == municipality)
            .order_by(Callback.status != "open", Callback.created_at)
        ))


def set_callback_status(url: str, callback_id: int, advisor: Advisor, status: str) -> bool:
    """open → done/failed. Completing a callback erases the phone number and preferred time."""
    if status not in ("open", "done", "failed"):
        raise ValueError(status)
    with session_scope(url) as session:
        callback = session.get(Callback, callback_id)
        if callback is None or callback.municipality != advisor.municipality:
            return False
        callback.status = status
        callback.updated_at = utcnow()
        callback.updated_by = advisor.id
        if status in ("done", "failed"):
            callback.phone = None
            callback.preferred_time = None
        audit(session, advisor.username, advisor.municipality, f"rueckruf_{status}",
              detail=f"Rückruf {callback_id}")
        return True


def delete_callback(url: str, callback_id: int, advisor: Advisor) -> bool:
    with session_scope(url) as session:
        callback = session.get(Callback, callback_id)
        if (callback is None or callback.municipality != advisor.municipality
                or callback.status == "open"):
            return False
        session.delete(callback)
        audit(session, advisor.username, advisor.municipality, "rueckruf_geloescht",
              detail=f"Rückruf {callback_id}")
        return True


def audit_log(url: str, municipality: str, limit: int = 200) -> list[AuditEntry]:
    with session_scope(url) as session:
        return list(session.scalars(
            select(AuditEntry).where(AuditEntry.municipality == municipality)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
        ))


def record(url: str, advisor: Advisor, action: str, ticket_id: int | None = None,
           detail: str = "") -> None:
    with session_scope(url) as session:
        audit(session, advisor.username, advisor.municipality, action, ticket_id, detail)


__all__ = ["PRIORITY_EMERGENCY"]
