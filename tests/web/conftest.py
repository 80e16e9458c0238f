"""Browser fixtures: the demo page (once per session), one headless Chromium, axe-core.

Chromium is Debian's (/usr/bin/chromium); Playwright never downloads a browser. axe-core is
installed from the npm registry into build/ (not committed) the first time it is needed.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from quartierslotse.settings import PROJECT_ROOT, Settings
from runtime import processes
from runtime.services import web_server
from tests.conftest import free_port
from tests.support.browser import chromium
from tests.web.fake_webchat import FakeWebchat
from web.server import create_app

AXE_DIR = PROJECT_ROOT / "build" / "axe-core"
AXE_VERSION = "4.10"
SCREENSHOT_DIR = PROJECT_ROOT / "build" / "screenshots"


def axe_source() -> str:
    script = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            # a failure, not a skip: the accessibility checks must not vanish unnoticed
            pytest.fail("npm fehlt: axe-core kann nicht installiert werden "
                        "(scripts/install_system_deps.sh installiert npm)")
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--silent",
                "--prefix",
                str(AXE_DIR),
                f"axe-core@{AXE_VERSION}",
            ],
            check=True,
            timeout=300,
        )
    return script.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def axe() -> str:
    return axe_source()


@pytest.fixture(scope="session")
def demo_site(bot_stack: Settings) -> Iterator[str]:
    """URL of the demo city page. The bot stack usually serves it already (default_services);
    if not, it is started here once for the session."""
    service = web_server(bot_stack)
    running = None
    if not processes.is_healthy(service.health_url):
        running = processes.start(service, bot_stack, bot_stack.var_dir / "logs")
        processes.wait_healthy(running, timeout=60)
    try:
        yield f"http://127.0.0.1:{bot_stack.web_port}/"
    finally:
        if running is not None:
            processes.stop(running)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium per test module. Not per session: Playwright's sync API keeps
    an event loop running while it is open, which would break async tests collected later."""
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeWebchat]:
    server = FakeWebchat(delay=0.3)
    server.start(free_port())
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fake_site(fake: FakeWebchat, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real static server (web/server.py) pointing the widget at the fake."""
    settings = Settings(var_dir=tmp_path_factory.mktemp("webvar"), widget_server_url=fake.url)
    port = free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(create_app(settings))

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    yield f"http://127.0.0.1:{port}/"
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)


@pytest.fixture
def fpage(browser):  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="de-DE")
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.errors, page.requests = errors, requests  # type: ignore[attr-defined]
    yield page
    context.close()


@dataclass
class PageWatch:
    """Everything the page requested and every console error, to assert no third party."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def foreign_hosts(self) -> set[str]:
        hosts = {urllib.parse.urlsplit(u).hostname for u in self.requests}
        return {h for h in hosts if h not in {"127.0.0.1", "localhost", None}}


@pytest.fixture
def page(browser, demo_site: str):  # noqa: ANN001 - playwright objects
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="de-DE")
    page = context.new_page()
    watch = PageWatch()
    page.on(
        "request", lambda r: watch.requests.append(r.url) if not r.url.startswith("data:") else None
    )
    page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watch.errors.append(str(e)))
    page.watch = watch  # type: ignore[attr-defined]
    yield page
    context.close()


def run_axe(page, axe_js: str) -> list[dict]:  # noqa: ANN001
    """axe-core on the whole page (the widget lives in an open shadow root, axe enters it)."""
    page.evaluate(axe_js)
    result = page.evaluate(
        """async () => {
          const r = await axe.run(document, {runOnly: {type: 'tag',
              values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
          return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }"""
    )
    return json.loads(json.dumps(result))
