"""Tables of the handoff and the advisor console (own metadata; the schema is created and
migrated by storage/migrations, revision 0005)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import registry
from sqlalchemy.orm.decl_api import DeclarativeMeta

mapper_registry = registry()


class Base(metaclass=DeclarativeMeta):
    """Declarative base written out so type checkers see a class (SQLAlchemy 1.4); the same as
    `declarative_base()`, with its own metadata (separate from knowledge and the outbox)."""

    __abstract__ = True
    registry = mapper_registry
    metadata = mapper_registry.metadata
    __init__ = mapper_registry.constructor


# Priorities: higher is more urgent. The queue is ordered by priority, then waiting time.
PRIORITY_EMERGENCY = 100
PRIORITY_PERSONAL_TOPIC = 20
PRIORITY_REQUEST = 10

# Owner of a request whose municipality is unknown: the installation-wide queue "Ohne Kommune",
# worked by the installation's admins, who hand each request to a municipality. The service
# stores this instead of an empty municipality, so no request is ever without an owner.
UNASSIGNED = "*"
UNASSIGNED_LABEL = "Ohne Kommune"

# Ticket states: queued (waits for an advisor, bot paused), open (an advisor talks), followup
# (handed back to the bot, kept open for a later follow-up), closed.
ACTIVE_STATES = ("queued", "open")
OPEN_STATES = ("queued", "open", "followup")

# Console account roles: "advisor" works the queue of its municipality; "municipality_admin"
# additionally sees the insight report of its municipality; "admin" (operator of the whole
# installation) sees the report of all municipalities.
ROLE_ADVISOR = "advisor"
ROLE_MUNICIPALITY_ADMIN = "municipality_admin"
ROLE_ADMIN = "admin"
ROLES = (ROLE_ADVISOR, ROLE_MUNICIPALITY_ADMIN, ROLE_ADMIN)
ROLE_LABELS = {  # shown to users
    ROLE_ADVISOR: "Beratung",
    ROLE_MUNICIPALITY_ADMIN: "Kommune – Verwaltung",
    ROLE_ADMIN: "Gesamtverwaltung",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Advisor(Base):
    __tablename__ = "handoff_advisors"
    id = Column(Integer, primary_key=True)
    username = Column(String(64), unique=True, nullable=False)
    display_name = Column(String(128), nullable=False)
    municipality = Column(String(128), nullable=False, index=True)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(32), nullable=False, default=ROLE_ADVISOR, server_default=ROLE_ADVISOR)
    active = Column(Boolean, nullable=False, default=True)
    on_duty = Column(Boolean, nullable=False, default=False)
    last_seen = Column(DateTime, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class ConsoleSession(Base):
    __tablename__ = "handoff_console_sessions"
    token_hash = Column(String(64), primary_key=True)  # sha256 of the cookie value
    advisor_id = Column(Integer, ForeignKey("handoff_advisors.id"), nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)


class Ticket(Base):
    __tablename__ = "handoff_tickets"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    channel = Column(String(64), nullable=False, default="")
    municipality = Column(String(128), nullable=False, default=UNASSIGNED, index=True)
    place = Column(String(128), nullable=False, default="")
    topic = Column(String(128), nullable=False, default="")
    relation = Column(String(32), nullable=False, default="")  # "self" | "relative" | ""
    # request|fallback|emergency|topic
    reason = Column(String(32), nullable=False, default="request")
    priority = Column(Integer, nullable=False, default=PRIORITY_REQUEST)
    status = Column(String(16), nullable=False, default="queued", index=True)  # see OPEN_STATES
    preview = Column(Text, nullable=False, default="")
    created_at = Column(DateTime, nullable=False, default=utcnow)
    claimed_by = Column(Integer, ForeignKey("handoff_advisors.id"), nullable=True)
    claimed_at = Column(DateTime, nullable=True)
    closed_at = Column(DateTime, nullable=True)
    summary = Column(Text, nullable=False, default="")
    # emergency: the detector's tier ("akut"|"moeglich"), the kind of help ("akut"|"suizid"),
    # its category, and when the alarm was raised (shown in the console until closed)
    emergency_tier = Column(String(16), nullable=False, default="", server_default="")
    emergency_kind = Column(String(16), nullable=False, default="", server_default="")
    emergency_category = Column(String(64), nullable=False, default="", server_default="")
    alarm_at = Column(DateTime, nullable=True)
    waiting_note_at = Column(DateTime, nullable=True)  # last "please be patient" note
    handed_back_at = Column(DateTime, nullable=True)


class Note(Base):
    __tablename__ = "handoff_notes"
    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id"), nullable=False, index=True)
    advisor_id = Column(Integer, ForeignKey("handoff_advisors.id"), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class CannedReply(Base):
    __tablename__ = "handoff_canned_replies"
    id = Column(Integer, primary_key=True)
    municipality = Column(String(128), nullable=False, index=True)  # "" = all municipalities
    title = Column(String(128), nullable=False)
    text = Column(Text, nullable=False)


class Callback(Base):
    __tablename__ = "handoff_callbacks"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False)
    channel = Column(String(64), nullable=False, default="")
    municipality = Column(String(128), nullable=False, default=UNASSIGNED, index=True)
    topic = Column(String(128), nullable=False, default="")
    phone = Column(String(64), nullable=True)  # erased when the callback is completed
    preferred_time = Column(String(255), nullable=True)  # erased when completed
    consent_at = Column(DateTime, nullable=False)
    status = Column(String(16), nullable=False, default="open")  # open|done|failed
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=True)
    updated_by = Column(Integer, ForeignKey("handoff_advisors.id"), nullable=True)


class AuditEntry(Base):
    __tablename__ = "handoff_audit"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    actor = Column(String(128), nullable=False)  # advisor user name, "bot" or "system"
    municipality = Column(String(128), nullable=False, default="", index=True)
    action = Column(String(64), nullable=False)
    ticket_id = Column(Integer, nullable=True)
    detail = Column(Text, nullable=False, default="")
