""""hilfreich / nicht hilfreich" under the bot's answers, the same for every channel.

One table `answer_ratings` for all channels (`channel` + the channel's id of the rated message;
the web chat: the outbox entry, Telegram: the row of `telegram_answers`), so the statistics
(insight/report.py), the review queue of "nicht hilfreich" texts (insight/review.py) and the
retention job (privacy/retention.py) read one place. Which answers are rated (`rateable`), the
topic of an answer (`response_topic`) and how a rating is stored (`store_rating`: one per
message, a second replaces the first, the text redacted before it is stored and kept only for
"nicht hilfreich") are defined here once and used by both channels.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import BigInteger, Column, DateTime, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Session, registry
from sqlalchemy.orm.decl_api import DeclarativeMeta

mapper_registry = registry()


class Base(metaclass=DeclarativeMeta):
    """Declarative base written out so type checkers see a class (SQLAlchemy 1.4); its own
    metadata, like the outbox's (storage/migrations creates the tables)."""

    __abstract__ = True
    registry = mapper_registry
    metadata = mapper_registry.metadata
    __init__ = mapper_registry.constructor


CHANNELS = ("webchat", "telegram")
RATING_VALUES = ("hilfreich", "nicht_hilfreich")
MAX_RATING_TEXT = 300  # characters of the "Was hat gefehlt?" text
# bot messages that are no answer to a question: no "hilfreich / nicht hilfreich" under them
# (and none under the 112 message: nothing may distract from it)
NOT_RATED = frozenset({
    "utter_emergency", "utter_greet", "utter_disclosure", "utter_disclosure_after_emergency",
    "utter_goodbye",
    "utter_thank", "utter_affirm_ack", "utter_deny_ack", "utter_iamabot",
    "utter_ask_callback_consent", "utter_ask_callback_phone",
})


class Rating(Base):
    """"hilfreich / nicht hilfreich" for one bot message of one channel (one per message; a
    second rating replaces the first). Deleted with the conversation and after the retention
    period (privacy/retention.py)."""

    __tablename__ = "answer_ratings"
    __table_args__ = (UniqueConstraint("channel", "message_id",
                                       name="uq_answer_ratings_channel_message"),)
    id = Column(Integer, primary_key=True)
    channel = Column(String(16), nullable=False)  # CHANNELS
    sender = Column(String(64), nullable=False, index=True)  # conversation id ("webchat:…")
    # the channel's id of the rated bot message: OutboxEntry.id (web chat),
    # TelegramAnswer.id (Telegram)
    message_id = Column(Integer, nullable=False)
    response = Column(String(128), nullable=True)  # e.g. utter_ask_pflegegrad/pflegegeld
    topic = Column(String(32), nullable=True)  # insight topic key, e.g. "pflege"
    municipality = Column(String(128), nullable=False, default="")
    value = Column(String(16), nullable=False)  # RATING_VALUES
    text = Column(Text, nullable=False, default="")  # redacted (privacy.redaction)
    created_at = Column(DateTime, nullable=False)


class TelegramAnswer(Base):
    """A rateable bot answer sent to a Telegram chat: the rating buttons under it name this
    row, so a button press can only rate an answer that was really sent to that chat."""

    __tablename__ = "telegram_answers"
    id = Column(Integer, primary_key=True)
    sender = Column(String(64), nullable=False, index=True)  # Rasa sender id (the chat id)
    response = Column(String(128), nullable=True)  # the domain response's name
    created_at = Column(DateTime, nullable=False)
    # Telegram message_id of the "Was hat Ihnen gefehlt?" question after "nicht hilfreich"
    feedback_prompt_id = Column(BigInteger, nullable=True)


def rateable(role: str, response: str | None) -> bool:
    """Bot answers get the rating buttons; greetings, acknowledgements, callback questions,
    advisor and system messages do not."""
    return role == "bot" and (response or "") not in NOT_RATED


def response_topic(response: str | None) -> str | None:
    """The insight topic of a response: utter_ask_pflegegrad/pflegegeld -> ask_pflegegrad ->
    "pflege" (insight.topics, the same vocabulary as the statistics)."""
    if not response or not response.startswith("utter_"):
        return None
    from insight.topics import topic_for_intent

    return topic_for_intent(response[len("utter_"):].split("/", 1)[0])


def now_utc() -> datetime:
    """Naive UTC, as every DateTime column of the project stores it."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def clean_text(text: str) -> str:
    """A rating text as it may be stored: personal data redacted (privacy.redaction), then cut
    to MAX_RATING_TEXT characters (cut after redacting, so no half phone number remains)."""
    from privacy.redaction import redact

    return redact(text or "").strip()[:MAX_RATING_TEXT].strip()


def store_rating(session: Session, channel: str, sender: str, message_id: int,
                 response: str | None, value: str, text: str = "",
                 municipality: str = "") -> Rating:
    """Store (or replace) the rating of message `message_id` of `channel`; the caller has
    checked that it is a rateable bot message of conversation `sender`. Only "nicht hilfreich"
    keeps a text ("Was hat gefehlt?"), redacted here, before it is stored."""
    if value not in RATING_VALUES:
        raise ValueError(value)
    if channel not in CHANNELS:
        raise ValueError(channel)
    rating = session.scalars(select(Rating).where(Rating.channel == channel,
                                                  Rating.message_id == message_id)).first()
    if rating is None:
        rating = Rating(channel=channel, sender=sender, message_id=message_id)
        session.add(rating)
    rating.response = response
    rating.topic = response_topic(response)
    rating.municipality = (municipality or "")[:128]
    rating.value = value
    rating.text = clean_text(text) if value == "nicht_hilfreich" else ""
    rating.created_at = now_utc()
    session.flush()
    return rating


def set_rating_text(session: Session, channel: str, message_id: int, text: str) -> bool:
    """The "Was hat gefehlt?" text given after a "nicht hilfreich" rating (redacted here);
    False when that message has no "nicht hilfreich" rating (any more)."""
    rating = session.scalars(select(Rating).where(Rating.channel == channel,
                                                  Rating.message_id == message_id)).first()
    if rating is None or rating.value != "nicht_hilfreich":
        return False
    rating.text = clean_text(text)
    rating.created_at = now_utc()
    return True
