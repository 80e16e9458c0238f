"""Exact aggregates for a date range (and optionally one municipality).

Everything here is computed with SQL GROUP BY on insight's tables (plus the handoff tables
when they exist). The numbers are exact; `insight.disclosure` turns them into what may be
shown (small counts suppressed, counts rounded).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from insight import models

PERIODS = ("day", "week", "month")

WAIT_BUCKETS = (  # (upper bound in seconds, label)
    (60, "unter 1 Minute"),
    (300, "1 bis 5 Minuten"),
    (900, "5 bis 15 Minuten"),
    (3600, "15 bis 60 Minuten"),
    (None, "über 1 Stunde"),
)


@dataclass(frozen=True)
class ReportFilter:
    date_from: date
    date_to: date
    municipality: str | None = None  # None: all municipalities
    period: str = "day"
    timezone: str = "Europe/Berlin"  # the days above are calendar days of this zone

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise ValueError(f"Zeitraum muss einer von {', '.join(PERIODS)} sein")
        if self.date_to < self.date_from:
            raise ValueError("Das Enddatum liegt vor dem Anfangsdatum.")


@dataclass
class WaitStats:
    count: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None
    buckets: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Report:
    filter: ReportFilter
    conversations: int = 0
    users: int = 0
    messages: int = 0
    fallback_messages: int = 0
    handoffs: int = 0
    # (period, conversations, users, messages)
    series: list[tuple[str, int, int, int]] = field(default_factory=list)
    by_topic: list[tuple[str, int]] = field(default_factory=list)  # messages per topic
    by_main_topic: list[tuple[str, int]] = field(default_factory=list)  # conversations
    by_channel: list[tuple[str, int]] = field(default_factory=list)  # conversations
    by_municipality: list[tuple[str, int]] = field(default_factory=list)
    by_office: list[tuple[str, int]] = field(default_factory=list)
    handoff_reasons: list[tuple[str, int]] = field(default_factory=list)
    handoff_reason_source: str = "tracker"  # "tickets" when the handoff tables are used
    tickets: int | None = None
    callbacks: list[tuple[str, int]] | None = None  # None: no callback table
    wait: WaitStats = field(default_factory=WaitStats)
    ticket_wait: WaitStats | None = None  # request -> claimed, from handoff_tickets
    heatmap: dict[tuple[int, int], int] = field(default_factory=dict)  # (weekday, hour) -> msgs
    review_open: int = 0
    # "hilfreich / nicht hilfreich" from the web chat and Telegram (table answer_ratings):
    # (topic key, helpful, not helpful) and (response name, helpful, not helpful);
    # None: no ratings table
    ratings_by_topic: list[tuple[str, int, int]] | None = None
    ratings_by_response: list[tuple[str, int, int]] | None = None
    generated_at: str = ""

    @property
    def fallback_share(self) -> float | None:
        return self.fallback_messages / self.messages if self.messages else None

    @property
    def handoff_rate(self) -> float | None:
        return self.handoffs / self.conversations if self.conversations else None


def _wait_stats(values: list[float]) -> WaitStats:
    values = sorted(v for v in values if v is not None and v >= 0)
    stats = WaitStats(count=len(values))
    if values:
        stats.median_seconds = statistics.median(values)
        stats.p90_seconds = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
    lower = 0.0
    for upper, label in WAIT_BUCKETS:
        stats.buckets.append((label, sum(1 for v in values
                                         if v >= lower and (upper is None or v < upper))))
        lower = upper or lower
    return stats


def _has_table(conn: Connection, name: str) -> bool:
    return sa.inspect(conn).has_table(name)


def _ordered(rows: Any) -> list[tuple[str, int]]:
    return sorted(((key or "", int(count)) for key, count in rows), key=lambda kv: (-kv[1], kv[0]))


def build_report(engine: Engine, flt: ReportFilter) -> Report:
    c, m = models.conversations, models.messages
    start, end = flt.date_from.isoformat(), flt.date_to.isoformat()
    conv_where = [c.c.day >= start, c.c.day <= end, c.c.n_messages > 0]
    if flt.municipality is not None:
        conv_where.append(c.c.municipality == flt.municipality)
    msg_where = [m.c.day >= start, m.c.day <= end]
    msg_from: Any = m
    if flt.municipality is not None:
        msg_from = m.join(c, c.c.id == m.c.conversation_id)
        msg_where.append(c.c.municipality == flt.municipality)
    report = Report(filter=flt,
                    generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    period = getattr(c.c, flt.period)
    # distinct people = distinct pseudonyms; privacy.retention blanks the pseudonym of old
    # conversations, which then no longer count as people (but still as conversations)
    people = sa.func.count(sa.distinct(sa.case((c.c.sender_hash != "", c.c.sender_hash))))
    with engine.connect() as conn:
        row = conn.execute(sa.select(
            sa.func.count(), people, sa.func.coalesce(sa.func.sum(c.c.handoff), 0),
        ).where(*conv_where)).one()
        report.conversations, report.users, report.handoffs = (int(v or 0) for v in row)
        row = conn.execute(sa.select(
            sa.func.count(), sa.func.coalesce(sa.func.sum(m.c.fallback), 0)
        ).select_from(msg_from).where(*msg_where)).one()
        report.messages, report.fallback_messages = int(row[0] or 0), int(row[1] or 0)

        conv_series = {
            key: (int(n), int(u)) for key, n, u in conn.execute(
                sa.select(period, sa.func.count(), people)
                .where(*conv_where).group_by(period))
        }
        mperiod = getattr(m.c, flt.period)
        msg_series = {key: int(n) for key, n in conn.execute(
            sa.select(mperiod, sa.func.count()).select_from(msg_from).where(*msg_where)
            .group_by(mperiod))}
        report.series = [
            (key, *conv_series.get(key, (0, 0)), msg_series.get(key, 0))
            for key in sorted(set(conv_series) | set(msg_series))
        ]
        report.by_topic = _ordered(conn.execute(
            sa.select(m.c.topic, sa.func.count()).select_from(msg_from).where(*msg_where)
            .group_by(m.c.topic)))
        for attr, column in (("by_main_topic", c.c.main_topic), ("by_channel", c.c.channel),
                             ("by_municipality", c.c.municipality),
                             ("by_office", c.c.office_area)):
            setattr(report, attr, _ordered(conn.execute(
                sa.select(column, sa.func.count()).where(*conv_where).group_by(column))))
        report.handoff_reasons = _ordered(conn.execute(
            sa.select(c.c.handoff_reason, sa.func.count())
            .where(*conv_where, c.c.handoff == 1).group_by(c.c.handoff_reason)))
        report.wait = _wait_stats([
            float(a) - float(h) for h, a in conn.execute(
                sa.select(c.c.handoff_at, c.c.advisor_reply_at)
                .where(*conv_where, c.c.handoff == 1, c.c.advisor_reply_at.isnot(None)))])
        report.heatmap = {(int(wd), int(h)): int(n) for wd, h, n in conn.execute(
            sa.select(m.c.weekday, m.c.hour, sa.func.count()).select_from(msg_from)
            .where(*msg_where).group_by(m.c.weekday, m.c.hour))}
        r = models.review
        review_where = [r.c.status == "open"]
        if flt.municipality is not None:
            review_where.append(r.c.municipality == flt.municipality)
        report.review_open = int(conn.execute(
            sa.select(sa.func.count()).where(*review_where)).scalar() or 0)
        _handoff_tables(conn, flt, report)
        _ratings(conn, flt, report)
    return report


RATINGS = sa.table("answer_ratings", sa.column("topic", sa.String),
                   sa.column("response", sa.String), sa.column("municipality", sa.String),
                   sa.column("value", sa.String), sa.column("created_at", sa.DateTime))


def _ratings(conn: Connection, flt: ReportFilter, report: Report) -> None:
    """Ratings of the answers of every channel (channels.ratings.Rating: web chat, Telegram),
    read with plain SQL like the handoff tables. Missing table is fine."""
    if not _has_table(conn, "answer_ratings"):
        return
    r = RATINGS
    lo, hi = _utc_range(flt)
    where = [r.c.created_at >= lo, r.c.created_at < hi]
    if flt.municipality is not None:
        where.append(r.c.municipality == flt.municipality)
    helpful = sa.func.sum(sa.case((r.c.value == "hilfreich", 1), else_=0))
    unhelpful = sa.func.sum(sa.case((r.c.value == "nicht_hilfreich", 1), else_=0))
    for attr, column in (("ratings_by_topic", r.c.topic),
                         ("ratings_by_response", r.c.response)):
        rows = [(key or "", int(h or 0), int(n or 0)) for key, h, n in conn.execute(
            sa.select(column, helpful, unhelpful).where(*where).group_by(column))]
        setattr(report, attr, sorted(rows, key=lambda row: (-(row[1] + row[2]), row[0])))


def local_today(tz: str, now: datetime | None = None) -> date:
    """Today's calendar date in `tz` (the report's days), not in the server's zone: between
    midnight in Berlin and midnight UTC the two differ by a day."""
    from zoneinfo import ZoneInfo

    return (now or datetime.now(timezone.utc)).astimezone(ZoneInfo(tz)).date()


def _utc_range(flt: ReportFilter) -> tuple[datetime, datetime]:
    from datetime import time as dtime
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(flt.timezone)
    lo = datetime.combine(flt.date_from, dtime(0), zone).astimezone(timezone.utc)
    hi = datetime.combine(flt.date_to + timedelta(days=1), dtime(0), zone).astimezone(timezone.utc)
    return lo.replace(tzinfo=None), hi.replace(tzinfo=None)


def _handoff_tables(conn: Connection, flt: ReportFilter, report: Report) -> None:
    """Tickets and callbacks of the handoff package (handoff_tickets, handoff_callbacks), read
    with plain SQL so insight does not depend on its ORM. Missing tables are fine."""
    lo, hi = _utc_range(flt)
    if _has_table(conn, "handoff_tickets"):
        t = sa.table("handoff_tickets", sa.column("reason", sa.String),
                     sa.column("municipality", sa.String), sa.column("created_at", sa.DateTime),
                     sa.column("claimed_at", sa.DateTime))
        where = [t.c.created_at >= lo, t.c.created_at < hi]
        if flt.municipality is not None:
            where.append(t.c.municipality == flt.municipality)
        reasons = _ordered(conn.execute(
            sa.select(t.c.reason, sa.func.count()).where(*where).group_by(t.c.reason)))
        total = sum(n for _, n in reasons)
        if total:
            report.tickets = total
            report.handoff_reasons = reasons
            report.handoff_reason_source = "tickets"
            report.ticket_wait = _wait_stats([
                (claimed - created).total_seconds() for created, claimed in conn.execute(
                    sa.select(t.c.created_at, t.c.claimed_at)
                    .where(*where, t.c.claimed_at.isnot(None)))])
    if _has_table(conn, "handoff_callbacks"):
        cb = sa.table("handoff_callbacks", sa.column("status", sa.String),
                      sa.column("municipality", sa.String), sa.column("created_at", sa.DateTime))
        where = [cb.c.created_at >= lo, cb.c.created_at < hi]
        if flt.municipality is not None:
            where.append(cb.c.municipality == flt.municipality)
        report.callbacks = _ordered(conn.execute(
            sa.select(cb.c.status, sa.func.count()).where(*where).group_by(cb.c.status)))
