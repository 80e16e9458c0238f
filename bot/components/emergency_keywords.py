"""Keyword safety net for emergencies, running after the trained intent classifiers.

A classifier can miss a badly spelled "hilfe mein mann is gestürtzt". For emergencies
recall matters far more than precision, so this component forces the intent
`emergency` whenever a danger keyword or phrase occurs - also with umlauts written as
ae/oe/ue, missing umlauts and small typos. It also adds the entity `emergency_type`
("suizid" or "akut") to every emergency message, so the response can pick the right
help (TelefonSeelsorge or 112) without the action server.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

EMERGENCY_INTENT = "emergency"
ENTITY_NAME = "emergency_type"
INTENT_RANKING_KEY = "intent_ranking"

# Phrases are regular expressions over the normalised text (lower case, umlauts as
# ae/oe/ue, ß as ss, punctuation removed, single spaces).
SUICIDE_PATTERNS = [
    r"\bsuizid", r"\bselbstmord", r"\bselbsttoetung", r"\blebensmued",
    r"\b(mich|uns|sich|mir) (\w+ )?(umbringen|umzubringen|toeten|erhaengen)",
    r"\b(mir|sich|ihm|ihr) (\w+ )?(das|dem) leben (zu )?nehmen",
    r"\bnicht mehr leben\b", r"\bnicht mehr (auf)?wachen?\b",
    r"\b(will|moechte|moechten|wollen|moecht) (\w+ )?sterben\b",
    r"\b(tot|todt) sein\b", r"\bkeinen (sinn|ausweg) mehr\b",
    r"\b(mir|sich) (et)?was an(zu)?tun\b", r"\bschluss machen\b(?! mit dem| mit der| fuer heute)",
    r"\btabletten gesammelt\b", r"\bvon der bruecke\b", r"\bvor den zug\b",
    r"\b(am liebsten|lieber) (waere|waer) ich tot\b", r"\bnicht mehr weiter ?leben\b",
    r"\b(will|moechte|moechten|wollen) (\w+ ){0,2}(das )?alles beenden\b",
    r"\bbring(e|t|en)? (mich|sich) (\w+ )?um\b",
    r"\bkeine kraft mehr (zu|zum) leben\b",
    r"\b(allem|meinem leben|seinem leben|ihrem leben) ein ende (setzen|machen|bereiten)\b",
]

ACUTE_PATTERNS = [
    # falls
    r"\bgestuer?t?zt\b", r"\bgestuertzt\b", r"\bgesturzt\b", r"\bgestuerzt\b",
    r"\bhin ?gefall+en\b", r"\bum ?gefall+en\b", r"\bum ?gekippt\b", r"\bzusammen ?gebrochen\b",
    r"\b(liegt|liege|lag) (\w+ ){0,3}(am|auf dem|im|in der) (boden|flur|bad|badezimmer|treppe)",
    r"\bkomm[et]? (\w+ ){0,2}nicht (mehr )?(hoch|auf)\b", r"\bkann nicht (mehr )?aufstehen\b",
    # breathing, chest, heart, stroke, unconscious
    r"\bkeine luft\b", r"\batemnot\b", r"\batmet (nicht|kaum|schwer|ganz schwer|komisch)",
    r"\broechelt\b", r"\berstick", r"\bbrust ?schmerz", r"\bschmerzen? in der brust\b",
    r"\b(druck|drueckt|engegefuehl|stechen)\b.{0,20}\bbrust\b", r"\bherz ?infarkt", r"\bherzinfakt",
    r"\bherzstillstand\b", r"\bschlag ?an+fal+", r"\bschlagannfall", r"\bgelaehmt\b",
    r"\blallt\b", r"\bmund ?winkel haengt\b", r"\bmund haengt\b", r"\bbewusstlos", r"\bohnmaechtig",
    r"\breagiert (nicht|nich|garnicht|gar nicht)\b", r"\bblutet (stark|sehr|ganz doll|viel)",
    r"\bkrampf(anfall|t)\b",
    # fire, gas, intruders, violence
    r"\bes brennt\b", r"\bbrennt\b.{0,20}\b(kueche|wohnung|haus|zimmer)", r"\bfeuer\b",
    r"\brauch\b.{0,25}\b(wohnung|treppenhaus|kueche|flur|zimmer)", r"\brauchmelder piept\b",
    r"\bgasgeruch\b", r"\beinbrecher", r"\beinzubrechen\b", r"\beinbruch\b",
    r"\bwerde bedroht\b", r"\bangegriffen\b", r"\bueberfallen\b",
    # explicit calls for emergency help
    r"\bnotfall\b", r"\bnotruf\b", r"\bnotarzt\b", r"\bkrankenwagen\b", r"\brettungswagen\b",
    r"\b112\b", r"^(bitte )?(hilfe+ ?!* ?)+(bitte)?$", r"\bschnell hilfe\b", r"\bhilfe sofort\b",
    r"\b(ist|bin|sind) (\w+ ){0,3}(hin)?gefallen\b", r"\bfalle (gleich )?um\b",
    r"\bfremde[rn]? (\w+ ){0,2}(ist|sind) (\w+ )?(in|im)\b",
    # wordings the classifier alone missed in evaluation (2026-11-30)
    r"\b(bricht|brechen) (\w+ ){0,3}(bei mir|bei uns|in (die|unsere|meine) wohnung|ins haus) ein\b",
    r"\btuer (\w+ )?(aufzubrechen|aufbrechen|aufgebrochen)\b",
    r"\b(schlaegt|schlagen|verpruegelt|pruegelt|bedroht) (\w+ )?mich\b",
    r"\btreppe (\w+ ){0,2}(runter|herunter|hinunter) ?gefallen\b",
    r"\bkaum (noch )?luft\b", r"\blippen (\w+ ){0,2}blau\b",
    r"\b(kann|konnte) (\w+ )?ploetzlich (\w+ )?nicht mehr (sprechen|reden)\b",
    r"\b(zusammen|weg|um) ?ge(sackt|klappt|kippt)\b", r"\b(vom|von der) (\w+ )?gekippt\b",
    r"treppe (\w+ ){0,2}(runter|herunter|hinunter) ?gefallen\b",
    r"\bkann (mich|sich) (\w+ )?nicht (mehr )?bewegen\b",
    r"\b(arm|hand|bein)e? (\w+ )?nicht (mehr )?(bewegen|heben)\b",
    r"\bnicht (mehr )?(richtig )?atmen\b", r"\bjapst\b", r"\bnach luft\b", r"\bluft (\w+ )?weg\b",
    r"\bherz (rast|rasen|stolpert)\b", r"\bherzrasen\b",
    r"\b(gesicht|mund|lippe|mundwinkel) (\w+ )?(haengt|schief)\b", r"\bschiefe?n? (mund|lippe)\b",
    r"\bspricht (\w+ )?(undeutlich|verwaschen)\b", r"\bwirres zeug\b",
    r"\breagiert (\w+ )?kaum\b", r"\bflammen\b", r"\bqualmt\b",
    r"\b(adventskranz|kerze|topf|pfanne|herd|gardine|weihnachtsbaum|tannenbaum|fernseher) brennt\b",
    r"\briecht (\w+ ){0,3}nach (gas|rauch)\b", r"\briecht (\w+ )?verbrannt\b",
    r"\bklettert (\w+ ){0,3}(balkon|fenster)",
    r"\bfremde[rns]? (\w+ ){0,2}(ist |sind )?(in|im) (der|meiner|unserer|dem|meinem) "
    r"(wohnung|haus|keller)\b",
    r"\b(hat|haben) mich (\w+ )?(geschlagen|verpruegelt|gewuergt|getreten)\b",
    r"\bgeschubst\b", r"\bsos\b", r"\brettungsdienst\b", r"\bum leben und tod\b",
    r"\b(zu viele|alle|ganz viele) tabletten (\w+ ){0,2}(genommen|geschluckt)\b",
    r"\b(schwer|stark|schlimm) (verbrannt|verbrueht)\b", r"\bhoert nicht auf zu bluten\b",
    r"tuer (\w+ )?(ist )?(aufgebrochen|eingetreten)\b", r"\bmacht sich (\w+ ){0,2}zu schaffen\b",
    r"\bhoere (jemanden|einen|wen|schritte)\b",
    r"\bnicht mehr (richtig )?(sprechen|reden) seit (eben|gerade|vorhin)\b",
]

# Words that contain a keyword but are about planning, not danger.
NEGATIVE_PATTERNS = [
    r"\bhausnotruf", r"\bnotrufknopf", r"\bnotrufarmband", r"\bnotfallknopf", r"\bnotfallmappe",
    r"\bnotfallausweis", r"\bnotfallplan", r"\bnotfalldose", r"\bangst (vor|zu|dass)\b",
    r"\bsturzgefahr", r"\bvorbeug", r"\bfeuerloescher\b",
    r"\brauchmelder (anbringen|einbauen|kaufen)",
    r"\b(letzte[ns]?|vorige[ns]?) (jahr|monat|woche)", r"\bvor (\w+ )?(jahren|monaten|wochen)\b",
    r"\bseit (dem|ihrem|seinem) (sturz|schlaganfall|herzinfarkt)",
    r"\bnach (dem|ihrem|seinem|einem) (sturz|schlaganfall|herzinfarkt)",
    r"\bschlaganfall (gehabt|hatte)", r"\b(im|fuer den|fuer einen|bei einem) notfall\b",
    r"\bhatte (\w+ )?(einen )?(schlaganfall|herzinfarkt)",
    r"\bmobile[rn]? notruf", r"\bnotruf ?(system|geraet|uhr|armband|knopf)",
    r"\b(mit|und) notruf\b",
]

# Single words checked with a small edit distance (typos such as "schlagamfall").
FUZZY_WORDS = {
    "gestuerzt": "akut", "hingefallen": "akut", "umgefallen": "akut", "schlaganfall": "akut",
    "herzinfarkt": "akut", "bewusstlos": "akut", "ohnmaechtig": "akut", "einbrecher": "akut",
    "krankenwagen": "akut", "zusammengebrochen": "akut", "selbstmord": "suizid",
    "lebensmuede": "suizid", "umbringen": "suizid",
}

_SUICIDE = [re.compile(p) for p in SUICIDE_PATTERNS]
_ACUTE = [re.compile(p) for p in ACUTE_PATTERNS]
_NEGATIVE = [re.compile(p) for p in NEGATIVE_PATTERNS]


def normalise(text: str) -> str:
    """Lower case, umlauts as ae/oe/ue, ß as ss, no punctuation, single spaces."""
    text = text.lower()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, plain)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^a-z0-9! ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _within_one_edit(word: str, target: str) -> bool:
    if abs(len(word) - len(target)) > 1:
        return False
    if word == target:
        return True
    # one substitution, insertion, deletion or transposition
    if len(word) == len(target):
        diffs = [i for i, (a, b) in enumerate(zip(word, target, strict=True)) if a != b]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2 and diffs[1] == diffs[0] + 1
            and word[diffs[0]] == target[diffs[1]] and word[diffs[1]] == target[diffs[0]]
        )
    short, long_ = (word, target) if len(word) < len(target) else (target, word)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def classify(text: str) -> str | None:
    """Return "suizid", "akut" or None for a user message."""
    norm = normalise(text)
    if not norm:
        return None
    if any(p.search(norm) for p in _SUICIDE):
        return "suizid"
    acute_hit = any(p.search(norm) for p in _ACUTE)
    if not acute_hit:
        for word in norm.split():
            if len(word) < 8:
                continue
            kind = next((k for w, k in FUZZY_WORDS.items() if _within_one_edit(word, w)), None)
            if kind == "suizid":
                return "suizid"
            if kind:
                acute_hit = True
                break
    if acute_hit and not any(p.search(norm) for p in _NEGATIVE):
        return "akut"
    return None


def emergency_type_for(text: str) -> str:
    """The kind of an emergency message; "akut" unless it speaks of suicide."""
    return classify(text) or "akut"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class EmergencyKeywordClassifier(GraphComponent):
    """Forces intent `emergency` on danger keywords; tags every emergency with its type."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"confidence": 1.0}

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EmergencyKeywordClassifier:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._process_message(message)
        return messages

    def process_training_data(self, training_data: Any) -> Any:
        return training_data

    def _process_message(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        if text.startswith("/"):
            return  # button payloads carry their intent explicitly
        kind = classify(text)
        intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        if kind is None and intent != EMERGENCY_INTENT:
            return
        if kind is not None and intent != EMERGENCY_INTENT:
            forced = {INTENT_NAME_KEY: EMERGENCY_INTENT,
                      PREDICTED_CONFIDENCE_KEY: float(self._config["confidence"])}
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or []
                       if r.get(INTENT_NAME_KEY) != EMERGENCY_INTENT]
            message.set(INTENT, forced, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [forced, *ranking], add_to_output=True)
        entities = [e for e in message.get(ENTITIES) or [] if e.get("entity") != ENTITY_NAME]
        entities.append(_entity(text, kind or "akut"))
        message.set(ENTITIES, entities, add_to_output=True)


def _entity(text: str, value: str) -> dict[str, Any]:
    return {
        "entity": ENTITY_NAME,
        "value": value,
        "start": 0,
        "end": len(text),
        "confidence": 1.0,
        "extractor": EmergencyKeywordClassifier.__name__,
    }


