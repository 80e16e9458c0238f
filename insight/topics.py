"""Vocabulary: intents -> topics, channels -> labels, handoff reasons (German labels)."""

from __future__ import annotations

# intent -> topic key
INTENT_TOPICS: dict[str, str] = {
    "ask_pflegegrad": "pflege",
    "ask_vorsorgevollmacht": "vorsorge",
    "ask_begegnung": "begegnung",
    "ask_wohnen": "wohnen",
    "find_office": "buero",
    "ask_opening_hours": "oeffnungszeiten",
    "inform_location": "ort",
    "request_human": "beratung",
    "emergency": "notfall",
    "out_of_scope": "ausserhalb",
    "nlu_fallback": "nicht_verstanden",
    "greet": "gespraech",
    "goodbye": "gespraech",
    "thank": "gespraech",
    "affirm": "gespraech",
    "deny": "gespraech",
    "bot_challenge": "gespraech",
}

TOPIC_LABELS: dict[str, str] = {
    "pflege": "Pflege",
    "vorsorge": "Vorsorge",
    "begegnung": "Begegnung",
    "wohnen": "Wohnen",
    "buero": "Büro finden",
    "oeffnungszeiten": "Öffnungszeiten",
    "ort": "Ortsangabe",
    "beratung": "Wunsch nach persönlicher Beratung",
    "notfall": "Notfall",
    "ausserhalb": "Außerhalb des Angebots",
    "nicht_verstanden": "Nicht verstanden",
    "gespraech": "Begrüßung, Dank, Ja/Nein",
    "sonstiges": "Sonstiges",
}

# topics that are questions about content (used for a conversation's main topic)
CONTENT_TOPICS = ("pflege", "vorsorge", "begegnung", "wohnen", "buero", "oeffnungszeiten",
                  "beratung", "notfall", "ausserhalb")

CHANNEL_LABELS: dict[str, str] = {
    "webchat": "Web-Chat",
    "socketio": "Web-Chat",
    "rest": "Schnittstelle (REST)",
    "telegram": "Telegram",
    "": "Unbekannt",
}

HANDOFF_REASON_LABELS: dict[str, str] = {
    "emergency": "Notfall",
    "request": "Wunsch nach einem Menschen",
    "fallback": "Bot hat nicht verstanden",
    "topic": "Thema braucht persönliche Beratung",
    "takeover": "Beraterin/Berater hat übernommen",
}

CALLBACK_STATUS_LABELS: dict[str, str] = {
    "open": "Offen",
    "done": "Erledigt",
    "failed": "Nicht erreicht",
}

INTENT_LABELS: dict[str, str] = {
    "greet": "Begrüßung",
    "goodbye": "Verabschiedung",
    "thank": "Dank",
    "affirm": "Zustimmung (ja)",
    "deny": "Ablehnung (nein)",
    "bot_challenge": "Frage: Bot oder Mensch?",
    "ask_pflegegrad": "Pflegegrad und Pflege",
    "ask_vorsorgevollmacht": "Vorsorgevollmacht, Patientenverfügung",
    "ask_begegnung": "Begegnung, Treffpunkte, Ehrenamt",
    "ask_wohnen": "Wohnen im Alter, Wohnberatung",
    "find_office": "Zuständiges Büro finden",
    "ask_opening_hours": "Öffnungszeiten",
    "inform_location": "Ortsangabe (Stadtteil, PLZ)",
    "request_human": "Wunsch nach einem Menschen",
    "emergency": "Notfall",
    "out_of_scope": "Außerhalb des Angebots",
    "nlu_fallback": "Nicht verstanden",
}

WEEKDAYS = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
WEEKDAY_NAMES = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")

UNKNOWN = "Unbekannt"


def topic_for_intent(intent: str | None) -> str:
    if not intent:
        return "sonstiges"
    base = intent.split("/", 1)[0]
    return INTENT_TOPICS.get(base, "sonstiges")


def topic_label(topic: str | None) -> str:
    return TOPIC_LABELS.get(topic or "", topic or UNKNOWN)


def intent_label(intent: str | None) -> str:
    base = (intent or "").split("/", 1)[0]
    return INTENT_LABELS.get(base, base or UNKNOWN)


def channel_label(channel: str | None) -> str:
    return CHANNEL_LABELS.get(channel or "", (channel or UNKNOWN).capitalize())


def reason_label(reason: str | None) -> str:
    return HANDOFF_REASON_LABELS.get(reason or "", reason or UNKNOWN)
