"""The emergency detector (safety.emergency) and its Rasa component.

Acute danger must be recognised also when misspelt, without umlauts, in dialect or in a
long message; danger words in a topic question or a past event give the tier "moeglich";
a negation or a harmless word only changes its own clause. The sentences here are written
apart from data/nlu, tests/nlu/holdout.yml and benchmarks/data/emergency_eval.yml (the
leakage test in tests/nlu/test_emergency_leakage.py keeps it so).
"""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.endpoints import EndpointConfig

from bot.components.emergency_keywords import EmergencyKeywordClassifier
from bot.components.safety_line import (
    NO_LINE_BEFORE,
    SafetyLineGenerator,
    possible_emergency_unanswered,
    safety_line,
)
from safety.emergency import assess
from safety.text import fold, normalise, within_one_edit


@pytest.mark.parametrize(("text", "category"), [
    ("Hilfe, Papa ist im Treppenhaus gestürzt", "sturz"),
    ("mein mann is gestürtzt und jammert", "sturz"),
    ("opa is hingefalln und kommt nich mehr hoch", "sturz"),
    ("meine Nachbarin liegt vor ihrer Tür auf dem Boden", "sturz"),
    ("oma ist umjefalln", "sturz"),
    ("Mein Mann ist hingefallen und der Notrufknopf funktioniert nicht", "sturz"),
    ("Oma ist gestürzt, das Notrufarmband hat sie nicht an", "sturz"),
    ("meine frau wacht nicht auf", "bewusstlos"),
    ("er ist bewustlos", "bewusstlos"),
    ("die Nachbarin reagiert nicht mehr", "bewusstlos"),
    ("mein Bruder atmet ganz flach", "atmung"),
    ("sie kriegt kaum noch Luft", "atmung"),
    ("es drückt wie ein Stein auf der Brust", "brust"),
    ("ich glaub mein Vater hat nen Herzinfakt", "brust"),
    ("sein Gesicht hängt auf einer Seite runter", "schlaganfall"),
    ("meine Tante spricht auf einmal ganz verwaschen", "schlaganfall"),
    ("das bein blutet wie verrückt", "blutung"),
    ("Opa hat sich an einem Bonbon verschluckt und läuft blau an", "ersticken"),
    ("im Wohnzimmer brennt der Vorhang", "feuer_gas"),
    ("das ganze Treppenhaus ist voller Qualm", "feuer_gas"),
    ("bei uns riecht es im Flur nach Gas", "feuer_gas"),
    ("da steigt einer über den Balkon ein, ich höre Schritte", "gewalt"),
    ("mein Enkel bedroht mich", "gewalt"),
    ("Mutter hat eine ganze Packung Schlaftabletten geschluckt", "vergiftung"),
    ("er hat Spülmittel getrunken", "vergiftung"),
    ("ich bin unterzuckert und zittere", "zucker"),
    ("Oma hat hohes Fieber und ist total verwirrt", "verwirrt_fieber"),
    ("Ich habe Pflegegrad 2 und bin eben im Bad ausgerutscht", "sturz"),
    ("wir brauchen sofort einen Notarzt", "notruf"),
    # two signs together: fever and confusion, diabetes and its signs
    ("oma hat schüttelfrost und erkennt uns nicht mehr", "verwirrt_fieber"),
    ("er glüht richtig und redet nur noch durcheinander", "verwirrt_fieber"),
    ("mein zuckermessgerät zeigt 28 und ich zittere", "zucker"),
    ("Mama spritzt Insulin und ist seit dem Mittag kaum noch wach", "zucker"),
    ("papa hat wohl die doppelte dosis von seinen herztabletten genommen", "vergiftung"),
    ("das blut spritzt aus der wunde an der hand", "blutung"),
    ("meine Frau hat kein Gefühl mehr im linken Arm", "schlaganfall"),
    ("ein fremder hat unsere balkontür eingetreten", "gewalt"),
    ("mir ist ein stück fleisch in den hals gerutscht", "ersticken"),
    ("der atmet so komisch und pfeift bei jedem atemzug", "atmung"),
    ("Es ist mir so eng um die Brust, ich habe Angst", "brust"),
    ("Papa ist die Kellertreppe heruntergestürzt", "sturz"),
    # "als hätte" folds to "als hatte": a feeling now, not the past
    ("Es fühlt sich an, als hätte ich einen Infarkt", "brust"),
])
def test_acute_danger_is_recognised_by_category(text: str, category: str) -> None:
    found = assess(text)
    assert (found.tier, found.kind, found.category) == ("akut", "akut", category)


