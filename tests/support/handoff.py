"""Test helpers for the handoff: a web chat user and an advisor using the console over HTTP,
the way the widget and a browser do."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests


@dataclass
class WebchatUser:
    rasa_url: str
    municipality: str = "Dortmund"
    sender: str = field(default_factory=lambda: f"w-{uuid.uuid4().hex[:16]}")
    last_id: int = 0

    def say(self, text: str) -> list[dict[str, Any]]:
        response = requests.post(
            f"{self.rasa_url}/webhooks/webchat/webhook",
            json={"sender": self.sender, "message": text,
                  "metadata": {"municipality": self.municipality}},
            timeout=60,
        )
        response.raise_for_status()
        messages = response.json()["messages"]
        for message in messages:
            self.last_id = max(self.last_id, message["id"])
        return messages

    def say_text(self, text: str) -> str:
        return "\n".join(m["text"] for m in self.say(text))

    def wait_for(self, role: str, timeout: float = 20.0) -> dict[str, Any]:
        """The next outbox message with this role (skipping the user's own echoes)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            params: dict[str, str | int] = {
                "sender": self.sender, "after": self.last_id,
                "timeout": max(1, int(deadline - time.monotonic()))}
            response = requests.get(
                f"{self.rasa_url}/webhooks/webchat/messages", params=params, timeout=timeout + 5,
            )
            response.raise_for_status()
            for message in response.json()["messages"]:
                self.last_id = max(self.last_id, message["id"])
                if message["role"] == role:
                    return message
        raise AssertionError(f"no {role} message within {timeout}s")

    def history(self) -> list[dict[str, Any]]:
        response = requests.get(f"{self.rasa_url}/webhooks/webchat/history",
                                params={"sender": self.sender}, timeout=10)
        response.raise_for_status()
        return response.json()["messages"]


class ConsoleClient:
    """An advisor in the console (form posts with the CSRF token, like the browser)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        self.csrf = ""

    def url(self, path: str) -> str:
        return self.base_url + path

    def login(self, username: str, password: str) -> requests.Response:
        response = self.http.post(self.url("/login"),
                                  data={"username": username, "password": password},
                                  allow_redirects=True, timeout=20)
        match = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
        self.csrf = match.group(1) if match else ""
        return response

    def post(self, path: str, **data: str) -> requests.Response:
        return self.http.post(self.url(path), data={"csrf_token": self.csrf, **data},
                              timeout=30)

    def start_duty(self) -> None:
        self.post("/duty", on="1").raise_for_status()

    def stop_duty(self) -> None:
        self.post("/duty", on="0").raise_for_status()

    def queue(self) -> list[dict[str, Any]]:
        response = self.http.get(self.url("/api/queue"), timeout=20)
        response.raise_for_status()
        return response.json()["tickets"]

    def wait_for_ticket(self, predicate, timeout: float = 15.0) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for ticket in self.queue():
                if predicate(ticket):
                    return ticket
            time.sleep(0.3)
        raise AssertionError("ticket did not appear in the console queue")

    def claim(self, ticket_id: int) -> requests.Response:
        return self.post(f"/tickets/{ticket_id}/claim")

    def reply(self, ticket_id: int, text: str) -> requests.Response:
        return self.http.post(self.url(f"/api/tickets/{ticket_id}/reply"), json={"text": text},
                              headers={"X-CSRF-Token": self.csrf}, timeout=30)

    def transcript(self, ticket_id: int, after: float = 0.0,
                   wait: float = 15.0) -> list[dict[str, Any]]:
        response = self.http.get(self.url(f"/api/tickets/{ticket_id}/transcript"),
                                 params={"after": after, "wait": wait}, timeout=wait + 10)
        response.raise_for_status()
        return response.json()["messages"]

    def wait_for_user_text(self, ticket_id: int, text: str, timeout: float = 20.0) -> float:
        """Long-poll the transcript until the user's message shows; returns its timestamp."""
        deadline = time.monotonic() + timeout
        after = 0.0
        while time.monotonic() < deadline:
            for message in self.transcript(ticket_id, after, wait=min(5.0, timeout)):
                after = max(after, message["ts"])
                if message["role"] == "user" and message["text"] == text:
                    return message["ts"]
        raise AssertionError(f"user message {text!r} not shown in the console")

    def close(self, ticket_id: int, summary: str) -> requests.Response:
        return self.post(f"/tickets/{ticket_id}/close", summary=summary)
