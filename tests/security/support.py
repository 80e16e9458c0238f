"""Helpers for the security suite: an HTTP client that never raises on 4xx/5xx, console log-in."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import requests

from quartierslotse.settings import Settings


def console_base(settings: Settings) -> str:
    return settings.console_url.split()[0].rstrip("/")


@dataclass
class Advisor:
    username: str
    password: str
    municipality: str


def make_advisor(settings: Settings, municipality: str) -> Advisor:
    from advisor import auth

    name = f"sec-{municipality.lower()}-{uuid.uuid4().hex[:8]}"
    password = "Sicher-" + uuid.uuid4().hex
    auth.create_advisor(settings.database_url, name, f"Test {municipality}", municipality, password)
    return Advisor(name, password, municipality)


class Console:
    """A logged-in (or anonymous) browser-like client of the advisor console."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.headers["Origin"] = base
        self.csrf = ""

    def login(self, advisor: Advisor, password: str | None = None) -> requests.Response:
        reply = self.http.post(f"{self.base}/login", allow_redirects=False, timeout=30,
                               data={"username": advisor.username,
                                     "password": (advisor.password if password is None
                                                  else password)})
        if reply.status_code in (302, 303):
            page = self.http.get(f"{self.base}/", timeout=30)
            found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            self.csrf = found.group(1) if found else ""
        return reply

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(f"{self.base}{path}", allow_redirects=False, timeout=30, **kwargs)

    def post(self, path: str, data: dict | None = None, json: dict | None = None,
             csrf: bool = True, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if csrf and json is not None:
            headers["X-CSRF-Token"] = self.csrf
        if csrf and data is not None:
            data = {**data, "csrf_token": self.csrf}
        return self.http.post(f"{self.base}{path}", data=data, json=json, headers=headers,
                              allow_redirects=False, timeout=30, **kwargs)
