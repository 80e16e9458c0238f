"""Security headers and Content-Security-Policies for the Sanic apps (widget server, console).

The one source of every policy: advisor/app.py uses `console_csp()` (also for /static),
insight/web.py `insight_csp()`, the widget server `widget_csp()`.

    from security.headers import install_security_headers, console_csp
    install_security_headers(app, console_csp())

The policies allow no inline script, no eval, no third-party origin: the widget and the console
load everything from their own origin and talk only to our own Rasa server.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def allowed_origins(settings: Any) -> list[str]:
    """City origins allowed to embed the widget / call the chat API (CORS).

    `QL_ALLOWED_ORIGINS` (comma-separated); empty: only the local demo page of `make run`.
    """
    configured = [
        o.strip().rstrip("/") for o in str(getattr(settings, "allowed_origins", "")).split(",")
    ]
    origins = [o for o in configured if o]
    if origins:
        return origins
    port = getattr(settings, "web_port", 8080)
    return [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]


def build_csp(directives: dict[str, Iterable[str]]) -> str:
    return "; ".join(
        f"{name} {' '.join(values)}".strip() for name, values in directives.items()
    )


def console_csp() -> str:
    """Advisor console: own origin only, no inline script/style, no framing."""
    return build_csp({
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    })


def insight_csp() -> str:
    """Insight report pages (/insight): no script at all (server-rendered SVG charts)."""
    return build_csp({
        "default-src": ["'none'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    })


def widget_csp(chat_api_urls: Iterable[str], frame_ancestors: Iterable[str] = ("'self'",)) -> str:
    """Widget and demo page: scripts/styles from the own origin, XHR only to our chat API."""
    connect = ["'self'", *sorted({origin_of(u) or u for u in chat_api_urls if u})]
    return build_csp({
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": connect,
        "form-action": ["'self'"],
        "frame-ancestors": list(frame_ancestors),
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    })


def security_headers(
    csp: str, hsts: bool = False, frame_deny: bool = True, corp: str = "same-origin"
) -> dict[str, str]:
    """`corp="cross-origin"` for files that city pages embed (the widget script)."""
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": corp,
    }
    if frame_deny:
        headers["X-Frame-Options"] = "DENY"
    if hsts:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


def install_security_headers(
    app: Any,
    csp: str,
    hsts: bool = False,
    frame_deny: bool = True,
    no_store: bool = False,
    corp: str = "same-origin",
    extra: dict[str, str] | None = None,
) -> None:
    """Add the headers to every response of the Sanic `app` (existing values are kept,
    so a route may set a more specific policy)."""
    headers = security_headers(csp, hsts, frame_deny, corp)
    headers.update(extra or {})

    async def add_headers(request: Any, response: Any) -> None:
        for name, value in headers.items():
            if name not in response.headers:
                response.headers[name] = value
        if no_store and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"

    app.register_middleware(add_headers, "response")
