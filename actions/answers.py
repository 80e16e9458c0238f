"""Precise Pflege answers from bot/facts.yml, with grade and topic kept for follow-ups.

How "Wie viel Pflegegeld gibt es bei Pflegegrad 3?" gets the amount:
- The ResponseSelector picks the retrieval response utter_ask_pflegegrad/pflegegeld.
- That response has one conditional variation per grade (slot `pflegegrad`), generated
  from bot/facts.yml into bot/domain/pflegegrad_amounts.yml by `python -m actions.answers`
  (a test keeps the file in sync with the facts).
- `action_validate_slot_mappings` (below) runs on every user turn inside Rasa's slot
  extraction: it normalises the grade ("drei", "PG 3", "Pflegestufe 3" -> "3"), the
  relative ("Mama" -> "Mutter") and remembers the Pflege topic (`pflege_thema`), so
  "Und bei Pflegegrad 4?" (sub-intent nachfrage) is answered for the same topic.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from bot.content import facts as fact_file

ROOT = Path(__file__).resolve().parent.parent
AMOUNTS_DOMAIN = ROOT / "bot" / "domain" / "pflegegrad_amounts.yml"
GRADES = (1, 2, 3, 4, 5)
AMOUNT_TOPICS = ("pflegegeld", "sachleistung")
GENERAL_TOPIC = "allgemein"
GRADE_WORDS = {"eins": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "fuenf": 5, "funf": 5}
_NUMBER = r"(\d|eins|zwei|drei|vier|fünf|fuenf)"
GRADE_IN_TEXT = re.compile(
    r"\b(?:pflege ?grad|pflegegrat|pflegerad|pflege ?stufe|grad|stufe|pg)\s*" + _NUMBER + r"\b",
    re.IGNORECASE,
)
FOLLOW_UP_BARE = re.compile(r"^\s*und\s+(?:bei|für|fuer|mit)\s+" + _NUMBER + r"\s*\??\s*$",
                            re.IGNORECASE)

# relation entity value (normalised) and its spoken variants
RELATION_VALUES = {
    "Mutter": ("mutter", "mama", "mutti", "mum"),
    "Vater": ("vater", "papa", "vati", "paps"),
    "Ehemann": ("ehemann", "mann", "gatte"),
    "Ehefrau": ("ehefrau", "frau", "gattin"),
    "Oma": ("oma", "omi", "großmutter", "grossmutter"),
    "Opa": ("opa", "opi", "großvater", "grossvater"),
    "Schwiegermutter": ("schwiegermutter",),
    "Schwiegervater": ("schwiegervater",),
    "Eltern": ("eltern",),
    "Tante": ("tante",),
    "Onkel": ("onkel",),
    "Tochter": ("tochter",),
    "Sohn": ("sohn",),
}
# accusative phrase for "für ..."
RELATION_PHRASES = {
    "Mutter": "Ihre Mutter", "Vater": "Ihren Vater", "Ehemann": "Ihren Mann",
    "Ehefrau": "Ihre Frau", "Oma": "Ihre Oma", "Opa": "Ihren Opa",
    "Schwiegermutter": "Ihre Schwiegermutter", "Schwiegervater": "Ihren Schwiegervater",
    "Eltern": "Ihre Eltern", "Tante": "Ihre Tante", "Onkel": "Ihren Onkel",
    "Tochter": "Ihre Tochter", "Sohn": "Ihren Sohn",
}
OFFICE_LINE = "Persönliche Beratung bekommen Sie im Büro in Ihrer Nähe."
OFFICE_BUTTON = {"title": "Büro in meiner Nähe finden", "payload": "/find_office"}


def load_facts() -> dict[str, Any]:
    """The facts file (bot/facts.yml, via bot.content.facts)."""
    return fact_file.load()


def euro(amount: int) -> str:
    """German thousands separator: 1497 -> "1.497"."""
    return fact_file.number(amount, "euro")


def parse_grade(value: Any) -> str | None:
    """"3", 3, "drei", "Pflegegrad 3" -> "3"; anything else -> None."""
    if value is None:
        return None
    text = str(value).strip().lower()
    match = GRADE_IN_TEXT.search(text)
    if match:
        text = match.group(1).lower()
    grade = int(text) if text.isdigit() else GRADE_WORDS.get(text)
    return str(grade) if grade in GRADES else None


def grade_from_text(text: str) -> str | None:
    match = GRADE_IN_TEXT.search(text or "") or FOLLOW_UP_BARE.search(text or "")
    return parse_grade(match.group(1)) if match else None


def normalise_relation(value: Any) -> str | None:
    word = str(value or "").strip().lower()
    word = re.sub(r"^(meine[rmns]?|unsere[rmns]?)\s+", "", word)
    for canonical, variants in RELATION_VALUES.items():
        if word in variants:
            return canonical
    return None


def sub_topic(message: dict[str, Any], intent: str = "ask_pflegegrad") -> str | None:
    """The retrieval sub-intent the ResponseSelector chose ("pflegegeld", ...)."""
    if (message.get("intent") or {}).get("name") != intent:
        return None
    selector = message.get("response_selector") or {}
    chosen = selector.get(intent) or selector.get("default") or {}
    key = (chosen.get("response") or {}).get("intent_response_key") or ""
    prefix = f"{intent}/"
    return key[len(prefix):] if key.startswith(prefix) else None


def next_topic(sub: str | None) -> str | None:
    """Topic to remember after this turn; None keeps the previous one."""
    if sub is None or sub == "nachfrage":
        return None
    return sub if sub in AMOUNT_TOPICS else GENERAL_TOPIC


class ValidatePflegeSlots(ValidationAction):
    """Runs on every user turn: grade, relative and Pflege topic for the answers."""

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        return [s for s in ("pflegegrad", "relation", "pflege_thema") if s in domain_slots]

    def extract_pflegegrad(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: DomainDict) -> dict[str, Any]:
        message = tracker.latest_message or {}
        if any(e.get("entity") == "pflegegrad" for e in message.get("entities") or []):
            return {}  # the from_entity mapping set it; validate_pflegegrad normalises it
        grade = grade_from_text(message.get("text") or "")
        return {"pflegegrad": grade} if grade else {}

    def validate_pflegegrad(self, value: Any, dispatcher: CollectingDispatcher,
                            tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        said = (tracker.latest_message or {}).get("text") or ""
        grade = parse_grade(value) or grade_from_text(said)
        # an unusable value keeps the grade the user named before
        return {"pflegegrad": grade or _previous(tracker, "pflegegrad")}

    def validate_relation(self, value: Any, dispatcher: CollectingDispatcher,
                          tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return {"relation": normalise_relation(value) or _previous(tracker, "relation")}

    def extract_pflege_thema(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> dict[str, Any]:
        topic = next_topic(sub_topic(tracker.latest_message or {}))
        return {"pflege_thema": topic} if topic else {}

    def validate_pflege_thema(self, value: Any, dispatcher: CollectingDispatcher,
                              tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return {"pflege_thema": value}


def _previous(tracker: Tracker, slot: str) -> Any:
    """The value a slot had before the current user turn."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
    return None


