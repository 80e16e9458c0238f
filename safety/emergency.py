"""Emergency detection: is somebody in danger right now, possibly, or not at all?

`assess(text)` works on one user message and needs nothing but the standard library, so
every place a message passes (the NLU pipeline, the channel guard of a paused conversation)
can ask it. Design, in this order:

1. Danger *categories* (falls, unconsciousness, breathing, chest pain, stroke signs,
   bleeding, choking, fire and gas, violence, poisoning, blood sugar, confusion with fever,
   suicidal intent, explicit calls for help) are regular expressions over a folded text:
   lower case, every umlaut spelling folded to its vowel ("gestürzt", "gestuerzt",
   "gesturzt" are one word), colloquial words such as "nich" or "is" written out. Single
   key words are also found with one typo ("schlaganfal", "bewustlos").
2. Every hit is judged inside its own *clause* (split at punctuation and at "und", "aber",
   ...): a negation right before it ("kein Notfall", "ist nicht gestürzt") cancels only that
   hit, and a harmless word in another clause ("der Notrufknopf geht nicht") changes nothing.
3. The clause decides the *tier*: a question about the topic ("woran erkenne ich",
   "wie schütze ich mich vor"), a past or habitual event ("vor zwei Jahren", "hatte",
   "immer wieder") or a hypothetical ("wenn", "falls", "Angst, dass") makes it "moeglich";
   a sign of now ("gerade", "jetzt", "Hilfe") keeps a past or hypothetical clause acute.
   "alles wieder gut" somewhere in the message lowers physical danger to "moeglich".
   Suicidal intent is only lowered by a topic question or the past. In doubt: acute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from safety.text import fold, fold_letters, within_one_edit

Tier = Literal["akut", "moeglich", "keins"]
Kind = Literal["akut", "suizid"]

ACUTE: Tier = "akut"
POSSIBLE: Tier = "moeglich"
NONE: Tier = "keins"
SUICIDE_CATEGORY = "suizid"
# Message metadata set by the server's channels (never taken from a client): this message
# shows acute danger, so a conversation that starts with it hears 112 before the greeting.
ACUTE_DANGER_METADATA = "ql_acute_danger"


@dataclass(frozen=True)
class Assessment:
    """The detector's verdict on one message.

    tier: "akut" (danger now: 112/110/TelefonSeelsorge first), "moeglich" (danger words in a
    topic question or a past event: one safety line, then the answer), "keins".
    category: the danger category of the decisive hit (None for "keins").
    kind: which help fits - "akut" (112/110) or "suizid" (TelefonSeelsorge); None for "keins".
    negated: danger words were there, but every one was negated ("kein Notfall").
    """

    tier: Tier
    category: str | None = None
    kind: Kind | None = None
    negated: bool = False

    @property
    def is_acute(self) -> bool:
        return self.tier == ACUTE


NO_DANGER = Assessment(NONE)


def _compile(*patterns: str) -> tuple[re.Pattern[str], ...]:
    # Patterns are written in plain German; folding them like the text lets "ü" in a
    # pattern match "ü", "ue" and "u" in a message.
    return tuple(re.compile(fold_letters(p)) for p in patterns)


W = r"(?:\w+ )"  # one arbitrary word, for gaps such as "liegt (w){0,3} am Boden"
END = r"(?=\s*[.,;:!?]|\s*$| und\b| aber\b| wenn\b)"  # the clause ends here

# category -> patterns. Each pattern describes a kind of danger, not an example sentence.
CATEGORIES: dict[str, tuple[re.Pattern[str], ...]] = {
    "sturz": _compile(
        r"\b[gj]e?st(?:u|uh)?rt?zt\b",  # gestürzt, gestuerzt, gesturtzt, jestürzt
        r"\bstürz(?:t|en)?\b",
        r"\b(?:hin|hi|um|runter|herunter|hinunter|nieder|nunter|runner"
        r"|nunner) ?[gj]?e?fall?(?:e?n?|t)\b",
        r"\b(?:bin|ist|sind|bist) (?:(?!schwer|leicht)\w+ ){0,3}[gj]e?fall?e?n\b",
        r"\b(?:um|weg|zusammen) ?[gj]e(?:kippt|sackt|klappt|brochen)\b",
        r"\b(?:kippt|sackt|klappt|bricht) (?:\w+ )?(?:um|weg|zusammen)" + END,
        r"\b(?:liegt|liege|lieg|lag|liegen|lagen) " + W + r"{0,6}(?:am|auf dem|auf den|im|in der"
        r"|vor dem|vorm|unter dem|auf der) "
        + W + r"?(?:boden|fussboden|flur|fliesen|treppe|strasse|gehweg|teppich|erde)\b",
        r"\b(?:komm[est]?|kam|kommen|kann|kriege|krieg|kriegen|bekomme|bekommen) " + W
        + r"{0,3}nicht (?:mehr )?(?:allein |alleine |selbst )?(?:hoch|auf|rauf)\b",
        r"\bkann " + W + r"{0,2}nicht (?:mehr )?(?:allein |alleine |selbst )?aufstehen\b",
        r"\bkann (?:sich|mich) " + W + r"?nicht (?:mehr )?(?:bewegen|rühren)\b",
        r"\bfalle " + W + r"?(?:gleich |jetzt )?um\b",
        r"\b(?:liegt|liege|lag) " + W + r"{0,3}(?:neben dem|vor dem|unterm|unter dem) (?:bett"
        r"|sofa)\b",
        r"\b(?:treppe|stufen?) " + W + r"{0,3}(?:runter|herunter|hinunter|hinab|gestolpert"
        r"|gefallen)",
        r"\b(?:vom|von der|aus dem) " + W + r"?(?:stuhl|bett|sofa|rollstuhl|leiter|rollator"
        r"|sessel|toilette) "
        + W + r"?(?:gekippt|gefallen|gerutscht|gestürzt)",
        r"\b(?:ausgerutscht|gestolpert|hingeknallt|hingeflogen)\b",
        r"\b(?:hüfte|oberschenkel|bein|arm|handgelenk|schulter) " + W + r"{0,2}(?:gebrochen"
        r"|ist ab)\b",
    ),
    "bewusstlos": _compile(
        r"\bbewusst ?los", r"\bohnmacht(?:ig)?\b", r"\bleblos\b", r"\bweggetreten\b",
        r"\bwach(?:t|en)? " + W + r"{0,2}nicht (?:mehr )?auf\b",
        r"\b(?:kriege|krieg|kriegen|bekomme|bekommen) " + W + r"{0,2}nicht (?:mehr )?wach\b",
        r"\bnicht (?:mehr )?(?:wach zu (?:kriegen|bekommen)|ansprechbar|zu wecken)\b",
        r"\breagiert " + W + r"?(?:nicht|kaum|gar nicht|garnicht)(?: mehr)?(?: auf (?:mich|uns"
        r"|ansprache|rufen|klopfen|schütteln))?" + END,
        r"\b(?:regt|rührt|bewegt) sich " + W + r"?(?:nicht|kaum)(?: mehr)?" + END,
        r"\b(?:krampfanfall|krampft|epileptisch\w*|anfall)\b",
        r"\baugen " + W + r"?verdreht\b", r"\bzuckt " + W + r"{0,3}(?:ganzen körper|am ganzen)",
        r"\bkein(?:en)? (?:puls|herzschlag)\b",
        r"\blässt sich " + W + r"?nicht (?:mehr )?(?:auf)?wecken\b",
        r"\bmacht " + W + r"{0,2}augen " + W + r"?nicht (?:mehr )?auf\b",
    ),
    "atmung": _compile(
        r"\b(?:keine|kaum|schlecht|schwer|wenig) (?:\w+ )?luft\b", r"\b(?:atem|luft)not\b",
        r"\b(?:atmet|atme|atmen|atmest) " + W + r"{0,3}(?:nicht|kaum|schwer|komisch|flach|rasselnd"
        r"|pfeifend|schlecht)\b",
        r"\bnicht (?:mehr )?(?:richtig )?atmen\b", r"\bröchel", r"\bjapst\b", r"\bjapsen\b",
        r"\bnach luft\b", r"\bluft " + W + r"?(?:weg|bleibt weg"
        r"|wegbleibt)\b", r"\batemstillstand\b",
        r"\b(?:lippen|gesicht|haut|finger) " + W + r"{0,2}blau\b", r"\basthmaanfall\b",
    ),
    "brust": _compile(
        r"\bbrust ?(?:schmerz|enge|druck|stechen)",
        r"\b(?:schmerz\w*|druck|drückt|enge|engegefühl|stechen|sticht|brennen|brennt"
        r"|zieht) " + W + r"{0,5}brust\b",
        r"\bbrust " + W + r"{0,3}(?:tut|schmerzt|drückt|sticht|brennt|eng|zieht|zugeschnürt)\b",
        r"\b(?:tut|tun) " + W + r"{0,3}brust " + W + r"{0,2}weh\b",
        r"\b(?:schmerz\w*|druck|stechen) " + W + r"{0,4}brust(?:bein|korb)\b",
        r"\bherz ?(?:infarkt|stillstand|attacke|anfall)", r"\bherzrasen\b",
        r"\bherz " + W + r"?(?:rast|rasen|stolpert|setzt aus|tut weh|schmerzt|sticht)\b",
        r"\b(?:zieht|strahlt) " + W + r"{0,3}(?:in den|in die) " + W + r"?(?:arm|kiefer|schulter)",
    ),
    "schlaganfall": _compile(
        r"\bschlag ?an ?fall?", r"\b(?:hirnschlag|hirninfarkt|hirnblutung)\b", r"\bgelähmt\b",
        r"\blähmung", r"\bhalbseitig", r"\blall(?:t|en)\b",
        r"\b(?:mund ?winkel|mund|gesicht|gesichtshälfte|lippe|augenlid) " + W + r"{0,2}(?:hängt"
        r"|hängen|schief|verzogen|sackt)",
        r"\bschiefe?[nrs]? (?:mund|gesicht|lippe)",
        r"\bspricht " + W + r"{0,3}(?:undeutlich|verwaschen|komisch|lallend)\b",
        r"\b(?:kann|konnte|kannst) " + W + r"{0,3}nicht (?:mehr )?(?:richtig )?(?:sprechen"
        r"|reden)\b",
        r"\bsprache " + W + r"?weg\b", r"\bfinde?t " + W + r"?keine worte\b",
        r"\b(?:arm|hand|bein|seite|gesichtshälfte|körperhälfte)\w* " + W + r"{0,3}"
        r"(?:nicht (?:mehr )?(?:bewegen|heben|spüren)|taub|gelähmt|schlaff|hängt)\b",
        r"\b(?:sieht|sehe|seh) " + W + r"{0,2}doppelt\b",
    ),
    "blutung": _compile(
        r"\bblut(?:et|en) " + W + r"?(?:stark|sehr|viel|ganz doll|doll|wie verrückt|heftig"
        r"|ununterbrochen|immer weiter|so)\b",
        r"\bblutet " + W + r"{0,2}(?:am kopf|aus dem|aus der)\b",
        r"\bblut\w* " + W + r"{0,5}(?:ohne pause|immer mehr|es wird mehr|nicht zu stoppen)\b",
        r"\bhört " + W + r"?nicht (?:mehr )?auf (?:zu )?bluten\b",
        r"\bblut\w* " + W + r"{0,3}hört " + W + r"{0,2}nicht (?:mehr )?auf\b",
        r"\b(?:viel|überall|so viel|eine menge|voller) " + W + r"?blut\b", r"\bblutlache\b",
        r"\b(?:spuckt|spucke|hustet|huste|erbricht|kotzt|erbreche) " + W + r"?blut\b",
        r"\b(?:schwer|stark|schlimm|großflächig) " + W + r"{0,2}(?:verbrannt|verbrüht|verletzt)\b",
        r"\b(?:tiefe|große|klaffende) " + W + r"?(?:wunde|schnittwunde)\b", r"\bplatzwunde\b",
    ),
    "ersticken": _compile(
        r"\berstick\w*", r"\bverschluckt\b",
        r"\b(?:steckt|stecken|hängt) " + W + r"{0,3}(?:im hals|in der kehle|im rachen)",
        r"\b(?:im hals|in der kehle|im rachen) " + W + r"?stecken",
    ),
    "feuer_gas": _compile(
        r"\bes brennt\b", r"\bfeuer\b", r"\bbrand\b", r"\b(?:in )?flammen\b", r"\blichterloh\b",
        # "X brennt" is fire unless X is a body part or a light ("die Augen brennen")
        r"(?<!\baugen )(?<!\bauge )(?<!\bhaut )(?<!\bwunde )(?<!\bzunge )(?<!\bhals )(?<!\bmagen )"
        r"(?<!\blicht )(?<!\blampe )(?<!\bsonne )(?<!\bnarbe )(?<!\bfüße )(?<!\bblase )"
        r"\bbrenn(?:t|en)\b(?! mir| beim| bei | auf der seele| unter)"
        r"(?!(?: \w+){0,3} (?:augen|haut|wunde|zunge|hals|magen|füße|narbe)\b)",
        r"\b(?:qualm|qualmt|verqualmt|rauch)\b",
        r"\brauchmelder " + W + r"?(?:piept|piepst|geht|losgegangen|schlägt|heult|alarm)",
        r"\b(?:riech|stink)\w* " + W + r"{0,3}(?:nach )?(?:gas|rauch|verbrannt|verkohlt|brand"
        r"|qualm)\b",
        r"\b(?:gas|brand|rauch)geruch\b", r"\bgasleck\b", r"\bkohlenmonoxid\b",
        r"\bgas " + W + r"{0,2}(?:strömt|tritt aus|leck|ausgetreten)",
    ),
    "gewalt": _compile(
        r"\beinbrech\w*", r"\beinzubrechen\b", r"\beinbruch\b", r"\beingebrochen\b",
        r"\b(?:aufgebrochen|aufgehebelt)\b",
        r"\b(?:bricht|brechen|brecht|brach|brachen) " + W + r"{0,3}(?:bei (?:mir|uns|ihr|ihm)"
        r"|in (?:die|unsere|meine|seine|ihre) wohnung|ins haus) ein\b",
        r"\w*tür\w* " + W + r"?(?:aufzubrechen|aufbrechen|eingetreten|aufhebeln)",
        r"\b(?:fremde?[rnms]?|jemand) " + W + r"{0,3}(?:in|im) (?:der |meiner |unserer |dem "
        r"|meinem |unserem |seiner |ihrer )?"
        r"(?:wohnung|haus|keller|zimmer|schlafzimmer)\b",
        r"\bjemand " + W + r"{0,3}(?:will|versucht|probiert) " + W + r"{0,2}(?:rein|herein"
        r"|einzudringen|reinzukommen)",
        r"\bhebel\w* " + W + r"{0,4}(?:tür|fenster)\w* auf\b",
        r"\bmacht sich " + W + r"{0,3}zu schaffen\b", r"\bhöre (?:jemanden|einen|wen|schritte)\b",
        r"\bklettert " + W + r"{0,3}(?:balkon|fenster)",
        r"\b(?:schlägt|schlagen|verprügelt|prügelt|bedroht|bedrohen|würgt|tritt|misshandelt"
        r"|schubst|vergewaltigt)"
        r" " + W + r"?(?:mich|uns|meine|meinen|ihn|sie|mama|papa|oma|opa)\b(?!(?: \w+){0,4} vor\b)",
        r"\b(?:hat|haben) " + W + r"{0,3}(?:geschlagen|verprügelt|gewürgt|getreten|bedroht"
        r"|angegriffen|geschubst|misshandelt|eingesperrt|vergewaltigt)\b",
        r"\b(?:werde|wurde|wird|werden) " + W + r"{0,3}(?:geschlagen|verprügelt|gewürgt"
        r"|getreten|bedroht|angegriffen|misshandelt|vergewaltigt|eingesperrt|überfallen"
        r"|ausgeraubt)\b",
        r"\b(?:angegriffen|überfallen|ausgeraubt|geschubst|vergewaltigt)\b",
        r"\b(?:messer|waffe|pistole)\b.{0,30}\b(?:bedroht|droht|fuchtelt|sticht|angreift)",
        r"\bdroht " + W + r"{0,3}(?:mich|uns|mir) " + W + r"{0,2}(?:umzubringen|zu töten"
        r"|zu schlagen)",
        r"\bgewalt\b",
    ),
    "vergiftung": _compile(
        r"\b(?:zu viele|alle|ganz viele|sehr viele|viel zu viele|ganze packung|die ganzen"
        r"|doppelt so viele|eine handvoll) "
        + W + r"{0,3}(?:\w*tabletten|\w*pillen|medikamente|tropfen)",
        r"\b(?:tabletten|pillen|medikamente|schlaftabletten)\w* " + W + r"{0,3}(?:auf einmal"
        r"|alle auf einmal)\b",
        r"\b(?:überdosis|überdosiert|vergiftet|vergiftung|giftig\w*)\b",
        r"\b(?:reiniger|putzmittel|spülmittel|entkalker|waschmittel|bleiche|abflussreiniger"
        r"|gift|lampenöl|frostschutz\w*|rattengift|benzin)"
        r" " + W + r"{0,3}(?:getrunken|geschluckt|gegessen|verschluckt)",
        r"\b(?:getrunken|geschluckt|gegessen) " + W + r"{0,3}(?:reiniger|putzmittel|entkalker"
        r"|gift)\b",
    ),
    "zucker": _compile(
        r"\bunter ?zucker\w*", r"\büber ?zucker\w*", r"\bhypo\b",
        r"\bhyperglyk\w*", r"\bhypoglyk\w*",
        r"\b(?:blut)?zucker\w* " + W + r"{0,3}(?:zu )?(?:niedrig|tief|hoch|im keller|entgleist"
        r"|verrückt|sackt ab|fällt|abgestürzt)\b",
        r"\b(?:blut)?zucker\w* " + W + r"{0,3}(?:[1-9]|[1-5]\d|[5-9]\d\d)\b",
        r"\b(?:diabet\w*|zuckerkrank\w*|insulin\w*)\b.{0,80}\b(?:zittert|zittern|schwitzt"
        r"|kaltschweißig|verwirrt|wirr|benommen|torkelt)\b",
        r"\b(?:zittert|schwitzt|kaltschweißig|verwirrt|benommen)\b.{0,80}\b(?:diabet\w*"
        r"|zuckerkrank\w*|insulin\w*)\b",
        r"\b(?:zu viel|doppelt"
        r"|zweimal) " + W + r"{0,2}insulin\b", r"\binsulin " + W + r"{0,3}(?:zu viel|doppelt"
        r"|zweimal)\b",
    ),
    "verwirrt_fieber": _compile(
        r"\bfieber\b.{0,80}\b(?:verwirrt|wirr|durcheinander|fantasiert|phantasiert|halluziniert"
        r"|erkennt (?:mich|uns) nicht|apathisch|benommen|delir\w*)",
        r"\b(?:verwirrt|wirr|durcheinander|fantasiert|phantasiert|apathisch"
        r"|benommen)\b.{0,80}\bfieber\b",
        r"\b(?:plötzlich|auf einmal|seit heute|seit vorhin"
        r"|seit ein paar stunden) " + W + r"{0,4}(?:verwirrt|durcheinander|wirr)\b",
        r"\b(?:verwirrt|durcheinander|wirr)\b " + W + r"{0,3}(?:plötzlich|auf einmal|seit heute"
        r"|seit vorhin)\b",
        r"\bwirres zeug\b", r"\b(?:40|41"
        r"|42) (?:grad )?fieber\b", r"\bfieber " + W + r"{0,2}(?:über |von |bei )?(?:40|41|42)\b",
        r"\berkennt (?:mich|uns|niemanden) " + W + r"?(?:plötzlich|auf einmal) " + W + r"?nicht",
    ),
    SUICIDE_CATEGORY: _compile(
        r"\b(?:erschießt|erhängt|tötet|erschieße|erhänge) (?:sich"
        r"|mich)\b", r"\bsuizid\w*", r"\bselbstmord\w*", r"\bselbsttötung\w*", r"\blebensmüd\w*",
        r"\babschiedsbrief\w*",
        r"\b(?:mich|uns|sich|dich|mir|ihn) " + W + r"{0,2}(?:umbringen|umzubringen|töten"
        r"|erhängen|erschießen|umbring\w*)\b",
        r"\b(?:bring|bringe|bringt|bringen|brachte) " + W + r"?(?:mich|sich|dich"
        r"|uns) " + W + r"{0,2}um\b(?! (?:den|die|das)\b)",
        r"\b(?:mir|sich|ihm|ihr|dir) " + W + r"?(?:das|dem) leben (?:zu )?nehm",
        r"\bnicht mehr (?:weiter ?)?leben\b", r"\bnicht mehr da sein\b",
        r"\bkeine (?:kraft|lust|freude) mehr (?:zu |zum )?leben\b",
        r"\b(?:will|möchte|möchten|wollen|möcht|würde gern|würde am liebsten|wünsche mir) " + W
        + r"{0,2}sterben\b(?! zu hause| zuhause| daheim| in würde| im | in meine| ohne)",
        r"\b(?:am liebsten|lieber) " + W + r"?(?:wäre|wär) (?:ich|er|sie) " + W + r"?tot\b",
        r"\bwäre " + W + r"?lieber " + W + r"?tot\b", r"\btot sein\b",
        r"\bkeinen? (?:sinn|ausweg) " + W + r"?mehr\b", r"\b(?:leben"
        r"|alles) " + W + r"{0,2}keinen sinn\b",
        r"\b(?:mir|sich|ihm|ihr) (?:et)?was an(?:zu)?tun\b",
        r"\bschluss mit (?:allem|dem leben|mir|meinem leben|alles)\b",
        r"\b(?:will|möchte|wollen) " + W + r"{0,2}(?:das |dem )?(?:alles|mein leben"
        r"|meinem leben) (?:beenden|ein ende)",
        r"\b(?:allem|meinem leben|seinem leben|ihrem leben|dem ganzen) ein ende (?:setzen"
        r"|machen|bereiten)",
        r"\btabletten " + W + r"?(?:gesammelt|gehortet|gebunkert)\b", r"\b(?:sammle|horte"
        r"|sammelt) " + W + r"{0,2}tabletten",
        r"\b(?:spring|springe|springt|springen|stürze mich|werfe mich) " + W + r"{0,3}(?:vom"
        r"|von der"
        r"|von einer|aus dem|vor den|vor einen) "
        + W + r"?(?:dach|balkon|fenster|brück\w*|hochhaus|zug|lkw|bus)",
        r"\bvor (?:den|einen) (?:zug|lkw|bus) " + W + r"?(?:werfen|springen|laufen)",
        r"\b(?:nicht mehr|nie mehr|nie wieder) (?:auf)?wach(?:en|e)\b",
        r"\b(?:würde|wird) " + W + r"{0,3}(?:niemand|keiner|kein mensch) " + W + r"?vermissen",
        r"\b(?:niemand|keiner|kein mensch) " + W + r"{0,2}(?:würde|wird) " + W + r"{0,2}(?:mich"
        r"|uns) " + W + r"?vermissen",
        r"\bbesser (?:\w+ ){0,2}ohne mich\b",
        r"\bvermisst " + W + r"{0,3}(?:niemand|keiner)\b", r"\b(?:niemand"
        r"|keiner) " + W + r"{0,2}vermisst mich\b",
        r"\b(?:allen|euch|jedem|für alle|für jeden|meinen kindern"
        r"|der familie) " + W + r"{0,2}(?:nur )?(?:eine "
        r"|zur )?last\b",
        r"\bwill nicht mehr" + END,
    ),
    "notruf": _compile(
        r"(?<!\bim )(?<!\bfür den )(?<!\bbei einem )(?<!\bin einem )(?<!\bfür einen )(?<!\bfür )"
        r"\bnotfall\b",
        r"(?<!\bmit )(?<!\bund )(?<!\bmobiler )(?<!\bmobile )(?<!\bmobilen )"
        r"\bnotruf\b(?! ?(?:system|gerät|uhr|armband|knopf|taste))",
        r"(?<!\bbei der )(?<!\bvon der )"
        r"\b(?:notarzt|krankenwagen|rettungswagen|rtw|rettungsdienst|sanitäter"
        r"|feuerwehr)\b", r"\b112\b",
        r"\b(?:ruf\w*|brauche|hol\w*) " + W + r"{0,2}polizei\b", r"\bpolizei (?:rufen|holen"
        r"|kommen)\b",
        r"(?:^|[.;:!?] *)(?:bitte )?(?:(?:hilfe+|hilf mir|helft mir"
        r"|help) *)+(?:bitte)? *(?:[!,.]|$)",
        r"\b(?:schnell|sofort|dringend) " + W + r"?hilfe\b", r"\bhilfe " + W + r"?(?:schnell"
        r"|sofort)\b",
        r"\bsos\b", r"\bum leben und tod\b",
    ),
}

# Patterns whose hit is never more than "moeglich" ("ich kann nicht mehr": exhaustion or
# despair - the TelefonSeelsorge line is offered, the answer still follows).
CAPPED: dict[str, tuple[re.Pattern[str], ...]] = {
    SUICIDE_CATEGORY: _compile(
        r"\bkann nicht mehr" + END, r"\bsterbehilfe\b", r"\bkeine kraft mehr\b",
    ),
}

# Key words found with one typo; real words one edit away are listed as never-typos.
TYPO_WORDS = {
    "gesturzt": "sturz", "hingefallen": "sturz", "umgefallen": "sturz", "umgekippt": "sturz",
    "zusammengebrochen": "sturz", "zusammengesackt": "sturz",
    "bewusstlos": "bewusstlos", "ohnmachtig": "bewusstlos", "schlaganfall": "schlaganfall",
    "herzinfarkt": "brust", "brustschmerzen": "brust", "einbrecher": "gewalt",
    "krankenwagen": "notruf", "rettungswagen": "notruf", "selbstmord": SUICIDE_CATEGORY,
    "lebensmude": SUICIDE_CATEGORY, "umbringen": SUICIDE_CATEGORY, "erstickt": "ersticken",
    "vergiftet": "vergiftung", "unterzuckert": "zucker", "unterzuckerung": "zucker",
    "gasgeruch": "feuer_gas",
}
NEVER_TYPOS = {"gestutzt", "gesturmt", "gestutz", "ersteckt", "vergibt"}
MIN_TYPO_LENGTH = 7

# Colloquial and dialect spellings, word by word (after folding).
COLLOQUIAL = {
    "nich": "nicht", "net": "nicht", "ned": "nicht", "nit": "nicht", "is": "ist", "isch": "ich",
    "ick": "ich", "hab": "habe", "nen": "einen", "ne": "eine", "grad": "gerade", "jrad": "gerade",
    "gfalle": "gefallen", "gfallen": "gefallen", "jefallen": "gefallen", "jefalln": "gefallen",
    "gefalln": "gefallen", "umjefalln": "umgefallen", "hinjefalln": "hingefallen",
}

# --- clause context -------------------------------------------------------------------------

CLAUSE_BREAK = re.compile(r"[.;:!?\n]+|,(?! *(?:dass|ob|wenn|falls|wie|bevor|nachdem|damit|weil"
    r"|sobald)\b)"
                          r"|\b(?:und|aber|doch|sondern|denn|jedoch|trotzdem|oder)\b")
NEGATORS = {"nicht", "kein", "keine", "keinen", "keiner", "keinem", "nie", "niemals", "weder"}
NEGATION_STOPS = {"ob", "dass", "wie", "was", "wo", "wer", "wann", "weil", "wenn", "falls"}
NEGATION_WINDOW = 3

# A question about the topic or a harmless setting: never acute.
TOPIC = _compile(
    r"\berkenn(?:e|st|t|en|bar|ung)?\b(?! (?:mich|uns|niemanden|sie|ihn)\b)",
    r"\bwor(?:an|auf) " + W + r"{0,2}erkenn", r"\bwie " + W + r"{0,2}erkenn", r"\berkennt man\b",
    r"\b(?:anzeichen|symptome|warnzeichen|vorzeichen|warnsignale?|merkmale)\b",
    r"\bzeichen (?:für|eines|einer|von)\b",
    r"\bvorbeug\w*", r"\bvorsorge\b", r"\bschütz\w* " + W + r"{0,4}(?:vor"
        r"|gegen)\b", r"\bschutz (?:vor|gegen)\b",
    r"\b(?:schützen|schütze|schützt|sichere|sichert)\b",
    r"\b(?:patientenverfügung|testament|hospiz\w*|palliativ\w*|sterbebegleitung)\b",
    r"\b(?:zu hause|zuhause|daheim|in würde) sterben\b", r"\b\w*(?:gruppe|treff|beratung)\b",
    r"\b(?:wie|wor(?:an|auf)) merk\w* (?:ich|man)\b", r"\bwann ist\b", r"\bsoll(?:te)? (?:ich"
        r"|man) " + W + r"{0,4}(?:immer|jedes mal)\b",
    r"\b(?:sichern|absichern|sicherer machen|verhindern|vermeiden|verhüten|vorsichtsmaßnahmen)\b",
    r"\b(?:kurs|kurse|lehrgang|schulung|lernen|üben|auffrischen)\b",
    r"\bwas (?:tun|tut man|macht man|mache ich|muss ich|muss man|soll ich|sollte ich|sollte man"
        r"|kann ich|kann man|ist zu tun)"
    r" " + W + r"{0,2}(?:bei|wenn|falls|im fall)\b",
    r"\bwas tun bei\b", r"\bwie (?:verhalte|verhält|reagiere|reagiert|helfe"
        r"|hilft) " + W + r"{0,2}(?:ich|man)\b",
    r"\b(?:was kostet|kosten|zuschuss|bezahlt|zahlt|rechnung|versicherung|beantrag\w*|antrag)\b",
    r"\b(?:statistik|wie oft|wie viele|wie häufig|risiko|gefahr)\b",
    r"\b(?:film|serie|krimi|tatort|buch|roman|zeitung|artikel|nachrichten|fernsehen|hörspiel"
        r"|theaterstück|spiel)\b",
    r"\b(?:was bedeutet|was ist ein|was ist eine|was heißt|unterschied|wie funktioniert"
        r"|erklär\w*|informationen?|infos?)\b",
    r"\b(?:warnt|warnung|ratgeber|broschüre|vortrag)\b",
    r"\bwie (?:spreche|rede) ich\b", r"\bwie (?:kann|soll) ich " + W + r"{0,3}(?:helfen"
        r"|unterstützen|ansprechen)\b",
)
# Something happening now: a past or hypothetical clause stays acute.
NOW = _compile(
    r"\b(?:gerade|eben|soeben|jetzt|sofort|schnell|dringend|heute|vorhin|momentan|grade)\b",
    r"(?:^|[.,;:!?] *)(?:bitte )?hilfe\b", r"\bhilfe *!",
    r"\bseit (?:einer|zwei|drei|ein paar|einigen|\d+) (?:minuten?|stunden?)\b",
    r"\b(?:immer noch|noch immer|liegt noch)\b", r"\bkomm\w* " + W + r"{0,3}nicht (?:mehr )?hoch\b",
)
# The past: lowers physical danger and suicidal intent alike.
PAST = _compile(
    r"\bvor " + W + r"?(?:jahr|jahren|monat|monaten|woche|wochen|tag|tagen)\b",
    r"\b(?:letzte[nsr]?|vorige[nsr]?|vergangene[nsr]?) (?:jahr|monat|woche|sommer|winter|herbst"
        r"|frühling|mal)\b",
    r"\b(?:damals|früher|neulich|kürzlich|mal wieder|schon mal|schon einmal|mehrmals|ehemals)\b",
    r"(?<!\bseit )\bgestern\b", r"\b(?:hatte|hatten|hattest|gehabt|war damals)\b",
    r"\b(?:war|waren) " + W + r"{0,3}(?:da|hier|gekommen)\b", r"\bwieder (?:gut|besser|zu hause"
        r"|daheim)\b",
    r"\b(?:nach|seit) (?:dem|einem|ihrem|seinem|meinem|unserem|der|ihrer|seiner|meiner) " + W + r"?"
    r"(?:sturz|schlaganfall|herzinfarkt|unfall|brand|einbruch|operation|krankenhaus\w*)\b",
    r"\bim (?:januar|februar|märz|april|mai|juni|juli|august|september|oktober|november"
        r"|dezember)\b",
    r"\b(?:19|20)\d\d\b",
)
# Habits, hypotheticals, worries, settings without danger: lower physical danger only.
NOT_NOW = PAST + _compile(
    r"\b(?:öfter|oft|häufig|ständig|immer wieder|manchmal|regelmäßig|jedes mal|schon zweimal"
        r"|schon dreimal)\b",
    r"\b(?:wenn|falls|sollte|angenommen|irgendwann|jemals|eventuell)\b",
    r"\b(?:angst|sorge|sorgen|befürchte|fürchte|furcht|panik)\b", r"\b(?:aufpassen|passiert)\b",
    r"\bseit " + W + r"?(?:jahren|monaten|wochen|langem|längerem)\b",
    r"\b(?:demenz|dement|alzheimer)\b", r"\bbatterie\w*", r"\b(?:wird|werde|würde) mal\b",
    r"\b(?:hast|haben) (?:du|sie) (?:mal )?feuer\b", r"\bfeuer geben\b", r"\bbei (?:einem|einer)\b",
    r"\b(?:arbeitet|arbeite|ist|war|bin) " + W + r"{0,2}(?:bei der|beim|bei) " + W
    + r"?(?:feuerwehr|rettungsdienst|polizei)",
    r"\b(?:baum|äste|ast|\w*kurs|aktie\w*|preis\w*|zaun|schrank|regal|vase|flasche|bild)\b",
    r"\bvor (?:lachen|schreck|freude|wut|neid|müdigkeit)\b",
    r"\b(?:kamin|ofen|grill\w*|lagerfeuer|osterfeuer|kerzen?|feuerzeug|sauna)\b",
    r"\b(?:mir|ihr|ihm|uns) (?:ist|sind) " + W + r"{0,4}(?:runter|herunter|hin)gefallen\b",
    r"\b(?:pflegegrad|reha|kur|hausarzt|termin|pflegedienst)\b",
)
# Somewhere in the message: the danger is over.
RESOLVED = _compile(
    r"\balles " + W + r"?(?:wieder )?(?:gut|in ordnung|ok|okay)\b", r"\bgeht (?:es )?(?:ihm|ihr"
        r"|mir|uns) " + W + r"?(?:wieder )?(?:gut|besser)\b",
    r"\b(?:ist|sind) " + W + r"?(?:wieder )?(?:vorbei|aufgestanden|wach|versorgt"
        r"|entlassen)\b", r"\bnichts (?:schlimmes )?passiert\b",
    r"\bwieder (?:auf den beinen|zu hause"
        r"|daheim)\b", r"\bentlassen\b", r"\bnicht (?:so )?schlimm\b",
)


@dataclass(frozen=True)
class _Hit:
    category: str
    tier: Tier


def assess(text: str) -> Assessment:
    """The tier, category and kind of help for one user message."""
    folded = _prepare(text)
    if not folded:
        return NO_DANGER
    resolved = any(p.search(folded) for p in RESOLVED)
    hits = [_judge(folded, category, match.start(), match.end(), capped, resolved)
            for category, match, capped in _matches(folded)]
    judged = [hit for hit in hits if hit is not None]
    if hits and not judged:
        return Assessment(NONE, negated=True)
    return _verdict(judged)


def _prepare(text: str) -> str:
    words = (COLLOQUIAL.get(word, word) for word in fold(text[:2000]).split(" "))
    return " ".join(words)


def _matches(folded: str) -> list[tuple[str, re.Match[str], bool]]:
    found: list[tuple[str, re.Match[str], bool]] = []
    for table, capped in ((CATEGORIES, False), (CAPPED, True)):
        for category, patterns in table.items():
            found.extend((category, m, capped) for p in patterns for m in p.finditer(folded))
    covered = [(m.start(), m.end()) for _, m, _ in found]
    for word in re.finditer(rf"[a-z]{{{MIN_TYPO_LENGTH},}}", folded):
        if word.group() in NEVER_TYPOS or any(s <= word.start() < e for s, e in covered):
            continue
        typo_of = next((c for w, c in TYPO_WORDS.items() if within_one_edit(word.group(), w)), None)
        if typo_of:
            found.append((typo_of, word, False))
    return found


def _clause(folded: str, start: int, end: int) -> tuple[str, str]:
    """The clause around a hit: (text before the hit in its clause, the whole clause)."""
    breaks = [(m.start(), m.end()) for m in CLAUSE_BREAK.finditer(folded)]
    left = max((e for s, e in breaks if e <= start), default=0)
    right = min((s for s, e in breaks if s >= end), default=len(folded))
    return folded[left:start], folded[left:right]


def _negated(before: str) -> bool:
    words = before.split()[-NEGATION_WINDOW:]
    for index in range(len(words) - 1, -1, -1):
        word = words[index]
        if word in NEGATION_STOPS:
            return False
        if word in NEGATORS:
            following = words[index + 1] if index + 1 < len(words) else ""
            return following != "nur"
    return False


def _judge(folded: str, category: str, start: int, end: int, capped: bool,
           resolved: bool) -> _Hit | None:
    before, clause = _clause(folded, start, end)
    if _negated(before):
        return None
    if capped or any(p.search(clause) for p in TOPIC):
        return _Hit(category, POSSIBLE)
    if category == SUICIDE_CATEGORY:
        past = any(p.search(clause) for p in PAST)
        return _Hit(category, POSSIBLE if past else ACUTE)
    if any(p.search(clause) for p in NOW):
        return _Hit(category, ACUTE)
    if resolved or any(p.search(clause) for p in NOT_NOW):
        return _Hit(category, POSSIBLE)
    return _Hit(category, ACUTE)


def _verdict(hits: list[_Hit]) -> Assessment:
    if not hits:
        return NO_DANGER
    acute = [hit for hit in hits if hit.tier == ACUTE]
    if acute:
        # physical danger first (112), then suicidal intent (TelefonSeelsorge and 112)
        physical = [hit for hit in acute if hit.category != SUICIDE_CATEGORY]
        decisive = (physical or acute)[0]
        return Assessment(ACUTE, decisive.category, _kind(decisive.category))
    decisive = hits[0]
    return Assessment(POSSIBLE, decisive.category, _kind(decisive.category))


def _kind(category: str) -> Kind:
    return "suizid" if category == SUICIDE_CATEGORY else "akut"
