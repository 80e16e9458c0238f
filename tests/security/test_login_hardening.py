"""Console log-in: no user-name oracle by timing, per-IP throttle besides the per-account
lock-out, an honest German message for a locked name, audit entries for refusals."""

from __future__ import annotations

import statistics
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from advisor import auth
from handoff.models import AuditEntry
from security.rate_limit import LoginThrottle
from storage.engine import session_scope


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'console.db'}"
    auth.create_advisor(url, "erna", "Erna Test", "Dortmund", "richtig-richtig-1")
    return url


def _throttle(redis_url: str = "") -> LoginThrottle:
    return LoginThrottle(SimpleNamespace(login_max_failures=5, login_lockout_seconds=900,
                                         redis_url=redis_url), f"test-{uuid.uuid4().hex}")


def _actions(url: str) -> list[str]:
    with session_scope(url) as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def _median_seconds(url: str, username: str, rounds: int = 7) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        auth.attempt(url, username, "falsch-falsch-1", max_failures=1000)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def test_timing_does_not_tell_which_user_names_exist(db: str) -> None:
    auth.attempt(db, "warm-up", "x", max_failures=1000)
    # interleave the measurements, so a load spike hits both sides alike
    known, unknown = [], []
    for _ in range(3):
        known.append(_median_seconds(db, "erna", 3))
        unknown.append(_median_seconds(db, f"niemand-{uuid.uuid4().hex[:6]}", 3))
    ratio = max(min(known), min(unknown)) / min(min(known), min(unknown))
    assert ratio < 1.5, (known, unknown)


def test_locked_name_is_told_until_when_and_it_is_audited(db: str) -> None:
    for _ in range(5):
        assert not auth.attempt(db, "erna", "falsch-falsch-1").ok
    outcome = auth.attempt(db, "erna", "richtig-richtig-1")  # even the right password
    assert not outcome.ok and outcome.locked_until is not None
    message = auth.refusal_message(outcome, lambda moment: moment.strftime("%d.%m.%Y %H:%M"))
    assert f"bis {outcome.locked_until:%H:%M} Uhr" in message and "gesperrt" in message
    assert "Passwort ist falsch" not in message
    assert _actions(db)[-1] == "anmeldung_gesperrt"


def test_password_spraying_from_one_address_is_throttled(db: str) -> None:
    throttle = _throttle()
    for number in range(20):  # 20 names, one wrong guess each: no per-name lock-out helps
        assert not auth.attempt(db, f"name{number}", "Sommer2026!", ip="198.51.100.4",
                                throttle=throttle).ok
    blocked = auth.attempt(db, "erna", "richtig-richtig-1", ip="198.51.100.4", throttle=throttle)
    assert not blocked.ok and blocked.ip_blocked_seconds > 0
    assert "zu viele fehlgeschlagene" in auth.refusal_message(blocked, str)
    assert _actions(db)[-1] == "anmeldung_ip_gesperrt"
    # another office's address is not affected
    assert auth.attempt(db, "erna", "richtig-richtig-1", ip="198.51.100.5", throttle=throttle).ok


def test_throttle_is_shared_by_console_instances_through_redis(db: str) -> None:
    scope = f"shared-{uuid.uuid4().hex}"
    settings = SimpleNamespace(login_max_failures=5, login_lockout_seconds=900,
                               redis_url="redis://127.0.0.1:6379/0")
    first, second = LoginThrottle(settings, scope), LoginThrottle(settings, scope)
    assert first.by_ip.backend == "redis"
    for number in range(20):
        auth.attempt(db, f"n{number}", "x", ip="198.51.100.9", throttle=first)
    assert auth.attempt(db, "erna", "richtig-richtig-1", ip="198.51.100.9",
                        throttle=second).ip_blocked_seconds > 0
