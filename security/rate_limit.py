"""Per-client sliding-window rate limits.

Backed by Redis when `settings.redis_url` is set (one window shared by all Rasa replicas and
console workers), in process memory otherwise. Client keys (sender ids, IP addresses, user
names) are hashed before they are used as keys, so Redis never holds them in clear text.

    limiter = limiter_for(settings, "webchat-sender", settings.rate_limit_messages)
    decision = limiter.hit(sender_id)
    if not decision.allowed:
        ...  # answer with RATE_LIMIT_MESSAGE, Retry-After: decision.retry_after
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

RATE_LIMIT_MESSAGE = (
    "Sie haben in kurzer Zeit sehr viele Nachrichten geschickt. Bitte warten Sie einen "
    "Moment und schreiben Sie mir dann noch einmal – ich bin gleich wieder für Sie da."
)
LOGIN_LOCKED_MESSAGE = (
    "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie {minutes} Minuten und "
    "versuchen Sie es dann erneut."
)

_LUA_HIT = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local member = ARGV[4]
local record = ARGV[5]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return {0, tostring(oldest[2]), count}
end
if record == '1' then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, math.ceil(window * 1000) + 1000)
  count = count + 1
end
return {1, '0', count}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # seconds until the next request would be allowed
    count: int = 0  # requests in the window (including this one when allowed)


def client_key(*parts: Any) -> str:
    """A stable, non-reversible key for a client (sha256 of the parts)."""
    joined = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class SlidingWindowLimiter:
    """At most `limit` events per `window` seconds per key."""

    def __init__(
        self,
        scope: str,
        limit: int,
        window: float,
        redis_url: str = "",
        clock: Callable[[], float] = time.time,
        key_prefix: str = "quartierslotse:rl",
    ) -> None:
        self.scope = scope
        self.limit = int(limit)
        self.window = float(window)
        self.clock = clock
        self.key_prefix = key_prefix
        self._lock = threading.Lock()
        self._memory: dict[str, deque[float]] = {}
        self._redis: Any = None
        self._script: Any = None
        if redis_url:
            try:
                import redis

                self._redis = redis.Redis.from_url(
                    redis_url, socket_timeout=1.0, socket_connect_timeout=1.0
                )
                self._script = self._redis.register_script(_LUA_HIT)
            except Exception:  # pragma: no cover - import/config errors
                logger.exception("Rate limiter: Redis not usable, falling back to memory")
                self._redis = None

    @property
    def backend(self) -> str:
        return "redis" if self._redis is not None else "memory"

    def _key(self, client: str) -> str:
        return f"{self.key_prefix}:{self.scope}:{client_key(client)}"

    # -- core -------------------------------------------------------------------------------
    def _check(self, client: str, record: bool) -> Decision:
        if self.limit <= 0:
            return Decision(True)
        now = self.clock()
        if self._redis is not None:
            try:
                allowed, oldest, count = self._script(
                    keys=[self._key(client)],
                    args=[repr(now), repr(self.window), self.limit, uuid.uuid4().hex,
                          "1" if record else "0"],
                )
                if int(allowed):
                    return Decision(True, 0, int(count))
                return Decision(False, self._retry_after(float(oldest), now), int(count))
            except Exception:
                logger.warning("Rate limiter: Redis unavailable, using in-process window")
        return self._check_memory(client, now, record)

    def _check_memory(self, client: str, now: float, record: bool) -> Decision:
        key = self._key(client)
        with self._lock:
            window = self._memory.setdefault(key, deque())
            while window and window[0] <= now - self.window:
                window.popleft()
            if len(window) >= self.limit:
                return Decision(False, self._retry_after(window[0], now), len(window))
            if record:
                window.append(now)
            if not window:
                self._memory.pop(key, None)
            if len(self._memory) > 100_000:  # bound memory under a key-spraying attack
                self._evict(now)
            return Decision(True, 0, len(window))

    def _evict(self, now: float) -> None:
        for key in [k for k, w in self._memory.items() if not w or w[-1] <= now - self.window]:
            del self._memory[key]

    def _retry_after(self, oldest: float, now: float) -> int:
        return max(1, math.ceil(oldest + self.window - now))

    # -- public API -------------------------------------------------------------------------
    def hit(self, client: str) -> Decision:
        """Count one request of `client` if it is within the limit."""
        return self._check(client, record=True)

    def peek(self, client: str) -> Decision:
        """Would a request of `client` be allowed? (counts nothing)"""
        return self._check(client, record=False)

    def reset(self, client: str) -> None:
        key = self._key(client)
        with self._lock:
            self._memory.pop(key, None)
        if self._redis is not None:
            try:
                self._redis.delete(key)
            except Exception:
                logger.warning("Rate limiter: Redis unavailable while resetting")

    async def ahit(self, client: str) -> Decision:
        if self._redis is None:
            return self.hit(client)
        return await asyncio.to_thread(self.hit, client)

    async def apeek(self, client: str) -> Decision:
        if self._redis is None:
            return self.peek(client)
        return await asyncio.to_thread(self.peek, client)


def limiter_for(
    settings: Any, scope: str, limit: int, window: float | None = None
) -> SlidingWindowLimiter:
    """A limiter configured from the settings (Redis when `redis_url` is set)."""
    return SlidingWindowLimiter(
        scope,
        limit,
        float(window if window is not None else getattr(settings, "rate_limit_window_seconds", 60)),
        redis_url=getattr(settings, "redis_url", ""),
    )


class LoginThrottle:
    """Brute-force protection for log-ins: failures per user name and per IP address.

    Check `locked()` before verifying a password (do not even verify while locked), call
    `failed()` after a wrong password and `succeeded()` after a right one.
    """

    def __init__(self, settings: Any, scope: str = "login") -> None:
        limit = int(getattr(settings, "login_max_failures", 5))
        window = float(getattr(settings, "login_lockout_seconds", 900))
        redis_url = getattr(settings, "redis_url", "")
        self.by_user = SlidingWindowLimiter(f"{scope}-user", limit, window, redis_url)
        # an IP may try a few user names (shared office network), but not spray many
        per_ip = int(getattr(settings, "login_max_failures_per_ip", limit * 4))
        self.by_ip = SlidingWindowLimiter(f"{scope}-ip", per_ip, window, redis_url)

    def locked(self, username: str, ip: str) -> Decision:
        for limiter, key in ((self.by_user, username.strip().lower()), (self.by_ip, ip)):
            decision = limiter.peek(key)
            if not decision.allowed:
                return decision
        return Decision(True)

    def failed(self, username: str, ip: str) -> None:
        self.by_user.hit(username.strip().lower())
        self.by_ip.hit(ip)

    def succeeded(self, username: str, ip: str) -> None:
        self.by_user.reset(username.strip().lower())

    @staticmethod
    def message(decision: Decision) -> str:
        return LOGIN_LOCKED_MESSAGE.format(minutes=max(1, math.ceil(decision.retry_after / 60)))
