"""Who may see the insight report: the console's log-in, handed to insight's blueprint.

Insight does not know the console; the console passes this authenticator to
`insight.web.create_blueprint`. It takes the account of the request (set by the console's
log-in check) or, for the report's own requests, the session cookie.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sanic.request import Request

from advisor import auth
from insight.web import KNOWN_ROLES, Authenticate, InsightUser


def _user_from_advisor(advisor: Any, csrf: str) -> InsightUser:
    """The console account (handoff.models.Advisor) as an InsightUser; the role comes from the
    account's `role` column, anything unknown counts as a plain advisor (no access)."""
    role = getattr(advisor, "role", None) or "advisor"
    return InsightUser(
        name=getattr(advisor, "display_name", "") or getattr(advisor, "username", ""),
        role=role if role in KNOWN_ROLES else "advisor",
        municipality=getattr(advisor, "municipality", "") or "",
        csrf_token=csrf or "",
    )


def console_authenticator(database_url: str) -> Authenticate:
    async def authenticate(request: Request) -> InsightUser | None:
        advisor = getattr(request.ctx, "advisor", None)
        if advisor is not None:
            return _user_from_advisor(advisor, getattr(request.ctx, "csrf", ""))
        token = request.cookies.get(auth.SESSION_COOKIE, "")
        if not token:
            return None
        found = await asyncio.to_thread(auth.session_for, database_url, token)
        if found is None:
            return None
        console_session, advisor = found
        return _user_from_advisor(advisor, console_session.csrf_token)

    return authenticate


