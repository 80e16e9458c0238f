"""The keyword safety net: danger is recognised even when misspelt; planning questions are not."""

import pytest

from bot.components.emergency_keywords import classify, normalise


@pytest.mark.parametrize("text", [
    "Hilfe meine Mutter ist gestürzt",
    "mein mann is gestürtzt",
    "oma ist hingefalen und kommt nich hoch",
    "ich bin gestuerzt",
    "Er liegt im Bad auf dem Boden",
    "mein vater bekommt keine luft",
    "schmerzen in der brust",
    "ich glaube das ist ein schlaganfal",
    "SCHLAGANFALL",
    "sie ist bewusstlos",
    "es brennt in der küche",
    "da ist ein einbrecher",
    "es riecht nach gas",
    "hilfe!!",
    "notarzt bitte",
    "jemand bricht bei mir ein",
    "Hilfe, da versucht einer die Tür aufzubrechen",
    "ein mann schlägt mich",
    "Mama ist die Treppe runtergefallen",
    "seine lippen werden blau",
    "er kann plötzlich nicht mehr sprechen",
    "ich bekomme kaum luft",
    "mein Opa ist vom Stuhl gekippt",
    "er ist im Garten zusammengesackt",
    "sie kann auf einmal die Hand nicht mehr bewegen",
    "er japst nach Luft",
    "der Mundwinkel hängt und er spricht undeutlich",
    "der Adventskranz brennt",
    "aus dem Toaster kommen Flammen",
    "im Keller riecht es stark nach Gas",
    "da ist jemand Fremdes in der Wohnung",
    "mein Sohn hat mich geschlagen",
    "ich habe zu viele Tabletten genommen",
    "die Balkontür ist aufgebrochen",
])
def test_acute_danger_is_recognised(text: str) -> None:
    assert classify(text) == "akut"


@pytest.mark.parametrize("text", [
    "ich will nicht mehr leben",
    "Ich möchte mich umbringen",
    "ich bin lebensmuede",
    "mein Vater will sich was antun",
    "es hat alles keinen sinn mehr",
    "selbstmord",
    "am liebsten wäre ich tot",
    "ich will das alles beenden",
    "ich will nicht mehr weiterleben",
    "mein Mann sagt, er bringt sich um",
    "ich will allem ein Ende setzen",
    "ich habe keine Kraft mehr zu leben",
])
def test_suicidal_thoughts_are_recognised(text: str) -> None:
    assert classify(text) == "suizid"


@pytest.mark.parametrize("text", [
    "Was kostet ein Hausnotruf?",
    "notrufknopf für senioren",
    "Wie kann ich Sturzgefahr in der Wohnung verringern?",
    "meine Mutter ist letztes Jahr gestürzt, welcher Pflegegrad passt?",
    "Vollmacht für den Notfall",
    "Danke für die Hilfe",
    "Gibt es da Hilfe?",
    "das hat mir gut gefallen",
    "Was ist ein Pflegegrad?",
    "Ich möchte das Gespräch beenden",
    "Wann bricht der Winter ein?",
    "Treppenlift für die Treppe",
    "Wie kann ich die Vollmacht beenden?",
    "Das Fenster ist gekippt",
    "Mobiler Notruf mit GPS für Senioren",
    "Wohnung mit Hausmeister und Notruf",
    "Ich habe Angst zu fallen und keiner merkt es",
])
def test_planning_questions_are_not_emergencies(text: str) -> None:
    assert classify(text) is None


def test_normalise_writes_umlauts_out() -> None:
    assert normalise("Gestürzt! Straße") == "gestuerzt! strasse"
