"""Operations on handoff state. Synchronous (SQLAlchemy 1.4); async callers use
`asyncio.to_thread`. Every state change that an advisor causes is written to the audit log."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from handoff.models import (
    ACTIVE_STATES,
    OPEN_STATES,
    PRIORITY_EMERGENCY,
    ROLE_ADMIN,
    UNASSIGNED,
    Advisor,
    AuditEntry,
    Callback,
    CannedReply,
    Note,
    Ticket,
    utcnow,
)
from storage.engine import get_engine, session_scope
from storage.schema import upgrade

# An advisor counts as on duty only while the console is open (it polls every few seconds).
DUTY_HEARTBEAT = timedelta(minutes=5)
# A waiting user gets the "please be patient" note at most this often.
WAITING_NOTE_INTERVAL = timedelta(minutes=3)

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


def owner(municipality: str | None) -> str:
    """The municipality that owns a request; the installation-wide queue when unknown."""
    return (municipality or "").strip() or UNASSIGNED


def _adopt_orphans(engine: Engine) -> None:
    """Requests stored by older versions without a municipality go to the installation-wide
    queue, where an admin can hand them to a municipality."""
    with engine.begin() as conn:
        conn.execute(update(Ticket).where(Ticket.municipality == "",
                                          Ticket.status.in_(OPEN_STATES))
                     .values(municipality=UNASSIGNED))
        conn.execute(update(Callback).where(Callback.municipality == "",
                                            Callback.status == "open")
                     .values(municipality=UNASSIGNED))


@cache
def ensure_schema(url: str) -> None:
    """Migrate the database (storage.schema, all tables), hand requests without a municipality
    to the installation-wide queue, and seed the default canned replies."""
    upgrade(url)
    _adopt_orphans(get_engine(url))
    with session_scope(url) as session:
        if session.scalar(select(func.count(CannedReply.id))) == 0:
            for title, text in DEFAULT_CANNED_REPLIES:
                session.add(CannedReply(municipality="", title=title, text=text))


def audit(session, actor: str, municipality: str, action: str,  # type: ignore[no-untyped-def]
          ticket_id: int | None = None, detail: str = "") -> None:
    session.add(AuditEntry(actor=actor, municipality=municipality, action=action,
                           ticket_id=ticket_id, detail=detail[:2000]))


# --- duty -------------------------------------------------------------------------------------

def scopes(advisor: Advisor) -> list[str]:
    """The owners whose requests an account works: its municipality; installation admins also
    the installation-wide queue."""
    if getattr(advisor, "role", "") == ROLE_ADMIN:
        return [advisor.municipality, UNASSIGNED]
    return [advisor.municipality]


def _as_scopes(municipality: str | list[str] | tuple[str, ...]) -> list[str]:
    return [municipality] if isinstance(municipality, str) else list(municipality)


def advisors_on_duty(url: str, municipality: str) -> int:
    """Advisors of a municipality with the console open and on duty; for the installation-wide
    queue, the installation admins on duty."""
    ensure_schema(url)
    who = (Advisor.role == ROLE_ADMIN if owner(municipality) == UNASSIGNED
           else Advisor.municipality == municipality)
    with session_scope(url) as session:
        return int(session.scalar(
            select(func.count(Advisor.id)).where(
                who,
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
    status: str = "queued"
    claimed_by: str = ""  # display name of the advisor talking to the user


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
    emergency_tier: str = "",
    emergency_kind: str = "",
    emergency_category: str = "",
) -> QueueResult:
    """Queue the conversation, or update its ticket: one conversation has one ticket (a ticket
    kept open for a follow-up is queued again). An emergency raises the priority and the alarm.
    The municipality is never empty: unknown means the installation-wide queue."""
    ensure_schema(url)
    municipality = owner(municipality)
    with session_scope(url) as session:
        ticket = session.scalar(
            select(Ticket).where(Ticket.sender_id == sender_id, Ticket.status.in_(OPEN_STATES))
            .order_by(Ticket.id.desc())
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
            if ticket.status == "followup":
                ticket.status, ticket.claimed_by, ticket.claimed_at = "queued", None, None
                audit(session, "bot", ticket.municipality, "wieder_eingereiht", ticket.id, reason)
            if priority > ticket.priority:
                ticket.priority = priority
                ticket.reason = reason
                audit(session, "bot", ticket.municipality, "prioritaet_erhoeht", ticket.id, reason)
            if ticket.municipality == UNASSIGNED and municipality != UNASSIGNED:
                ticket.municipality = municipality
            for attr, value in (("place", place), ("topic", topic), ("relation", relation),
                                ("channel", channel), ("preview", preview[:500])):
                if value:
                    setattr(ticket, attr, value)
        if emergency_tier:
            _mark_emergency(session, ticket, emergency_tier, emergency_kind, emergency_category)
        session.flush()
        return _queue_result(session, url, ticket, created, minutes_per_ticket)


def _mark_emergency(session, ticket: Ticket, tier: str, kind: str,  # type: ignore[no-untyped-def]
                    category: str) -> None:
    """An acute alarm is never downgraded by a later, milder message."""
    if ticket.emergency_tier == "akut" and tier != "akut":
        return
    ticket.emergency_tier = tier
    ticket.emergency_kind = kind or ticket.emergency_kind
    ticket.emergency_category = (category or ticket.emergency_category)[:64]
    if tier == "akut":
        ticket.alarm_at = utcnow()
        audit(session, "bot", ticket.municipality, "notfall_alarm", ticket.id,
              f"Stufe {tier}, Art {kind or '–'}, Kategorie {category or '–'}")


def mark_emergency(url: str, ticket_id: int, tier: str, kind: str, category: str) -> None:
    with session_scope(url) as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is not None:
            _mark_emergency(session, ticket, tier, kind, category)


def _queue_result(session, url: str, ticket: Ticket, created: bool,  # type: ignore[no-untyped-def]
                  minutes_per_ticket: int) -> QueueResult:
    ahead = int(session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.municipality == ticket.municipality,
            Ticket.status == "queued",
            Ticket.id != ticket.id,
            (Ticket.priority > ticket.priority)
            | ((Ticket.priority == ticket.priority) & (Ticket.created_at <= ticket.created_at)),
        )
    ) or 0)
    claimed_by = ""
    if ticket.claimed_by:
        advisor = session.get(Advisor, ticket.claimed_by)
        claimed_by = advisor.display_name if advisor else ""
    advisors = advisors_on_duty(url, ticket.municipality)
    return QueueResult(int(ticket.id), ahead + 1,
                       wait_estimate(ahead, advisors, minutes_per_ticket), advisors, created,
                       str(ticket.status), claimed_by)


def queue_state(url: str, sender_id: str, minutes_per_ticket: int = 5) -> QueueResult | None:
    """Position and estimated wait of the conversation's active ticket, if it has one."""
    ensure_schema(url)
    with session_scope(url) as session:
        ticket = session.scalar(
            select(Ticket).where(Ticket.sender_id == sender_id, Ticket.status.in_(ACTIVE_STATES))
        )
        if ticket is None:
            return None
        return _queue_result(session, url, ticket, False, minutes_per_ticket)