@pytest.mark.parametrize("text", [
    "ich mag nicht mehr leben",
    "Ich will mich heute Nacht umbringen",
    "bin so lebensmüde",
    "mein Onkel droht, sich etwas anzutun",
    "meine Schwester sagt, sie bringt sich um",
    "ich möchte einschlafen und nicht mehr aufwachen",
    "am besten mache ich Schluss mit allem",
    "niemand würde mich vermissen",
    "Ich habe schon Tabletten gesammelt",
    "für mich hat das Leben keinen Sinn mehr",
    "ich habe mir einen strick besorgt",
    "mein nachbar sagt, er nimmt sich bald das leben",
    "Seit meine Frau gestorben ist, möchte ich am liebsten auch bald sterben",
])
def test_suicidal_intent_is_acute_with_telefonseelsorge(text: str) -> None:
    found = assess(text)
    assert (found.tier, found.kind) == ("akut", "suizid")


@pytest.mark.parametrize("text", [
    "Woran erkenne ich einen Herzinfarkt?",
    "Woran erkenne ich einen Schlaganfall?",
    "Wie kann ich meine Wohnung vor Einbruch sichern?",
    "Meine Mutter ist vor drei Jahren gestürzt, bekommt sie einen Pflegegrad?",
    "Mein Vater hatte letztes Jahr einen Schlaganfall, welche Hilfen gibt es?",
    "Der Rettungswagen war gestern da, jetzt ist alles wieder gut. Wie beantrage ich einen "
    "Pflegegrad?",
    "Was mache ich, wenn meine Frau einmal stürzt?",
    "Ich habe Angst, dass mein Mann im Bad hinfällt",
    "Wofür steht FAST beim Schlaganfall?",
    "Nach Mamas Sturz brauchen wir einen Rollator, wer zahlt den?",
    # how an illness shows itself, asked in general
    "Wie kündigt sich ein Schlaganfall an?",
    "Wie zeigt sich eine Unterzuckerung bei alten Menschen?",
    "Wie unterscheidet man Angina Pectoris von einem Infarkt?",
    "Wie stellt man fest, ob jemand bewusstlos ist?",
])
def test_topic_questions_and_past_events_are_possible(text: str) -> None:
    assert assess(text).tier == "moeglich"


@pytest.mark.parametrize("text", [
    "Wie teuer ist so ein Hausnotrufgerät?",
    "Mein Vater läuft gestützt am Stock",
    "Wir machen am Wochenende ein Lagerfeuer mit den Enkeln",
    "kein Notfall, ich wollte nur wissen, was ein Hausnotruf kostet",
    "Der Hausnotruf piept seit heute früh, wen rufe ich an?",
    "Danke für die Hilfe!",
    "Wann bricht der Winter ein?",
    "Das Fenster ist gekippt",
    "Es ist mir schwer gefallen, darüber zu sprechen",
    "Mir brennen die Augen vom Lesen",
    "Meine Mutter ist nicht gestürzt, sie ist nur müde",
    "eine Betreuungsverfügung für den Notfall",
    "Einen Notarzt brauchen wir nicht mehr, er ist wieder munter",
    "Ich möchte nicht im Krankenhaus sterben, sondern daheim",
    "Keine Sorge, bei uns brennt es nirgendwo",
])
def test_harmless_messages_are_no_emergency(text: str) -> None:
    assert assess(text).tier == "keins"


