"""The local demo advisor for `make run`: a fresh generated password on every start.

The demo account is a municipality admin, so a newcomer sees both the queue and the insight
report (/insight) of the demo municipality."""

from __future__ import annotations

from advisor import auth
from handoff.models import ROLE_MUNICIPALITY_ADMIN
from handoff.service import ensure_schema
from quartierslotse.settings import Settings

DEMO_ROLE = ROLE_MUNICIPALITY_ADMIN


def ensure_demo_advisor(settings: Settings) -> str | None:
    """Create (or reset) the demo account and return its new password; None if disabled."""
    username = settings.console_demo_advisor
    if not username:
        return None
    ensure_schema(settings.database_url)
    password = auth.generate_password()
    if auth.set_password(settings.database_url, username, password):
        # an account from before roles existed has the default role "advisor"
        auth.set_role(settings.database_url, username, DEMO_ROLE)
    else:
        auth.create_advisor(settings.database_url, username, "Demo-Beratung",
                            settings.console_demo_municipality, password, role=DEMO_ROLE)
    return password