def waiting_note_due(url: str, ticket_id: int,
                     interval: timedelta = WAITING_NOTE_INTERVAL) -> bool:
    """True (and remembered) when the waiting user may get the next patience note."""
    now = utcnow()
    with session_scope(url) as session:
        result = session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status == "queued",
                   (Ticket.waiting_note_at.is_(None)) | (Ticket.waiting_note_at <= now - interval))
            .values(waiting_note_at=now)
        )
        return result.rowcount == 1


def wait_estimate(ahead: int, advisors: int, minutes_per_ticket: int) -> int:
    return max(2, math.ceil((ahead + 1) * minutes_per_ticket / max(advisors, 1)))


def queue(url: str, municipality: str | list[str]) -> list[Ticket]:
    """Tickets of one municipality (or several owners): queued first (emergencies, then by
    priority and age), then open ones, then those kept for a follow-up."""
    order = {"queued": 0, "open": 1, "followup": 2}
    with session_scope(url) as session:
        rows = session.scalars(
            select(Ticket).where(Ticket.municipality.in_(_as_scopes(municipality)),
                                 Ticket.status.in_(OPEN_STATES))
        ).all()
    return sorted(rows, key=lambda t: (order.get(t.status, 3), -t.priority, t.created_at))


def get_ticket(url: str, ticket_id: int, municipality: str | list[str]) -> Ticket | None:
    """A ticket only if it belongs to the advisor's municipality (or one of its scopes)."""
    with session_scope(url) as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or ticket.municipality not in _as_scopes(municipality):
            return None
        return ticket


