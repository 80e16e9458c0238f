"""Passwords (scrypt), console sessions and the log-in lock-out, all in the database so the
console can run as several instances; the per-IP throttle is shared through Redis when
`QL_REDIS_URL` is set (security/rate_limit.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from handoff.models import (
    ROLE_ADVISOR,
    ROLE_LABELS,
    ROLES,
    Advisor,
    AuditEntry,
    ConsoleSession,
    utcnow,
)
from handoff.service import audit, ensure_schema
from security.rate_limit import client_key
from storage.engine import session_scope

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SESSION_COOKIE = "ql_console"  # the console's session cookie (the insight report reads it too)
SESSION_LIFETIME = timedelta(hours=10)
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            dklen=32)
    encoded = [base64.b64encode(part).decode() for part in (salt, digest)]
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encoded[0]}${encoded[1]}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt_b64), n=int(n),
                                r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"Unbekannte Rolle {role!r}. Erlaubt sind: {', '.join(ROLES)}.")


def create_advisor(url: str, username: str, display_name: str, municipality: str,
                   password: str, role: str = ROLE_ADVISOR) -> Advisor:
    _check_role(role)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"Das Passwort muss mindestens {MIN_PASSWORD_LENGTH} Zeichen lang sein.")
    ensure_schema(url)
    with session_scope(url) as session:
        if session.scalar(select(Advisor).where(Advisor.username == username)):
            raise ValueError(f"Den Benutzernamen {username!r} gibt es schon.")
        advisor = Advisor(username=username, display_name=display_name,
                          municipality=municipality, password_hash=hash_password(password),
                          role=role)
        session.add(advisor)
        audit(session, "system", municipality, "konto_angelegt",
              detail=f"{username} ({ROLE_LABELS[role]})")
        return advisor


def set_role(url: str, username: str, role: str) -> bool:
    """Change an account's role; False if there is no such account. Takes effect with the next
    request (the console reads the account on every request), no new log-in needed."""
    _check_role(role)
    ensure_schema(url)
    with session_scope(url) as session:
        advisor = session.scalar(select(Advisor).where(Advisor.username == username))
        if advisor is None:
            return False
        if advisor.role != role:
            old = advisor.role
            advisor.role = role
            audit(session, "system", advisor.municipality, "rolle_gesetzt",
                  detail=f"{username}: {ROLE_LABELS.get(old, old)} → {ROLE_LABELS[role]}")
        return True


def set_password(url: str, username: str, password: str) -> bool:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"Das Passwort muss mindestens {MIN_PASSWORD_LENGTH} Zeichen lang sein.")
    ensure_schema(url)
    with session_scope(url) as session:
        advisor = session.scalar(select(Advisor).where(Advisor.username == username))
        if advisor is None:
            return False
        advisor.password_hash = hash_password(password)
        session.execute(delete(ConsoleSession).where(ConsoleSession.advisor_id == advisor.id))
        audit(session, "system", advisor.municipality, "passwort_gesetzt", detail=username)
        return True


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _recent_failures(session, username: str, lockout_seconds: int) -> list:  # type: ignore[no-untyped-def]
    return list(session.scalars(
        select(AuditEntry.at).where(
            AuditEntry.action == "anmeldung_fehlgeschlagen",
            AuditEntry.detail == username[:64],
            AuditEntry.at >= utcnow() - timedelta(seconds=lockout_seconds),
        ).order_by(AuditEntry.at.desc())
    ))


def locked_until(url: str, username: str, max_failures: int,
                 lockout_seconds: int) -> datetime | None:
    """When the lock-out of `username` ends (UTC), or None if it is not locked. The lock
    holds while `max_failures` failures lie within `lockout_seconds`; it applies to any name,
    existing or not, so the answer reveals nothing about which accounts exist."""
    with session_scope(url) as session:
        failures = _recent_failures(session, username, lockout_seconds)
    if max_failures <= 0 or len(failures) < max_failures:
        return None
    return failures[max_failures - 1] + timedelta(seconds=lockout_seconds)


def is_locked_out(url: str, username: str, max_failures: int, lockout_seconds: int) -> bool:
    return locked_until(url, username, max_failures, lockout_seconds) is not None


@dataclass(frozen=True)
class LoginOutcome:
    token: str = ""
    advisor: Advisor | None = None
    locked_until: datetime | None = None  # UTC; the account (user name) is locked
    ip_blocked_seconds: int = 0  # this address tried too many times

    @property
    def ok(self) -> bool:
        return self.advisor is not None


def attempt(url: str, username: str, password: str, *, ip: str = "", throttle: Any = None,
            max_failures: int = 5, lockout_seconds: int = 900) -> LoginOutcome:
    """One log-in attempt. Every path verifies the password against a scrypt hash (the
    account's, or a dummy one for unknown or locked names), so the time taken does not tell
    which user names exist. `throttle` (security.rate_limit.LoginThrottle) limits failures
    per IP address across user names (password spraying); per user name the audit log
    counts them. Refusals are written to the audit log."""
    ensure_schema(url)
    until = locked_until(url, username, max_failures, lockout_seconds)
    by_ip = throttle.by_ip.peek(ip) if throttle is not None and ip else None
    with session_scope(url) as session:
        advisor = session.scalar(select(Advisor).where(Advisor.username == username))
        stored = advisor.password_hash if advisor else _DUMMY_HASH
        verified = verify_password(password, stored)  # always, whatever the outcome
        municipality = advisor.municipality if advisor else ""
        if by_ip is not None and not by_ip.allowed:
            audit(session, "unbekannt", municipality, "anmeldung_ip_gesperrt",
                  detail=f"{username[:64]} (Adresse {client_key(ip)[:12]})")
            return LoginOutcome(ip_blocked_seconds=by_ip.retry_after)
        if until is not None:
            audit(session, "unbekannt", municipality, "anmeldung_gesperrt", detail=username[:64])
            return LoginOutcome(locked_until=until)
        if advisor is None or not advisor.active or not verified:
            audit(session, "unbekannt", municipality, "anmeldung_fehlgeschlagen",
                  detail=username[:64])
            if throttle is not None and ip:
                throttle.by_ip.hit(ip)
            return LoginOutcome()
        token = secrets.token_urlsafe(32)
        session.add(ConsoleSession(token_hash=_token_hash(token), advisor_id=advisor.id,
                                   csrf_token=secrets.token_urlsafe(24),
                                   expires_at=utcnow() + SESSION_LIFETIME))
        advisor.last_seen = utcnow()
        audit(session, advisor.username, advisor.municipality, "angemeldet")
        return LoginOutcome(token=token, advisor=advisor)


WRONG_CREDENTIALS = ("Benutzername oder Passwort ist falsch. Bitte versuchen Sie es noch einmal. "
                     "Nach mehreren Fehlversuchen wird die Anmeldung für einige Minuten "
                     "gesperrt.")
ACCOUNT_LOCKED = ("Die Anmeldung mit diesem Benutzernamen ist nach mehreren Fehlversuchen "
                  "gesperrt – bis {until} Uhr. Danach können Sie sich wieder anmelden. Haben "
                  "Sie Ihr Passwort vergessen? Dann wenden Sie sich bitte an Ihre Verwaltung.")
ADDRESS_BLOCKED = ("Von Ihrem Netzwerk aus gab es zu viele fehlgeschlagene Anmeldeversuche. "
                   "Bitte warten Sie {minutes} Minuten und versuchen Sie es dann erneut.")


def refusal_message(outcome: LoginOutcome, local_time: Any) -> str:
    """German text for the log-in page; `local_time` formats a UTC datetime locally."""
    if outcome.ip_blocked_seconds:
        return ADDRESS_BLOCKED.format(minutes=max(1, -(-outcome.ip_blocked_seconds // 60)))
    if outcome.locked_until is not None:
        return ACCOUNT_LOCKED.format(until=local_time(outcome.locked_until)[-5:])
    return WRONG_CREDENTIALS


def login(url: str, username: str, password: str, *, max_failures: int = 5,
          lockout_seconds: int = 900) -> tuple[str, Advisor] | None:
    """Returns (session token, advisor) or None (see `attempt`)."""
    outcome = attempt(url, username, password, max_failures=max_failures,
                      lockout_seconds=lockout_seconds)
    return (outcome.token, outcome.advisor) if outcome.advisor is not None else None


def session_for(url: str, token: str) -> tuple[ConsoleSession, Advisor] | None:
    if not token:
        return None
    with session_scope(url) as session:
        row = session.execute(
            select(ConsoleSession, Advisor).join(Advisor, Advisor.id == ConsoleSession.advisor_id)
            .where(ConsoleSession.token_hash == _token_hash(token))
        ).first()
        if row is None:
            return None
        console_session, advisor = row
        if console_session.expires_at < utcnow() or not advisor.active:
            session.delete(console_session)
            return None
        return console_session, advisor


def logout(url: str, token: str) -> None:
    with session_scope(url) as session:
        session.execute(delete(ConsoleSession).where(
            ConsoleSession.token_hash == _token_hash(token)))


_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
