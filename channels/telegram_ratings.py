""""War diese Antwort hilfreich?" on Telegram (channels/telegram.py uses this module).

A rateable answer (channels.ratings.rateable, with a domain response name) is recorded in
`telegram_answers` before it is sent; its last part carries an inline keyboard row
"👍 Hilfreich" / "👎 Nicht hilfreich" whose `callback_data` names that row
(`bew:<id>:h` / `bew:<id>:n`). A button press is checked against the row (it must be an answer
sent to the same chat) and stored in the shared `answer_ratings` (channel "telegram"), so it
lands in the same statistics, review queue and retention as the web chat's ratings. After
"nicht hilfreich" the bot asks "Was hat Ihnen gefehlt?" as a forced reply; a reply to that
question is stored (redacted) as the rating's text and not handed to Rasa.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from channels.outbox import ensure_schema
from channels.ratings import TelegramAnswer, now_utc, rateable, set_rating_text, store_rating
from storage.engine import session_scope

CHANNEL = "telegram"
CALLBACK_PREFIX = "bew:"
# "bew:<id>:h|n"; the id is a positive INTEGER of telegram_answers (at most 2**31 - 1)
_CALLBACK = re.compile(r"bew:([1-9][0-9]{0,9}):([hn])")
MAX_ANSWER_ID = 2**31 - 1
MAX_TELEGRAM_MESSAGE_ID = 2**63 - 1
VALUES = {"h": "hilfreich", "n": "nicht_hilfreich"}

HELPFUL_BUTTON = "👍 Hilfreich"
UNHELPFUL_BUTTON = "👎 Nicht hilfreich"
THANKS = "Danke für Ihre Rückmeldung!"
NOT_RATEABLE = "Diese Antwort kann nicht mehr bewertet werden."
RATING_FAILED = ("Ihre Rückmeldung konnte gerade nicht gespeichert werden. Bitte versuchen Sie "
                 "es später noch einmal.")
FEEDBACK_PROMPT = ("Was hat Ihnen gefehlt? Sie können kurz antworten – das ist freiwillig. "
                   "Bitte schreiben Sie keine Namen oder Telefonnummern.")
FEEDBACK_PLACEHOLDER = "Was hat gefehlt? (freiwillig)"  # Telegram: at most 64 characters
FEEDBACK_SAVED = "Danke, Ihr Hinweis ist gespeichert."
FEEDBACK_FAILED = ("Ihr Hinweis konnte gerade nicht gespeichert werden. Bitte versuchen Sie es "
                   "später noch einmal.")


def is_rating_callback(data: Any) -> bool:
    """Every callback_data with the rating prefix is the channel's own, never Rasa's (Rasa's
    payloads start with "/"); whether it is valid is `parse_callback`'s question."""
    return isinstance(data, str) and data.startswith(CALLBACK_PREFIX)


def parse_callback(data: Any) -> tuple[int, str] | None:
    """(telegram_answers id, rating value) of a well-formed rating callback, else None."""
    match = _CALLBACK.fullmatch(data) if isinstance(data, str) else None
    if match is None:
        return None
    answer_id = int(match.group(1))
    if not 1 <= answer_id <= MAX_ANSWER_ID:
        return None
    return answer_id, VALUES[match.group(2)]


def callback_data(answer_id: int, value: str) -> str:
    short = next(key for key, name in VALUES.items() if name == value)
    data = f"{CALLBACK_PREFIX}{answer_id}:{short}"
    if len(data.encode()) > 64:  # Telegram's limit; an id of telegram_answers gives <= 17 bytes
        raise ValueError(data)
    return data


def rating_row(answer_id: int) -> list[dict[str, str]]:
    return [{"text": HELPFUL_BUTTON, "callback_data": callback_data(answer_id, "hilfreich")},
            {"text": UNHELPFUL_BUTTON,
             "callback_data": callback_data(answer_id, "nicht_hilfreich")}]