def test_negation_only_changes_its_own_clause() -> None:
    assert assess("Er ist nicht bewusstlos").tier == "keins"
    assert assess("Er ist nicht bewusstlos, aber er blutet stark").tier == "akut"
    assert assess("kein Notfall").negated


def test_a_sign_of_now_keeps_a_past_clause_acute() -> None:
    assert assess("Sie hatte schon mal einen Schlaganfall").tier == "moeglich"
    assert assess("Sie hatte gerade eben einen Krampfanfall").tier == "akut"


def test_physical_danger_comes_first_when_suicidal_words_are_there_too() -> None:
    found = assess("Ich habe alle Tabletten auf einmal geschluckt, ich will nicht mehr leben")
    assert (found.tier, found.kind, found.category) == ("akut", "akut", "vergiftung")


def test_text_helpers_fold_umlaut_spellings_and_allow_one_typo() -> None:
    assert normalise("Gestürzt! Straße") == "gestuerzt! strasse"
    assert fold("Gestürzt") == fold("gestuerzt") == fold("gesturzt")
    assert within_one_edit("schlaganfal", "schlaganfall")
    assert not within_one_edit("schlagfall", "schlaganfall")


# --- the Rasa component ---------------------------------------------------------------------

def classified(text: str, intent: str, confidence: float = 0.8) -> Message:
    """A message as the trained classifiers left it, after the emergency component."""
    guess = {"name": intent, "confidence": confidence}
    message = Message(data={"text": text, "intent": guess,
                            "intent_ranking": [guess, {"name": "ask_wohnen", "confidence": 0.1}]})
    EmergencyKeywordClassifier(EmergencyKeywordClassifier.get_default_config()).process([message])
    return message


def entities(message: Message) -> dict[str, str]:
    return {e["entity"]: e["value"] for e in message.get("entities") or []}


def test_acute_danger_becomes_the_emergency_intent() -> None:
    message = classified("Mein Mann ist hingefallen und der Notrufknopf funktioniert nicht",
                         "ask_wohnen")
    assert message.get("intent")["name"] == "emergency"
    assert entities(message) == {"emergency_type": "akut", "emergency_tier": "akut"}


def test_possible_danger_keeps_the_topic_and_shows_the_tier() -> None:
    message = classified("Woran erkenne ich einen Schlaganfall?", "emergency")
    assert message.get("intent")["name"] == "ask_wohnen"  # the best non-emergency guess
    assert entities(message)["emergency_tier"] == "moeglich"


def test_no_emergency_after_kein_notfall_even_if_the_classifier_is_sure() -> None:
    message = classified("Kein Notfall, ich wollte nur fragen, wo die Wohnberatung ist",
                         "emergency", confidence=0.99)
    assert message.get("intent")["name"] == "ask_wohnen"
    assert "emergency_tier" not in entities(message)


def test_a_very_sure_classifier_keeps_an_emergency_the_detector_has_no_words_for() -> None:
    message = classified("mein Mann ist ganz grau im Gesicht und antwortet nicht", "emergency",
                         confidence=0.97)
    assert message.get("intent")["name"] == "emergency"


def test_an_unsure_classifier_emergency_costs_a_safety_line_not_the_112() -> None:
    """The classifier guesses emergency without being sure and the detector has no words for
    it: the user gets the best other answer with the safety line in front, no alarm."""
    message = classified("Er sieht heute so anders aus als sonst", "emergency", confidence=0.4)
    assert message.get("intent")["name"] == "ask_wohnen"
    assert entities(message) == {"emergency_type": "akut", "emergency_tier": "moeglich"}


def test_a_classifier_emergency_more_likely_than_anything_else_is_acute() -> None:
    message = classified("Er sieht heute so anders aus als sonst", "emergency", confidence=0.6)
    assert message.get("intent")["name"] == "emergency"
    assert entities(message) == {"emergency_type": "akut", "emergency_tier": "akut"}


def test_over_danger_words_in_a_past_event_only_a_very_sure_classifier_raises_the_alarm() -> None:
    text = "Sie hatte schon mal einen Schlaganfall und jetzt ist sie so anders"
    assert assess(text).tier == "moeglich"
    assert classified(text, "emergency", confidence=0.95).get("intent")["name"] == "emergency"
    assert classified(text, "emergency", confidence=0.8).get("intent")["name"] == "ask_wohnen"