def claim(url: str, ticket_id: int, advisor: Advisor) -> bool:
    """Atomically take a queued ticket (safe with several console instances)."""
    with session_scope(url) as session:
        result = session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.municipality.in_(scopes(advisor)),
                   Ticket.status == "queued")
            .values(status="open", claimed_by=advisor.id, claimed_at=utcnow())
        )
        if result.rowcount != 1:
            return False
        audit(session, advisor.username, advisor.municipality, "uebernommen", ticket_id)
        return True


def release(url: str, ticket_id: int, advisor: Advisor, reason: str) -> None:
    """Undo a claim the bot could not confirm: the ticket waits again, for anyone."""
    with session_scope(url) as session:
        session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.claimed_by == advisor.id,
                   Ticket.status == "open")
            .values(status="queued", claimed_by=None, claimed_at=None)
        )
        audit(session, advisor.username, advisor.municipality, "uebernahme_fehlgeschlagen",
              ticket_id, reason[:500])


def close(url: str, ticket_id: int, advisor: Advisor, summary: str) -> bool:
    """Close the ticket (from any open state); the bot answers the user again."""
    with session_scope(url) as session:
        result = session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.municipality.in_(scopes(advisor)),
                   Ticket.status.in_(OPEN_STATES))
            .values(status="closed", closed_at=utcnow(), summary=summary[:2000])
        )
        if result.rowcount != 1:
            return False
        audit(session, advisor.username, advisor.municipality, "an_bot_zurueckgegeben",
              ticket_id, summary)
        return True


def hand_back(url: str, ticket_id: int, advisor: Advisor, summary: str) -> bool:
    """Give the conversation back to the bot but keep the ticket for a follow-up."""
    with session_scope(url) as session:
        result = session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.municipality.in_(scopes(advisor)),
                   Ticket.status == "open", Ticket.claimed_by == advisor.id)
            .values(status="followup", handed_back_at=utcnow(), summary=summary[:2000])
        )
        if result.rowcount != 1:
            return False
        audit(session, advisor.username, advisor.municipality, "zurueckgegeben_offen",
              ticket_id, summary)
        return True


def reopen(url: str, ticket_id: int, advisor: Advisor, status: str, reason: str) -> None:
    """Put a ticket back into `status` after the bot could not confirm a hand-back."""
    with session_scope(url) as session:
        session.execute(update(Ticket).where(Ticket.id == ticket_id)
                        .values(status=status, closed_at=None, handed_back_at=None))
        audit(session, advisor.username, advisor.municipality, "rueckgabe_fehlgeschlagen",
              ticket_id, reason[:500])


def unassigned(url: str) -> tuple[list[Ticket], list[Callback]]:
    """Open requests in the installation-wide queue."""
    ensure_schema(url)
    with session_scope(url) as session:
        tickets = list(session.scalars(
            select(Ticket).where(Ticket.municipality == UNASSIGNED,
                                 Ticket.status.in_(OPEN_STATES))
            .order_by(Ticket.priority.desc(), Ticket.created_at)))
        rows = list(session.scalars(
            select(Callback).where(Callback.municipality == UNASSIGNED,
                                   Callback.status == "open").order_by(Callback.created_at)))
    return tickets, rows