# --- generated responses ---------------------------------------------------------------

def amount_line(topic: str, grade: int, facts: dict[str, Any]) -> str:
    pflege = facts["pflege"]
    amount = pflege[topic]["per_grade"][grade]
    relief = euro(pflege["entlastungsbetrag"]["value"])
    if topic == "pflegegeld":
        if amount is None:
            return (f"Bei Pflegegrad {grade} gibt es kein Pflegegeld. Sie können aber den "
                    f"Entlastungsbetrag von {relief} Euro im Monat nutzen.")
        return f"Bei Pflegegrad {grade} gibt es {euro(amount)} Euro Pflegegeld im Monat."
    if amount is None:
        return (f"Bei Pflegegrad {grade} gibt es keine Pflegesachleistung. Sie können aber den "
                f"Entlastungsbetrag von {relief} Euro im Monat nutzen.")
    return (f"Bei Pflegegrad {grade} zahlt die Pflegekasse für einen Pflegedienst bis zu "
            f"{euro(amount)} Euro im Monat (Pflegesachleistung).")


def amount_table(topic: str, facts: dict[str, Any]) -> str:
    per_grade = facts["pflege"][topic]["per_grade"]
    rows = [f"Pflegegrad {g}: {euro(per_grade[g])} Euro" for g in GRADES if per_grade[g]]
    if topic == "pflegegeld":
        head = "Pflegegeld im Monat – " + ", ".join(rows) + "."
    else:
        head = "Pflegesachleistung im Monat, höchstens – " + ", ".join(rows) + "."
    none = [str(g) for g in GRADES if not per_grade[g]]
    if none:
        head += f" Bei Pflegegrad {', '.join(none)} gibt es das nicht."
    return head


