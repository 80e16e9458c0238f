"""One call for public channels: rate limits, sender-id check and input guard.

    guard = ChannelGuard(get_settings(), "webchat")          # once, at channel creation
    admission = await guard.admit(request, sender, text,
                                  tracker_store=request.app.ctx.agent.tracker_store)
    if not admission.allowed:
        return admission.response()                           # 400/429 with German text
    text = admission.text                                     # hand this to Rasa
    for notice in admission.notices: ...                      # e.g. "message was cut"

Telegram and other webhooks whose caller is not the user should not answer 429 (the caller
would retry); they send `admission.message` to the user instead.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from safety.emergency import ACUTE_DANGER_METADATA, assess
from security.input_guard import (
    GuardResult,
    guard_for_tracker,
    guard_text,
    valid_sender_id,
)
from security.rate_limit import RATE_LIMIT_MESSAGE, limiter_for

IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

# Fixed buttons of our own front ends (not sent by the bot, always offered):
# the widget's start message and its "Mit einem Menschen sprechen" button; Telegram's
# /start and /mensch commands, which the channel maps to these payloads.
ENTRY_PAYLOADS = {
    "webchat": ("/greet", "/request_human"),
    "telegram": ("/greet", "/request_human"),
}

INVALID_SENDER_MESSAGE = "Diese Unterhaltung ist ungültig. Bitte laden Sie die Seite neu."


@dataclass
class Admission:
    allowed: bool
    status: int = 200
    text: str = ""
    message: str = ""  # German text for the user when refused
    retry_after: int = 0
    notices: list[str] = field(default_factory=list)
    guard: GuardResult | None = None

    def response(self) -> Any:
        """A Sanic JSON response for a refused request (German message, no internals)."""
        from sanic import response

        headers = {"Retry-After": str(self.retry_after)} if self.retry_after else {}
        # "error" is what the widget shows; "code" is for programs
        return response.json(
            {"error": self.message,
             "code": "rate_limited" if self.status == 429 else "invalid_request",
             "messages": [{"role": "system", "text": self.message}]},
            status=self.status,
            headers=headers,
        )


def parse_networks(spec: str | Iterable[str]) -> list[IPNetwork]:
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    networks: list[IPNetwork] = []
    for item in items:
        item = item.strip()
        if item:
            networks.append(ipaddress.ip_network(item, strict=False))
    return networks


def client_ip(request: Any, trusted_proxies: list[IPNetwork]) -> str:
    """The client's address; X-Forwarded-For is only believed from a trusted proxy."""
    remote = getattr(request, "ip", "") or ""
    if not trusted_proxies or not _in(remote, trusted_proxies):
        return remote
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    # walk from the right: the first hop that is not one of our proxies is the client
    for hop in reversed(hops):
        if not _in(hop, trusted_proxies):
            return hop
    return hops[0] if hops else remote


def _in(address: str, networks: list[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def rasa_metadata(text: str, client: dict[str, Any] | None) -> dict[str, Any] | None:
    """The metadata handed to Rasa with a user message: the client's own keys, without the
    ones only the server may set, plus whether the message shows acute danger (read by
    actions/session.py, so a first message "Mein Mann ist gestürzt" gets 112 before the
    greeting)."""
    metadata = {key: value for key, value in (client or {}).items()
                if key != ACUTE_DANGER_METADATA}
    if text and assess(text).is_acute:
        metadata[ACUTE_DANGER_METADATA] = True
    return metadata or None


class ChannelGuard:
    def __init__(self, settings: Any, channel: str,
                 entry_payloads: Iterable[str] | None = None) -> None:
        self.channel = channel
        self.entry_payloads = tuple(
            ENTRY_PAYLOADS.get(channel, ()) if entry_payloads is None else entry_payloads)
        self.max_chars = int(getattr(settings, "max_message_chars", 1000))
        self.per_sender = limiter_for(
            settings, f"{channel}-sender", int(getattr(settings, "rate_limit_messages", 20))
        )
        self.per_ip = limiter_for(
            settings, f"{channel}-ip", int(getattr(settings, "rate_limit_per_ip", 120))
        )
        self.trusted_proxies = parse_networks(getattr(settings, "trusted_proxies", ""))

    async def check_rate(self, sender: str, ip: str = "") -> Admission:
        """Rate limits only (for channels that guard text themselves)."""
        # security: without QL_TRUSTED_PROXIES the direct peer is the client, loopback
        # included (a local reverse proxy must be listed there, see docs/security.md)
        for limiter, key in ((self.per_ip, ip), (self.per_sender, sender)):
            if not key:
                continue
            decision = await limiter.ahit(key)
            if not decision.allowed:
                return Admission(False, 429, message=RATE_LIMIT_MESSAGE,
                                 retry_after=decision.retry_after)
        return Admission(True)

    async def admit(
        self,
        request: Any,
        sender: Any,
        text: Any,
        tracker_store: Any = None,
        offered_payloads: Iterable[str] | None = None,
    ) -> Admission:
        if not valid_sender_id(sender):
            return Admission(False, 400, message=INVALID_SENDER_MESSAGE)
        ip = client_ip(request, self.trusted_proxies) if request is not None else ""
        rate = await self.check_rate(sender, ip)
        if not rate.allowed:
            return rate
        if offered_payloads is not None:
            result = guard_text(text, [*offered_payloads, *self.entry_payloads], self.max_chars)
        else:
            result = await guard_for_tracker(tracker_store, sender, text, self.max_chars,
                                             self.entry_payloads)
        return Admission(True, 200, text=result.text, notices=result.notices(self.max_chars),
                         guard=result)
