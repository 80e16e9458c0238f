"""A tiny static server for the chat widget and the demo city page.

    python -m web.server            # port and chat server from the settings (QL_WEB_PORT, …)

Serves only a fixed list of files (no directory listing, no path traversal) with security
headers: a Content-Security-Policy that allows scripts and styles from this origin only and
network requests only to our own Rasa server. No third-party origin anywhere. Widget files are
marked `Cross-Origin-Resource-Policy: cross-origin` so city pages on other origins can embed
them; gzip is used when the browser accepts it.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import html
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.content.facts import value as fact_value
from quartierslotse.settings import Settings, get_settings
from security.headers import security_headers, widget_csp

WEB_ROOT = Path(__file__).resolve().parent
DEMO_COLOR = "#00507d"


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    content_type: str
    etag: str
    embeddable: bool  # loaded by city pages on other origins


def _asset(body: bytes, content_type: str, embeddable: bool) -> Asset:
    return Asset(
        body,
        gzip.compress(body, 9, mtime=0),
        content_type,
        '"' + hashlib.sha256(body).hexdigest()[:20] + '"',
        embeddable,
    )


def help_phone(settings: Settings, municipality: str) -> str:
    """Whom the widget names when the chat cannot be reached: the municipality's hotline from
    the knowledge base, else the hotline the bot names when a part of it fails."""
    try:
        from knowledge.db import open_session
        from knowledge.queries import municipality_hotline

        with open_session(settings.database_url) as session:
            hotline = municipality_hotline(session, municipality)
    except Exception:  # noqa: BLE001 - no knowledge base here (a fresh var dir): the fallback
        hotline = None
    if hotline is not None and hotline.phone:
        hours = f" ({hotline.hours})" if hotline.hours else ""
        return f"Stadt {hotline.municipality} {hotline.phone}{hours}"
    from bot.content.texts import fallback_hotline

    return fallback_hotline(settings)


def render_demo_page(settings: Settings, municipality: str = "Dortmund") -> bytes:
    template = (WEB_ROOT / "demo" / "index.html").read_text(encoding="utf-8")
    values = {
        "HELP_PHONE": help_phone(settings, municipality),
        "NOTRUF": fact_value("phones.notruf.number"),
        "SERVER_URL": settings.widget_server_url,
        "MUNICIPALITY": municipality,
        "COLOR": DEMO_COLOR,
        "RETENTION_DAYS": str(getattr(settings, "retention_days", 30)),
        "MAX_CHARS": str(getattr(settings, "max_message_chars", 1000)),
    }
    for key, value in values.items():
        template = template.replace("{{" + key + "}}", html.escape(value, quote=True))
    return template.encode("utf-8")


def load_assets(settings: Settings) -> dict[str, Asset]:
    widget = WEB_ROOT / "widget"
    return {
        "/": _asset(render_demo_page(settings), "text/html; charset=utf-8", False),
        "/demo.css": _asset(
            (WEB_ROOT / "demo" / "demo.css").read_bytes(), "text/css; charset=utf-8", False
        ),
        "/widget/quartierslotse.js": _asset(
            (widget / "quartierslotse.js").read_bytes(), "text/javascript; charset=utf-8", True
        ),
        "/widget/quartierslotse.css": _asset(
            (widget / "quartierslotse.css").read_bytes(), "text/css; charset=utf-8", True
        ),
    }


def create_app(settings: Settings) -> web.Application:
    assets = load_assets(settings)
    csp = widget_csp([settings.widget_server_url])

    async def serve(request: web.Request) -> web.StreamResponse:
        if request.path == "/health":
            return web.json_response({"status": "ok"}, headers=security_headers(csp))
        asset = assets.get(request.path)
        if asset is None:
            return web.Response(
                status=404, text="Diese Seite gibt es nicht.", headers=security_headers(csp)
            )
        headers = security_headers(csp, corp="cross-origin" if asset.embeddable else "same-origin")
        headers.update(
            {
                "Content-Type": asset.content_type,
                "ETag": asset.etag,
                "Cache-Control": "no-cache",
                "Vary": "Accept-Encoding",
            }
        )
        if request.headers.get("If-None-Match") == asset.etag:
            return web.Response(status=304, headers=headers)
        body = asset.body
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            body = asset.gzipped
            headers["Content-Encoding"] = "gzip"
        return web.Response(body=body, headers=headers)

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve)
    return app


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(description="Demo-Seite mit dem Chat-Fenster")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=settings.web_port)
    args = parser.parse_args(argv)
    web.run_app(create_app(settings), host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
