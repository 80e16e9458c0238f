"""Passwords (scrypt), console sessions and the log-in lock-out, all in the database so the
console can run as several instances."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import delete, func, select

from handoff.db import session_scope
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

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SESSION_LIFETIME = timedelta(hours=10)
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


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


def is_locked_out(url: str, username: str, max_failures: int, lockout_seconds: int) -> bool:
    with session_scope(url) as session:
        failures = session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action == "anmeldung_fehlgeschlagen",
                AuditEntry.detail == username[:64],
                AuditEntry.at >= utcnow() - timedelta(seconds=lockout_seconds),
            )
        )
    return int(failures or 0) >= max_failures


def login(url: str, username: str, password: str, *, max_failures: int = 5,
          lockout_seconds: int = 900) -> tuple[str, Advisor] | None:
    """Returns (session token, advisor) or None. Failed attempts go to the audit log and lock
    the user name for a while after `max_failures`."""
    ensure_schema(url)
    if is_locked_out(url, username, max_failures, lockout_seconds):
        return None
    with session_scope(url) as session:
        advisor = session.scalar(select(Advisor).where(Advisor.username == username))
        # verify against a dummy hash for unknown users, so timing does not reveal names
        stored = advisor.password_hash if advisor else _DUMMY_HASH
        if advisor is None or not advisor.active or not verify_password(password, stored):
            audit(session, "unbekannt", advisor.municipality if advisor else "",
                  "anmeldung_fehlgeschlagen", detail=username[:64])
            return None
        token = secrets.token_urlsafe(32)
        session.add(ConsoleSession(token_hash=_token_hash(token), advisor_id=advisor.id,
                                   csrf_token=secrets.token_urlsafe(24),
                                   expires_at=utcnow() + SESSION_LIFETIME))
        advisor.last_seen = utcnow()
        audit(session, advisor.username, advisor.municipality, "angemeldet")
        return token, advisor


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
        session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == _token_hash(token)))


_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
