"""The local demo advisor for `make run`: a fresh generated password on every start."""

from __future__ import annotations

from advisor import auth
from handoff.service import ensure_schema
from quartierslotse.settings import Settings


def ensure_demo_advisor(settings: Settings) -> str | None:
    """Create (or reset) the demo account and return its new password; None if disabled."""
    username = settings.console_demo_advisor
    if not username:
        return None
    ensure_schema(settings.database_url)
    password = auth.generate_password()
    if not auth.set_password(settings.database_url, username, password):
        auth.create_advisor(settings.database_url, username, "Demo-Beratung",
                            settings.console_demo_municipality, password)
    return password
