"""The demo page server: fixed files only, security headers, no third-party origin."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from quartierslotse.settings import Settings
from web.server import create_app

WIDGET = Path(__file__).resolve().parents[2] / "web" / "widget"


async def client(tmp_path: Path) -> TestClient:
    settings = Settings(var_dir=tmp_path, widget_server_url="https://bot.stadt.example")
    test_client = TestClient(TestServer(create_app(settings)))
    await test_client.start_server()
    return test_client


async def test_demo_page_embeds_the_widget_with_a_strict_policy(tmp_path: Path) -> None:
    c = await client(tmp_path)
    try:
        resp = await c.get("/")
        page = await resp.text()
        csp = resp.headers["Content-Security-Policy"]
    finally:
        await c.close()
    assert resp.status == 200
    assert 'data-server="https://bot.stadt.example"' in page
    assert "script-src 'self';" in csp and "unsafe" not in csp
    assert "connect-src 'self' https://bot.stadt.example;" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    # nothing on the page or in the widget points to another origin
    sources = (
        page
        + (WIDGET / "quartierslotse.js").read_text()
        + (WIDGET / "quartierslotse.css").read_text()
    )
    hosts = {
        re.sub(r"^https?://", "", u).split("/")[0]
        for u in re.findall(r"https?://[^\s\"')<>]+", sources)
    }
    # the SVG namespace is an identifier, never fetched; stadt.example are doc examples
    assert {h for h in hosts if not h.endswith("stadt.example")} <= {"www.w3.org"}


async def test_widget_is_embeddable_and_gzipped(tmp_path: Path) -> None:
    c = await client(tmp_path)
    try:
        resp = await c.get(
            "/widget/quartierslotse.js", headers={"Accept-Encoding": "gzip"}, auto_decompress=False
        )
        body = await resp.read()
        etag = resp.headers["ETag"]
        again = await c.get("/widget/quartierslotse.js", headers={"If-None-Match": etag})
    finally:
        await c.close()
    assert resp.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert resp.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == (WIDGET / "quartierslotse.js").read_bytes()
    assert again.status == 304


async def test_only_known_files_are_served(tmp_path: Path) -> None:
    c = await client(tmp_path)
    try:
        statuses = [
            (await c.get(path)).status
            for path in [
                "/server.py",
                "/widget/",
                "/../quartierslotse/settings.py",
                "/demo/index.html",
            ]
        ]
    finally:
        await c.close()
    assert statuses == [404, 404, 404, 404]
