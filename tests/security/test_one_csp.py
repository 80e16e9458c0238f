"""One source for every Content-Security-Policy (security/headers.py); the console's static
files carry it too."""

from __future__ import annotations

import re

from quartierslotse.settings import PROJECT_ROOT
from security.headers import console_csp, insight_csp

POLICY_LITERAL = re.compile(r"(default-src|script-src)\s+'")


def test_no_sanic_app_writes_its_own_policy() -> None:
    offenders = []
    for path in PROJECT_ROOT.glob("*/**/*.py"):
        parts = path.relative_to(PROJECT_ROOT).parts
        if parts[0] in {".venv", "tests", "build"} or parts == ("security", "headers.py"):
            continue
        if POLICY_LITERAL.search(path.read_text(errors="replace")):
            offenders.append(str(path.relative_to(PROJECT_ROOT)))
    assert offenders == []


def test_console_and_insight_use_the_shared_policies() -> None:
    from advisor import app
    from insight import web

    assert app.SECURITY_HEADERS["Content-Security-Policy"] == console_csp()
    assert web.HEADERS["Content-Security-Policy"] == insight_csp()
    assert "script-src" not in insight_csp()



def test_console_static_files_and_redirects_get_the_csp() -> None:
    """BASELINE_HEADERS are added to every console response (also app.static, redirects)."""
    from advisor.app import BASELINE_HEADERS

    assert BASELINE_HEADERS["Content-Security-Policy"] == console_csp()
