"""Per-client sliding windows, in memory and shared through Redis; log-in brute force."""

from __future__ import annotations

import uuid

import pytest
import redis

from security.rate_limit import LoginThrottle, SlidingWindowLimiter, client_key

REDIS_URL = "redis://127.0.0.1:6379/0"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
def make_limiter(request: pytest.FixtureRequest):
    prefix = f"ql-test-{uuid.uuid4().hex}"
    created: list[SlidingWindowLimiter] = []

    def make(limit: int, window: float, clock: Clock) -> SlidingWindowLimiter:
        url = REDIS_URL if request.param == "redis" else ""
        limiter = SlidingWindowLimiter("test", limit, window, url, clock=clock, key_prefix=prefix)
        assert limiter.backend == request.param
        created.append(limiter)
        return limiter

    yield make
    if request.param == "redis":
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


def test_limit_engages_and_window_slides(make_limiter) -> None:
    clock = Clock()
    limiter = make_limiter(3, 60, clock)
    assert [limiter.hit("alice").allowed for _ in range(3)] == [True, True, True]
    refused = limiter.hit("alice")
    assert not refused.allowed and 1 <= refused.retry_after <= 60
    assert limiter.hit("bob").allowed  # other clients are not affected
    clock.now += 30
    assert not limiter.hit("alice").allowed
    clock.now += 31  # the first three hits left the window
    assert limiter.hit("alice").allowed


def test_refused_requests_do_not_extend_the_block(make_limiter) -> None:
    clock = Clock()
    limiter = make_limiter(2, 10, clock)
    limiter.hit("c"), limiter.hit("c")
    for _ in range(20):
        clock.now += 0.4
        assert not limiter.hit("c").allowed
    clock.now += 2.5  # 10.5 s after the two allowed hits
    assert limiter.hit("c").allowed


def test_redis_window_is_shared_between_replicas() -> None:
    prefix = f"ql-test-{uuid.uuid4().hex}"
    clock = Clock()
    one = SlidingWindowLimiter("shared", 4, 60, REDIS_URL, clock=clock, key_prefix=prefix)
    two = SlidingWindowLimiter("shared", 4, 60, REDIS_URL, clock=clock, key_prefix=prefix)
    try:
        assert one.hit("x").allowed and two.hit("x").allowed
        assert one.hit("x").allowed and two.hit("x").allowed
        assert not one.hit("x").allowed and not two.hit("x").allowed
        # the client id is not stored in clear text
        keys = [k.decode() for k in redis.Redis.from_url(REDIS_URL).scan_iter(f"{prefix}:*")]
        assert keys == [f"{prefix}:shared:{client_key('x')}"]
    finally:
        one.reset("x")


def test_unreachable_redis_falls_back_to_memory_limits() -> None:
    limiter = SlidingWindowLimiter("down", 2, 60, "redis://127.0.0.1:1/0", clock=Clock())
    assert limiter.hit("x").allowed and limiter.hit("x").allowed
    assert not limiter.hit("x").allowed


class ThrottleSettings:
    redis_url = ""
    login_max_failures = 3
    login_lockout_seconds = 900


def test_login_throttle_locks_user_after_failures_and_resets_on_success() -> None:
    throttle = LoginThrottle(ThrottleSettings())
    for _ in range(3):
        assert throttle.locked("Anna", "10.0.0.1").allowed
        throttle.failed("Anna", "10.0.0.1")
    locked = throttle.locked("anna ", "10.0.0.9")  # same user from another IP, other spelling
    assert not locked.allowed
    assert "Minuten" in LoginThrottle.message(locked)
    assert throttle.locked("bert", "10.0.0.9").allowed


def test_login_throttle_locks_an_ip_spraying_user_names() -> None:
    throttle = LoginThrottle(ThrottleSettings())
    for i in range(12):
        throttle.failed(f"user{i}", "203.0.113.5")
    assert not throttle.locked("someone-else", "203.0.113.5").allowed
    assert throttle.locked("someone-else", "198.51.100.7").allowed


# --- the channel guard: what a public channel does per request ------------------------------

class FakeRequest:
    def __init__(self, ip: str, forwarded: str = "") -> None:
        self.ip = ip
        self.headers = {"x-forwarded-for": forwarded} if forwarded else {}


class GuardSettings:
    redis_url = ""
    max_message_chars = 50
    rate_limit_messages = 3
    rate_limit_per_ip = 5
    rate_limit_window_seconds = 60
    trusted_proxies = ""


async def test_channel_guard_limits_per_sender_and_per_ip() -> None:
    from security.channel_guard import ChannelGuard

    guard = ChannelGuard(GuardSettings(), "test")
    results = [await guard.admit(FakeRequest("203.0.113.9"), "sender-aaaa", "Hallo")
               for _ in range(4)]
    assert [r.allowed for r in results] == [True, True, True, False]
    assert results[-1].status == 429 and "Moment" in results[-1].message
    assert results[-1].retry_after > 0
    # the same IP rotating sender ids is stopped by the per-IP window (5 requests in total,
    # the refused one included: flooding counts)
    others = [await guard.admit(FakeRequest("203.0.113.9"), f"sender-{i:04d}", "Hallo")
              for i in range(3)]
    assert [r.allowed for r in others] == [True, False, False]


async def test_forwarded_for_is_only_believed_from_trusted_proxies() -> None:
    from security.channel_guard import ChannelGuard

    settings = GuardSettings()
    settings.trusted_proxies = "10.0.0.0/8"
    guard = ChannelGuard(settings, "test-proxy")
    # behind our proxy, each real client gets its own window
    for client in ("198.51.100.1", "198.51.100.2"):
        for i in range(5):
            assert (await guard.admit(FakeRequest("10.0.0.2", f"{client}"),
                                      f"s-{client}-{i}", "x")).allowed
    # a client spoofing X-Forwarded-For directly (not through our proxy) is limited by its own IP
    spoofed = [await guard.admit(FakeRequest("203.0.113.50", f"192.0.2.{i}"), f"spoof-{i:04d}", "x")
               for i in range(6)]
    assert [r.allowed for r in spoofed] == [True] * 5 + [False]


async def test_channel_guard_refuses_bad_sender_ids_and_neutralises_text() -> None:
    from security.channel_guard import ChannelGuard

    guard = ChannelGuard(GuardSettings(), "test-text")
    assert (await guard.admit(FakeRequest("203.0.113.1"), "../etc/passwd", "x")).status == 400
    admitted = await guard.admit(FakeRequest("203.0.113.1"), "sender-bbbb",
                                 '/restart{"x": 1}' + "a" * 100, offered_payloads=[])
    assert admitted.allowed and not admitted.text.startswith("/")
    assert len(admitted.text) <= 50 and admitted.notices