def assign(url: str, advisor: Advisor, kind: str, item_id: int, municipality: str) -> bool:
    """An installation admin hands a request of the installation-wide queue to a municipality
    (audited for both)."""
    model: Any = {"ticket": Ticket, "callback": Callback}[kind]
    municipality = municipality.strip()
    if advisor.role != ROLE_ADMIN or not municipality or municipality == UNASSIGNED:
        return False
    with session_scope(url) as session:
        result = session.execute(
            update(model).where(model.id == item_id, model.municipality == UNASSIGNED)
            .values(municipality=municipality))
        if result.rowcount != 1:
            return False
        label = "Anfrage" if kind == "ticket" else "Rückruf"
        ticket_id = item_id if kind == "ticket" else None
        for where in (UNASSIGNED, municipality):
            audit(session, advisor.username, where, "an_kommune_uebergeben", ticket_id,
                  f"{label} {item_id} an {municipality}")
        return True


def municipalities(url: str) -> list[str]:
    """Municipalities that have console accounts."""
    with session_scope(url) as session:
        return sorted(session.scalars(select(Advisor.municipality).distinct()).all())


def orphans(url: str) -> list[str]:
    """Open tickets and callbacks without an owner (must always be empty)."""
    ensure_schema(url)
    with session_scope(url) as session:
        tickets = session.scalars(select(Ticket.id).where(
            func.trim(Ticket.municipality) == "", Ticket.status.in_(OPEN_STATES))).all()
        rows = session.scalars(select(Callback.id).where(
            func.trim(Callback.municipality) == "", Callback.status == "open")).all()
    return [f"Ticket {i}" for i in tickets] + [f"Rückruf {i}" for i in rows]


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
    """Store a consented callback; a second request of the same conversation updates its open
    callback instead of adding another. Unknown municipality: the installation-wide queue."""
    ensure_schema(url)
    municipality = owner(municipality)
    with session_scope(url) as session:
        callback = session.scalar(select(Callback).where(
            Callback.sender_id == sender_id, Callback.status == "open"))
        if callback is None:
            callback = Callback(sender_id=sender_id, channel=channel, municipality=municipality,
                                phone=phone, preferred_time=preferred_time, topic=topic,
                                consent_at=utcnow(), status="open")
            session.add(callback)
            session.flush()
            audit(session, "bot", municipality, "rueckruf_angelegt",
                  detail=f"Rückruf {callback.id}")
        else:
            callback.phone, callback.preferred_time = phone, preferred_time
            callback.topic = topic or callback.topic
            callback.consent_at, callback.updated_at = utcnow(), utcnow()
            if callback.municipality == UNASSIGNED:
                callback.municipality = municipality
            audit(session, "bot", callback.municipality, "rueckruf_geaendert",
                  detail=f"Rückruf {callback.id}")
        return int(callback.id)


def callbacks(url: str, municipality: str | list[str]) -> list[Callback]:
    with session_scope(url) as session:
        return list(session.scalars(
            select(Callback).where(Callback.municipality.in_(_as_scopes(municipality)))
            .order_by(Callback.status != "open", Callback.created_at)
        ))


def set_callback_status(url: str, callback_id: int, advisor: Advisor, status: str) -> bool:
    """open → done/failed. Completing a callback erases the phone number and preferred time."""
    if status not in ("open", "done", "failed"):
        raise ValueError(status)
    with session_scope(url) as session:
        callback = session.get(Callback, callback_id)
        if callback is None or callback.municipality not in scopes(advisor):
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
        if (callback is None or callback.municipality not in scopes(advisor)
                or callback.status == "open"):
            return False
        session.delete(callback)
        audit(session, advisor.username, advisor.municipality, "rueckruf_geloescht",
              detail=f"Rückruf {callback_id}")
        return True


def audit_log(url: str, municipality: str | list[str], limit: int = 200) -> list[AuditEntry]:
    with session_scope(url) as session:
        return list(session.scalars(
            select(AuditEntry).where(AuditEntry.municipality.in_(_as_scopes(municipality)))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
        ))


def record(url: str, advisor: Advisor, action: str, ticket_id: int | None = None,
           detail: str = "") -> None:
    with session_scope(url) as session:
        audit(session, advisor.username, advisor.municipality, action, ticket_id, detail)


__all__ = ["ACTIVE_STATES", "OPEN_STATES", "PRIORITY_EMERGENCY", "UNASSIGNED"]
