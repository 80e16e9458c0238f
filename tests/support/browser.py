"""Headless Chromium for the browser tests: one launch recipe, and a missing browser is a
failure (scripts/install_system_deps.sh installs it), never a silent skip."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"  # screenshots to look at


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium, closed afterwards. Playwright's sync API runs an event loop while
    it is open: use it per test or per module, not per session (async tests follow)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium fehlt ({CHROMIUM}): scripts/install_system_deps.sh installiert es")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