def with_rating_row(markup: dict[str, Any] | None, answer_id: int) -> dict[str, Any]:
    """An inline keyboard with the rating row appended as its own row (after the answer's
    buttons)."""
    rows = list((markup or {}).get("inline_keyboard") or [])
    return {"inline_keyboard": [*rows, rating_row(answer_id)]}


def without_rating_row(markup: Any) -> dict[str, Any]:
    """The inline keyboard of a rated message without its rating row: the answer's own buttons
    (as Telegram reports them in the callback's message) stay; anything malformed is dropped.
    An empty keyboard removes the buttons."""
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    kept = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, list):
            continue
        buttons = [{"text": b["text"], "callback_data": b["callback_data"]} for b in row
                   if isinstance(b, dict) and isinstance(b.get("text"), str)
                   and isinstance(b.get("callback_data"), str)
                   and len(b["callback_data"].encode()) <= 64]
        if buttons and not any(is_rating_callback(b["callback_data"]) for b in buttons):
            kept.append(buttons)
    return {"inline_keyboard": kept}


def feedback_prompt_markup() -> dict[str, Any]:
    return {"force_reply": True, "input_field_placeholder": FEEDBACK_PLACEHOLDER}


def valid_message_id(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 1 <= value <= MAX_TELEGRAM_MESSAGE_ID else None


class TelegramRatings:
    """Blocking database side (run it in a thread): the answers sent, their ratings and the
    feedback question after "nicht hilfreich"."""

    def __init__(self, url: str) -> None:
        self.url = url
        ensure_schema(url)

    def record_answer(self, sender: str, response: str) -> int:
        """A rateable answer about to be sent to chat `sender`; its id goes into the buttons."""
        with session_scope(self.url) as session:
            answer = TelegramAnswer(sender=sender, response=response[:128], created_at=now_utc())
            session.add(answer)
            session.flush()
            return int(answer.id)

    def rate(self, sender: str, answer_id: int, value: str) -> bool:
        """Store (or replace) the rating of answer `answer_id`; False when it is no rateable
        answer sent to chat `sender` (unknown, another chat's, deleted after the retention
        period). A new rating ends a feedback question asked before."""
        with session_scope(self.url) as session:
            answer = session.get(TelegramAnswer, answer_id)
            if answer is None or answer.sender != sender or not answer.response \
                    or not rateable("bot", answer.response):
                return False
            store_rating(session, CHANNEL, sender, answer_id, answer.response, value)
            answer.feedback_prompt_id = None
            return True

    def set_feedback_prompt(self, sender: str, answer_id: int, prompt_id: int) -> None:
        with session_scope(self.url) as session:
            answer = session.get(TelegramAnswer, answer_id)
            if answer is not None and answer.sender == sender:
                answer.feedback_prompt_id = prompt_id

    def prompted_answer(self, sender: str, prompt_id: int) -> int | None:
        """The answer whose feedback question of chat `sender` has Telegram id `prompt_id`."""
        with session_scope(self.url) as session:
            return session.scalars(
                select(TelegramAnswer.id).where(TelegramAnswer.sender == sender,
                                                TelegramAnswer.feedback_prompt_id == prompt_id)
                .order_by(TelegramAnswer.id.desc()).limit(1)).first()

    def set_feedback(self, sender: str, answer_id: int, text: str) -> bool:
        """The answer to "Was hat Ihnen gefehlt?" as the text of the "nicht hilfreich" rating
        (redacted and cut to MAX_RATING_TEXT by channels.ratings); a second reply replaces
        the first. False when that rating is gone."""
        with session_scope(self.url) as session:
            answer = session.get(TelegramAnswer, answer_id)
            if answer is None or answer.sender != sender:
                return False
            return set_rating_text(session, CHANNEL, answer_id, text)


_stores: dict[str, TelegramRatings] = {}


def get_store(url: str) -> TelegramRatings:
    if url not in _stores:
        _stores[url] = TelegramRatings(url)
    return _stores[url]
