"""Talking to a running Rasa server through its REST channel, as an integration would."""

from __future__ import annotations

import json
import urllib.request
import uuid
from dataclasses import dataclass, field


@dataclass
class RestChat:
    base_url: str
    sender: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:12]}")
    timeout: float = 30.0

    def say(self, text: str) -> list[dict]:
        body = json.dumps({"sender": self.sender, "message": text}).encode()
        request = urllib.request.Request(
            f"{self.base_url}/webhooks/rest/webhook",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return json.loads(response.read())

    def say_text(self, text: str) -> str:
        """All bot texts of one turn joined by newlines (buttons and images left out)."""
        return "\n".join(message.get("text", "") for message in self.say(text))


def button_titles(messages: list[dict]) -> list[str]:
    return [button["title"] for message in messages for button in message.get("buttons", [])]
