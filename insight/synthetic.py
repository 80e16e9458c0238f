"""Synthetic conversations in Rasa's tracker-store format, with known counts.

Used by the tests and the benchmark (and for a demo report): `generate()` writes the events
table exactly as Rasa's SQLTrackerStore does (type_name, intent_name, action_name, data JSON of
`Event.as_dict()`) and returns an `Expected` with the counts an aggregation must find.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from insight.topics import topic_for_intent

EVENTS_METADATA = sa.MetaData()
EVENTS_TABLE = sa.Table(  # same definition as rasa.core.tracker_store.SQLTrackerStore.SQLEvent
    "events",
    EVENTS_METADATA,
    sa.Column("id", sa.Integer, sa.Sequence("events_seq"), primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)

MUNICIPALITIES = ("Dortmund", "Oberhausen", "Krefeld", "Hamburg")
OFFICES = {
    "Dortmund": ("Seniorenbüro Hörde", "Seniorenbüro Innenstadt-Nord", "Seniorenbüro Aplerbeck"),
    "Oberhausen": ("Quartiersbüro Alstaden", "Quartiersbüro Sterkrade"),
    "Krefeld": ("Quartiershelfer Südweststadt",),
    "Hamburg": ("Qplus Altona",),
}
TOPIC_INTENTS = (
    ("ask_pflegegrad", "Wie beantrage ich einen Pflegegrad?", "ask_pflegegrad/antrag"),
    ("ask_vorsorgevollmacht", "Was ist eine Vorsorgevollmacht?", None),
    ("ask_begegnung", "Gibt es einen Seniorentreff in der Nähe?", None),
    ("ask_wohnen", "Wer hilft beim Umbau der Wohnung?", None),
    ("find_office", "Welches Büro ist für mich zuständig?", None),
    ("ask_opening_hours", "Wann hat das Seniorenbüro geöffnet?", None),
)
MISUNDERSTOOD = (
    "Meine Nummer ist 0231 5012345, bitte zurückrufen",
    "kann mir jemand beim Formular von der Kasse helfen, oma.erna@example.de",
    "ich bin am 03.04.1941 geboren, steht mir was zu",
    "Überweisung an DE89 3704 0044 0532 0130 00 klappt nicht",
    "wie wird das Wetter morgen",
    "Fußpflege Hausbesuch",
)


@dataclass
class Expected:
    conversations: int = 0
    users: int = 0
    messages: int = 0
    fallback_messages: int = 0
    handoffs: int = 0
    by_channel: Counter = field(default_factory=Counter)
    by_municipality: Counter = field(default_factory=Counter)
    by_office: Counter = field(default_factory=Counter)
    by_topic: Counter = field(default_factory=Counter)  # messages per topic
    by_day: Counter = field(default_factory=Counter)  # conversations per local day
    handoff_reasons: Counter = field(default_factory=Counter)
    heatmap: Counter = field(default_factory=Counter)  # messages per (weekday, hour)
    wait_seconds: list[float] = field(default_factory=list)
    review_texts: list[str] = field(default_factory=list)
    events: int = 0


def create_events_table(engine: Engine) -> None:
    EVENTS_METADATA.create_all(engine)


class _Writer:
    def __init__(self, engine: Engine, batch: int = 20_000) -> None:
        self.engine = engine
        self.batch = batch
        self.rows: list[dict[str, Any]] = []
        self.count = 0

    def add(self, sender: str, event: dict[str, Any]) -> None:
        intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
        self.rows.append({
            "sender_id": sender, "type_name": event["event"], "timestamp": event["timestamp"],
            "intent_name": intent, "action_name": event.get("name"), "data": json.dumps(event),
        })
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            with self.engine.begin() as conn:
                conn.execute(EVENTS_TABLE.insert(), self.rows)
            self.count += len(self.rows)
            self.rows = []


def _user(ts: float, text: str, intent: str, confidence: float, channel: str,
          metadata: dict[str, Any], retrieval: str | None = None) -> dict[str, Any]:
    parse: dict[str, Any] = {
        "intent": {"name": intent, "confidence": confidence},
        "entities": [], "text": text, "message_id": f"m{int(ts * 1000)}", "metadata": metadata,
        "intent_ranking": [{"name": intent, "confidence": confidence}],
    }
    if retrieval:
        base = retrieval.split("/")[0]
        parse["response_selector"] = {
            "all_retrieval_intents": [base],
            base: {"response": {"responses": [{"text": "…"}], "confidence": 0.9,
                                "intent_response_key": retrieval,
                                "utter_action": f"utter_{retrieval}"}, "ranking": []},
        }
    return {"event": "user", "timestamp": ts, "metadata": metadata, "text": text,
            "parse_data": parse, "input_channel": channel, "message_id": parse["message_id"]}


def _action(ts: float, name: str) -> dict[str, Any]:
    return {"event": "action", "timestamp": ts, "metadata": {}, "name": name,
            "policy": "RulePolicy", "confidence": 1.0, "action_text": None,
            "hide_rule_turn": False}


def _bot(ts: float, text: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"event": "bot", "timestamp": ts, "metadata": metadata or {}, "text": text,
            "data": {"elements": None, "quick_replies": None, "buttons": None,
                     "attachment": None, "image": None, "custom": None}}


def generate(engine: Engine, conversations: int = 1000, start: datetime | None = None,
             days: int = 28, seed: int = 7, timezone: str = "Europe/Berlin",
             low_confidence: float = 0.5, users_ratio: float = 0.7) -> Expected:
    """Writes `conversations` conversations spread over `days` days; returns the counts."""
    create_events_table(engine)
    rng = random.Random(seed)
    zone = ZoneInfo(timezone)
    start = start or datetime(2026, 3, 2, tzinfo=zone)
    t0 = start.timestamp()
    span = days * 86400
    n_users = max(1, int(conversations * users_ratio))
    writer = _Writer(engine)
    expected = Expected()
    senders_seen: set[str] = set()
    last_end: dict[str, float] = {}
    # conversation start times: more demand on weekday mornings
    starts = []
    for _ in range(conversations):
        while True:
            ts = t0 + rng.random() * span
            local = datetime.fromtimestamp(ts, zone)
            weight = (1.0 if 8 <= local.hour < 18 else 0.25) * (1.0 if local.weekday() < 5 else 0.4)
            if rng.random() < weight:
                starts.append(ts)
                break
    starts.sort()
    profiles: dict[str, dict[str, Any]] = {}
    for i, ts in enumerate(starts):
        sender = f"sender-{rng.randrange(n_users):07d}"
        if last_end.get(sender, 0) > ts:  # one sender talks in one conversation at a time
            sender = f"sender-x{i:07d}"
        senders_seen.add(sender)
        profile = profiles.get(sender)
        if profile is None:  # each sender has one channel, municipality and office
            municipality = rng.choices(MUNICIPALITIES, (5, 3, 2, 1))[0]
            profile = profiles[sender] = {
                "channel": rng.choices(("webchat", "telegram", "rest"), (6, 3, 1))[0],
                "municipality": municipality, "office": rng.choice(OFFICES[municipality]),
                "slots": False,
            }
        channel, municipality = profile["channel"], profile["municipality"]
        office = profile["office"]
        metadata = {"municipality": municipality} if channel == "webchat" else {}
        local = datetime.fromtimestamp(ts, zone)
        expected.conversations += 1
        expected.by_channel[channel] += 1
        expected.by_day[local.strftime("%Y-%m-%d")] += 1
        t = ts
        writer.add(sender, _action(t, "action_session_start"))
        writer.add(sender, {"event": "session_started", "timestamp": t + 0.001})
        if profile["slots"]:  # Rasa carries the slots over into the new session
            writer.add(sender, {"event": "slot", "timestamp": t + 0.0015, "name": "municipality",
                                "value": municipality})
            writer.add(sender, {"event": "slot", "timestamp": t + 0.0016, "name": "office_area",
                                "value": office})
        writer.add(sender, _action(t + 0.002, "action_listen"))
        known_municipality = bool(metadata) or profile["slots"]
        known_office = profile["slots"]
        turns = rng.choices((1, 2, 3, 4), (3, 4, 2, 1))[0]
        handoff = None
        for turn in range(turns):
            t += rng.uniform(5, 90)
            kind = rng.random()
            if kind < 0.12:
                text = rng.choice(MISUNDERSTOOD)
                intent, conf, retrieval = "nlu_fallback", 0.3, None
            elif kind < 0.17:
                text = "hmm und was noch"
                conf = round(rng.uniform(0.2, low_confidence - 0.01), 3)
                intent, retrieval = "ask_begegnung", None
            else:
                intent, text, retrieval = rng.choice(TOPIC_INTENTS)
                conf = round(rng.uniform(low_confidence + 0.05, 0.99), 3)
            writer.add(sender, _user(t, text, intent, conf, channel, metadata, retrieval))
            lt = datetime.fromtimestamp(t, zone)
            expected.messages += 1
            expected.heatmap[(lt.weekday(), lt.hour)] += 1
            expected.by_topic[topic_for_intent(intent)] += 1
            if intent == "nlu_fallback" or conf < low_confidence:
                expected.fallback_messages += 1
                expected.review_texts.append(text)
                writer.add(sender, _action(t + 0.2, "action_default_fallback"))
                writer.add(sender, _bot(t + 0.3, "Entschuldigung, das habe ich nicht verstanden."))
            else:
                writer.add(sender, _action(t + 0.2, f"utter_{intent}"))
                writer.add(sender, _bot(t + 0.3, "Antwort", {"utter_action": f"utter_{intent}"}))
            writer.add(sender, _action(t + 0.4, "action_listen"))
            if turn == 0 and not known_office and rng.random() < 0.8:
                writer.add(sender, {"event": "slot", "timestamp": t + 0.5, "name": "municipality",
                                    "value": municipality})
                writer.add(sender, {"event": "slot", "timestamp": t + 0.6, "name": "office_area",
                                    "value": office})
                known_municipality = known_office = True
                profile["slots"] = True
        expected.by_municipality[municipality if known_municipality else ""] += 1
        expected.by_office[office if known_office else ""] += 1
        roll = rng.random()
        if roll < 0.01:
            handoff = "emergency"
        elif roll < 0.11:
            handoff = "request"
        if handoff:
            t += rng.uniform(5, 60)
            intent = "emergency" if handoff == "emergency" else "request_human"
            text = ("Hilfe, mein Mann ist gestürzt" if handoff == "emergency"
                    else "Ich möchte mit einem Menschen sprechen")
            writer.add(sender, _user(t, text, intent, 0.95, channel, metadata))
            lt = datetime.fromtimestamp(t, zone)
            expected.messages += 1
            expected.heatmap[(lt.weekday(), lt.hour)] += 1
            expected.by_topic[topic_for_intent(intent)] += 1
            action = ("action_emergency_handoff" if handoff == "emergency"
                      else "action_request_human")
            writer.add(sender, _action(t + 0.2, action))
            writer.add(sender, _bot(t + 0.3, "Ich verbinde Sie mit einer Beraterin."))
            expected.handoffs += 1
            expected.handoff_reasons[handoff] += 1
            if rng.random() < 0.85:  # an advisor answers
                wait = round(rng.uniform(20, 1800), 1)  # from the request to the first answer
                # the console claims (pause + system message), then the advisor writes
                writer.add(sender, {"event": "pause", "timestamp": t + 0.4 + wait / 2 - 0.001})
                writer.add(sender, _bot(t + 0.4 + wait / 2, "Frau Berger ist jetzt für Sie da.",
                                        {"role": "system", "handoff": "advisor_joined"}))
                writer.add(sender, _bot(t + 0.4 + wait, "Guten Tag, hier ist Frau Berger.",
                                        {"role": "advisor", "advisor": "Frau Berger"}))
                expected.wait_seconds.append(round(wait + 0.2, 3))  # since the handoff action
                t += wait
                writer.add(sender, {"event": "resume", "timestamp": t + 600})
                t += 600
        last_end[sender] = t + 3600
    writer.flush()
    expected.users = len(senders_seen)
    expected.events = writer.count
    return expected