def grade_summary(grade: int, facts: dict[str, Any]) -> str:
    points = fact_file.number(facts["pflege"]["punkte"]["per_grade"][grade])
    lines = [f"Pflegegrad {grade} gibt es ab {points} Punkten.",
             amount_line("pflegegeld", grade, facts)]
    if facts["pflege"]["sachleistung"]["per_grade"][grade]:
        lines.append(amount_line("sachleistung", grade, facts))
    return "\n".join(lines)


EXPLANATIONS = {
    "pflegegeld": "Pflegegeld gibt es ab Pflegegrad 2, wenn Angehörige oder Bekannte zu Hause "
                  "pflegen. Sie können es frei verwenden.",
    "sachleistung": "Die Kasse rechnet direkt mit dem Pflegedienst ab. Sie können Sachleistung "
                    "und Pflegegeld auch kombinieren.",
}
ANTRAG = ("Den Antrag stellen Sie bei der Pflegekasse. Sie gehört zur Krankenkasse. "
          "Ein Anruf oder ein kurzer Brief reicht.\n"
          "{who} Das Geld gibt es ab dem Tag des Antrags.\n"
          "Die Pflegekasse muss innerhalb von {weeks} Wochen eine Pflegeberatung anbieten.")


def _variation(lines: list[str], response: str, facts: dict[str, Any],
               conditions: dict[str, str] | None = None) -> dict[str, Any]:
    text = "\n".join([*lines, fact_file.stand_line(response, facts), OFFICE_LINE])
    variation: dict[str, Any] = {}
    if conditions:
        variation["condition"] = [{"type": "slot", "name": k, "value": v}
                                  for k, v in conditions.items()]
    variation["text"] = text
    variation["buttons"] = [dict(OFFICE_BUTTON)]
    return variation


def generated_responses(facts: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The Pflege responses whose text depends on facts and slots."""
    responses: dict[str, list[dict[str, Any]]] = {}
    for topic in AMOUNT_TOPICS:
        name = f"utter_ask_pflegegrad/{topic}"
        variations = [
            _variation([amount_line(topic, g, facts), EXPLANATIONS[topic]], name, facts,
                       {"pflegegrad": str(g)})
            for g in GRADES
        ]
        variations.append(_variation([amount_table(topic, facts), EXPLANATIONS[topic]],
                                     name, facts))
        responses[name] = variations
    name = "utter_ask_pflegegrad/nachfrage"
    follow_up = []
    for g in GRADES:
        for topic in AMOUNT_TOPICS:
            follow_up.append(_variation([amount_line(topic, g, facts)], name, facts,
                                        {"pflege_thema": topic, "pflegegrad": str(g)}))
        follow_up.append(_variation([grade_summary(g, facts)], name, facts,
                                    {"pflege_thema": GENERAL_TOPIC, "pflegegrad": str(g)}))
    follow_up.append(_variation([amount_table("pflegegeld", facts),
                                 amount_table("sachleistung", facts)], name, facts))
    responses[name] = follow_up
    weeks = fact_file.number(facts["pflege"]["pflegeberatung"]["weeks"])
    name = "utter_ask_pflegegrad/antrag"
    antrag = []
    for relation, phrase in RELATION_PHRASES.items():
        who = (f"Für {phrase} können Sie den Antrag stellen, wenn Sie eine Vollmacht haben "
               f"oder die Person zustimmt.")
        antrag.append(_variation([ANTRAG.format(who=who, weeks=weeks)], name, facts,
                                 {"relation": relation}))
    antrag.append(_variation(
        [ANTRAG.format(who="Angehörige können den Antrag mit einer Vollmacht stellen.",
                       weeks=weeks)], name, facts))
    responses[name] = antrag
    return responses


class _LiteralDumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_LiteralDumper.add_representer(str, _str_presenter)


def render_amounts_domain(facts: dict[str, Any]) -> str:
    header = ("# GENERATED from bot/facts.yml by `python -m actions.answers` - do not edit.\n"
              "# Pflege answers with one variation per grade / relative / follow-up topic.\n")
    body = yaml.dump({"version": "3.1", "responses": generated_responses(facts)},
                     Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False, width=1000)
    return header + body


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    text = render_amounts_domain(load_facts())
    if "--check" in argv:
        current = AMOUNTS_DOMAIN.read_text(encoding="utf-8") if AMOUNTS_DOMAIN.exists() else ""
        if current != text:
            raise SystemExit(f"{AMOUNTS_DOMAIN} is out of date: run python -m actions.answers")
        return
    AMOUNTS_DOMAIN.write_text(text, encoding="utf-8")
    print(f"written: {AMOUNTS_DOMAIN}")


if __name__ == "__main__":
    main()