def test_a_classifier_emergency_with_a_hint_of_suicide_names_the_telefonseelsorge() -> None:
    message = classified("ich hab mir die waffe aus dem keller geholt, das wars", "emergency",
                         confidence=0.7)
    assert entities(message) == {"emergency_type": "suizid", "emergency_tier": "akut"}


@pytest.mark.parametrize("text", ["weiß ich nicht", "ich bin heute so müde", "morgen lieber"])
def test_an_everyday_answer_is_never_an_emergency_however_sure_the_classifier(text: str) -> None:
    message = classified(text, "emergency", confidence=0.99)
    assert message.get("intent")["name"] == "ask_wohnen"
    assert entities(message) == {}


def test_not_understood_with_emergency_as_best_guess_gets_the_safety_line() -> None:
    guesses = [{"name": "nlu_fallback", "confidence": 0.45},
               {"name": "emergency", "confidence": 0.3}, {"name": "ask_wohnen", "confidence": 0.2}]
    message = Message(data={"text": "es ist so komisch heute mit ihm", "intent": guesses[0],
                            "intent_ranking": guesses})
    EmergencyKeywordClassifier(EmergencyKeywordClassifier.get_default_config()).process([message])
    assert message.get("intent")["name"] == "nlu_fallback"
    assert entities(message) == {"emergency_type": "akut", "emergency_tier": "moeglich"}


def test_the_safety_line_is_for_the_first_answer_to_the_marked_message_only() -> None:
    marked = UserUttered("Woran erkenne ich einen Schlaganfall?", {"name": "ask_gesundheit"},
                         [{"entity": "emergency_tier", "value": "moeglich"},
                          {"entity": "emergency_type", "value": "akut"}])
    tracker = DialogueStateTracker.from_events("u", [ActionExecuted("action_listen"), marked])
    assert possible_emergency_unanswered(tracker) == "akut"
    tracker.update(BotUttered("So erkennen Sie einen Schlaganfall ..."))
    assert possible_emergency_unanswered(tracker) is None
    tracker.update(UserUttered("Und wer zahlt die Wohnberatung?", {"name": "ask_wohnen"}))
    assert possible_emergency_unanswered(tracker) is None


def test_the_generator_gets_the_models_responses_and_puts_the_line_first_once() -> None:
    """As Rasa's Agent does: the generator is built from the endpoint with an empty domain, the
    model's responses arrive later (only for templated generators), then answers are rendered."""
    generator = SafetyLineGenerator(EndpointConfig(type="bot.components.safety_line"), None)
    assert isinstance(generator, TemplatedNaturalLanguageGenerator)
    generator.responses = {"utter_fast": [{"text": "So erkennen Sie einen Schlaganfall."}],
                           "utter_emergency": [{"text": "Rufen Sie sofort den Notruf an!"}]}
    marked = UserUttered("Welche Vorboten hat ein Schlaganfall?", {"name": "ask_gesundheit"},
                         [{"entity": "emergency_tier", "value": "moeglich"},
                          {"entity": "emergency_type", "value": "akut"}])
    tracker = DialogueStateTracker.from_events("u", [ActionExecuted("action_listen"), marked])

    def text(action: str) -> str:
        response = asyncio.run(generator.generate(action, tracker, "rest"))
        assert response is not None
        return str(response["text"])

    first = text("utter_fast")
    assert first == f"{safety_line('akut')}\n\nSo erkennen Sie einen Schlaganfall."
    assert "112" in safety_line("akut") and "{{" not in safety_line("suizid")
    assert text("utter_emergency") == "Rufen Sie sofort den Notruf an!"  # in NO_LINE_BEFORE
    assert "utter_emergency" in NO_LINE_BEFORE
    tracker.update(BotUttered(first))
    assert text("utter_fast") == "So erkennen Sie einen Schlaganfall."  # only the first answer
