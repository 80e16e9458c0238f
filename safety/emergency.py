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
   a sign of now ("gerade", "jetzt", "Hilfe") keeps a past or hypothetical clause acute,
   an urgency word ("sofort", "schnell") a hypothetical but not a past one. Poisoning is
   told in the past tense ("hatte Pilze gegessen"), so "hatte" does not lower it.
   "alles wieder gut" somewhere in the message lowers physical danger to "moeglich".
   Suicidal intent is only lowered by a topic question or the past. In doubt: acute.
4. Some categories need two signs together, each from a lexicon of its kind: fever and
   confusion, diabetes and a sign of a low or high blood sugar.

Measured on sets written by others without sight of these patterns
(benchmarks/emergency_eval.py --set ...; its docstring says which sets the patterns were
developed on and which one was measured untouched).
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
CALL_FOR_HELP = "notruf"
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
# Lexicons of categories that are recognised by two signs together
DIABETES = (r"(?:diabet\w*|zuckerkrank\w*|insulin\w*|messgerät|zuckerwert\w*|blutzucker\w*"
            r"|gespritzt|spritze)\b")
LOW_OR_HIGH_SUGAR_SIGN = (
    r"(?:zitter\w*|schwitz\w*|kaltschweißig|verwirrt|wirr|benommen|torkelt|wackelig|zittrig"
    r"|kaum (?:noch )?wach|nicht (?:mehr )?wach|bewusstlos|übel|durst|verschwitzt|schläfrig"
    r"|reagiert (?:\w+ ){0,2}langsam"
    r"|wert\w* (?:\w+ ){0,2}(?:ganz |sehr |viel zu |zu )?(?:tief|niedrig|hoch))\b")
FEVER = (r"(?:fieber\w*|glüht|glühend|heiß|schüttelfrost"
         r"|3[89][,.]\d|4[0-2](?:[,.]\d)? grad)")
CONFUSED = (
    r"(?:verwirrt\w*|wirr\w*|durcheinander|orientierungslos|desorientiert|neben der spur"
    r"|unsinn|fantasiert|phantasiert|halluzin\w*|delir\w*|apathisch|benommen"
    r"|weiß (?:\w+ ){0,2}nicht (?:mehr )?(?:wo|wer|welche\w*|was)"
    r"|erkennt (?:mich|uns|niemanden|keinen)"
    r"|sieht (?:\w+ ){0,2}(?:leute|menschen|dinge|sachen|tiere),? die nicht"
    r"|(?:redet|spricht|erzählt) von (?:leuten|menschen|dingen|tieren)|die (?:gar )?nicht da sind"
    r"|kennt sich (?:\w+ )?nicht (?:mehr )?aus|fragt nach (?:ihrer|seiner|ihrem|seinem) "
    r"(?:toten|verstorbenen))")
END = r"(?=\s*[.,;:!?]|\s*$| und\b| aber\b| wenn\b)"  # the clause ends here

# category -> patterns. Each pattern describes a kind of danger, not an example sentence.
CATEGORIES: dict[str, tuple[re.Pattern[str], ...]] = {
    "sturz": _compile(
        r"\b[gj]e?st(?:u|uh)?rt?zt\b",  # gestürzt, gestuerzt, gesturtzt, jestürzt
        r"\bstürz(?:t|en)?\b",
        r"\b(?:runter|hin|herunter|hinunter|hinab|raus|heraus)[gj]?e?stürzt\b",
        r"\b(?:hin|hi|um|runter|herunter|hinunter|nieder|nunter|runner"
        r"|nunner) ?[gj]?e?fall?(?:e?n?|t)\b",
        r"\b(?:bin|ist|sind|bist) (?:(?!schwer|leicht)\w+ ){0,3}[gj]e?fall?e?n\b",
        r"\b(?:um|weg|zusammen) ?[gj]e(?:kippt|sackt|klappt|brochen)\b",
        r"\b(?:kippt|sackt|klappt|bricht) (?:\w+ )?(?:um|weg|zusammen)" + END,
        r"\b(?:liegt|liege|lieg|lag|liegen|lagen) " + W + r"{0,6}(?:am|auf dem|auf den|im|in der"
        r"|vor dem|vorm|unter dem|auf der) "
        + W + r"?(?:boden|fussboden|flur|fliesen|treppe|strasse|gehweg|teppich|erde)\b",
        r"\b(?:komm[est]?|kam|kommen|kann|kriege|krieg|kriegen|kriegt|bekomme|bekommt|bekommen) "
        + W
        + r"{0,3}nicht (?:mehr )?(?:allein |alleine |selbst )?(?:hoch|auf|rauf)\b",
        r"\bkann " + W + r"{0,2}nicht (?:mehr )?(?:allein |alleine |selbst )?aufstehen\b",
        r"\bkann (?:sich|mich) " + W + r"?nicht (?:mehr )?(?:bewegen|rühren)\b",
        r"\bfalle " + W + r"?(?:gleich |jetzt )?um\b",
        r"\b(?:liegt|liege|lieg|lag|liegen) " + W + r"{0,4}(?:neben dem|vor dem|vorm|unterm"
        r"|unter dem|hinter dem|zwischen) " + W + r"?(?:bett|sofa|sessel|couch|badewanne|dusche"
        r"|toilette|klo|schrank|tisch)\b",
        r"\b(?:treppe|stufen?) " + W + r"{0,3}(?:runter|herunter|hinunter|hinab|gestolpert"
        r"|gefallen)",
        r"\b(?:vom|von der|aus dem) " + W + r"?(?:stuhl|bett|sofa|rollstuhl|leiter|rollator"
        r"|sessel|toilette) "
        + W + r"?(?:gekippt|gefallen|gerutscht|gestürzt)",
        r"\b(?:ausgerutscht|gestolpert|hingeknallt|hingeflogen)\b",
        r"\b(?:hüfte|oberschenkel|bein|arm|handgelenk|schulter) " + W + r"{0,2}(?:gebrochen"
        r"|ist ab)\b",
        r"\b(?:hin|um|nieder)[gj]?e?(?:schlagen|knallt|plumpst|segelt|flogen)\b",
        r"\bauf die nase [gj]e?fall\w*",
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
        r"\b(?:macht|kriegt|kriege|bekommt|bekomme) " + W + r"{0,2}augen " + W
        + r"?nicht (?:mehr )?auf\b",
        r"\böffnet " + W + r"{0,2}augen " + W + r"?nicht\b",
        r"\b(?:ganz|völlig|total|komplett) (?:schlaff|leblos|weggetreten|apathisch)\b",
        r"\b(?:antwortet|antwortest|antworte) " + W + r"?(?:nicht|kaum|gar nicht)(?: mehr)?" + END,
        r"\bgibt " + W + r"{0,2}(?:keine antwort|keinen (?:ton|laut|mucks))\b",
        r"\bschwarz vor (?:den )?augen\b",
    ),
    "atmung": _compile(
        r"\b(?:keine|kaum|schlecht|schwer|wenig) (?:\w+ )?luft\b", r"\b(?:atem|luft)not\b",
        r"\b(?:atmet|atme|atmen|atmest) " + W + r"{0,3}(?:nicht|kaum|schwer|komisch|flach|rasselnd"
        r"|pfeifend|schlecht)\b",
        r"\bnicht (?:mehr )?(?:richtig )?atmen\b", r"\bröchel", r"\bjapst\b", r"\bjapsen\b",
        r"\bnach luft\b", r"\bluft " + W + r"?(?:weg|bleibt weg"
        r"|wegbleibt)\b", r"\batemstillstand\b",
        r"\b(?:lippen|gesicht|haut|finger) " + W + r"{0,2}blau\b", r"\basthmaanfall\b",
        r"\b(?:kann|konnte|kannst|können) " + W + r"{0,2}(?:nicht|kaum|schwer|schlecht) (?:mehr )?"
        r"(?:richtig )?(?:atmen|luft holen|durchatmen)\b",
        r"\b(?:läuft|laufen|lief) " + W + r"{0,3}blau an\b", r"\bblau (?:angelaufen|anlaufen)\b",
        r"\b(?:pfeift|pfeifen|rasselt|rasseln|brodelt|gurgelt|röchelt) " + W
        + r"{0,2}(?:beim|bei jedem) atm",
        r"\bbeim atmen " + W + r"{0,3}(?:pfeift|rasselt|brodelt|gurgelt)\b",
        r"\bringt " + W + r"?nach (?:luft|atem)\b",
        r"\bluft " + W + r"{0,3}(?:knapp\w*|eng)\b",
        r"\b(?:rassel\w*|pfeif\w*|brodel\w*|gurgel\w*|röchel\w*)\b.{0,30}\batm",
    ),
    "brust": _compile(
        r"\bbrust ?(?:schmerz|enge|druck|stechen)",
        r"\b(?:schmerz\w*|druck|drückt|enge|engegefühl|stechen|sticht|brennen|brennt"
        r"|zieht) " + W + r"{0,5}brust\b",
        r"\bbrust " + W + r"{0,3}(?:tut|schmerzt|drückt|sticht|brennt|eng|zieht|zugeschnürt)\b",
        r"\b(?:tut|tun) " + W + r"{0,3}brust " + W + r"{0,2}weh\b",
        r"\b(?:schmerz\w*|druck|stechen) " + W + r"{0,4}brust(?:bein|korb)\b",
        r"\bherz ?(?:infarkt|stillstand|attacke|anfall)", r"\binfarkt\b", r"\bherzrasen\b",
        r"\bherz " + W + r"?(?:rast|rasen|stolpert|setzt aus|tut weh|schmerzt|sticht)\b",
        r"\b(?:zieht|strahlt) " + W + r"{0,3}(?:in den|in die) " + W + r"?(?:arm|kiefer|schulter)",
        r"\beng\w* (?:ums|um das|um die|in der|auf der) (?:herz|brust)\b",
        r"\b(?:herz|brust)\w*\b.{0,80}\b(?:schmerz\w*|zieht|strahlt|ausstrahl\w*) " + W
        + r"{0,3}(?:bis )?(?:in den|in die|zum|zur) " + W
        + r"?(?:arm|kiefer|schulter|rücken|hals|nacken)\b",
        r"\b(?:sitzt|liegt|lastet|drückt|hockt) " + W
        + r"{0,3}auf (?:der|meiner|seiner|ihrer) brust\b",
        r"\bschnürt " + W + r"{0,3}(?:brust|hals|kehle)",
        r"\bauf (?:der|meiner|seiner|ihrer) brust (?:sitzt|liegt|lastet|drückt|hockt)\b",
    ),
    "schlaganfall": _compile(
        r"\bschlag ?an ?fall?", r"\b(?:hirnschlag|hirninfarkt|hirnblutung)\b", r"\bgelähmt\b",
        r"\blähmung", r"\bhalbseitig", r"\blall(?:t|en)\b",
        r"\b(?:mund ?winkel|mund|gesicht|gesichtshälfte|lippe|augenlid|lächeln) " + W
        + r"{0,2}(?:hängt"
        r"|hängen|schief|verzogen|sackt)",
        r"\bschiefe?[nrs]? (?:mund|gesicht|lippe)",
        r"\b(?:spricht|redet|redt) " + W + r"{0,3}(?:undeutlich|verwaschen|komisch|lallend)\b",
        r"\b(?:kann|konnte|kannst) " + W + r"{0,3}nicht (?:mehr )?(?:richtig )?(?:sprechen"
        r"|reden)\b",
        r"\bsprache " + W + r"?weg\b", r"\bfinde?t " + W + r"?keine worte\b",
        r"\b(?:arm|hand|bein|seite|gesichtshälfte|körperhälfte)\w* " + W + r"{0,3}"
        r"(?:nicht (?:mehr )?(?:bewegen|heben|spüren)|taub|gelähmt|schlaff|hängt)\b",
        r"\b(?:sieht|sehe|seh) " + W + r"{0,2}doppelt\b",
        r"\bkein gefühl " + W + r"{0,2}(?:in|im) " + W + r"{0,2}(?:arm|hand|bein|fuß|gesicht"
        r"|seite|körperhälfte)",
        r"\bzunge " + W + r"{0,2}(?:schwer|lahm|gelähmt|taub)\b",
        r"\b(?:arm|arme|hand|hände|bein|beine) " + W + r"{0,3}nicht (?:mehr )?" + W
        + r"{0,2}(?:hoch|oben) ?(?:halten|heben|kriegen)\b",
        r"\blächelt " + W + r"?schief\b",
        r"\b(?:plötzlich|auf einmal|seit eben|seit vorhin)\b.{0,40}\b(?:sehe|sieht|seh)\b.{0,50}"
        r"\b(?:nichts|nix|kaum was|schwarz) mehr\b",
        r"\b(?:sehe|sieht|seh)\b.{0,50}\b(?:nichts|nix|kaum was) mehr\b.{0,30}\b(?:plötzlich"
        r"|auf einmal|seit eben|seit vorhin)\b",
    ),
    "blutung": _compile(
        r"\bblut(?:et|en) " + W + r"?(?:stark|sehr|viel|ganz doll|doll|wie verrückt|heftig"
        r"|ununterbrochen|immer weiter|so)\b",
        r"\bblutet " + W + r"{0,2}(?:am kopf|aus dem|aus der)\b",
        r"\bblut\w* " + W + r"{0,5}(?:ohne pause|immer mehr|es wird mehr|nicht zu stoppen)\b",
        r"\bhört " + W + r"?nicht (?:mehr )?auf (?:zu )?bluten\b",
        r"\bblut\w* " + W + r"{0,3}hört " + W + r"{0,2}nicht (?:mehr )?auf\b",
        r"\b(?:viel|überall|so viel|eine menge|voller) " + W + r"?blut\b", r"\bblutlache\b",
        r"\b(?:spuckt|spucke|spuck|hustet|huste|erbricht|kotzt|erbreche) " + W + r"?blut\b",
        r"\b(?:schwer|stark|schlimm|großflächig) " + W + r"{0,2}(?:verbrannt|verbrüht|verletzt)\b",
        r"\b(?:tiefe|große|klaffende) " + W + r"?(?:wunde|schnittwunde)\b", r"\bplatzwunde\b",
        r"\b(?:wunde|blut|ader|schlagader)\w* " + W + r"{0,4}(?:spritzt|spritzen|sprudelt"
        r"|pulsiert|schießt)\b",
        r"\bblut (?:läuft|fließt|strömt|quillt|schießt|sprudelt)\b",
        r"\b(?:handtuch|verband|pflaster|tuch|tücher|küchenrolle|kompresse)\w* " + W
        + r"{0,3}(?:durch|durchgeblutet|durchgeweicht|voller blut|voll blut)\b",
        r"\bblut\w* " + W + r"{0,4}seit (?:über |mehr als )?(?:einer|zwei|drei|\d+) "
        r"(?:stunde|stunden|minuten)\b",
        r"\b(?:läuft|tropft|blutet|fließt|suppt) und (?:läuft|tropft|blutet|fließt|suppt)\b",
        r"\b(?:krampfader|ader|wunde|narbe)\w* " + W
        + r"{0,3}(?:aufgeplatzt|geplatzt|aufgegangen)\b",
        r"\bkaffeesatz\b",
    ),
    "ersticken": _compile(
        r"\berstick\w*", r"\bverschluckt\b",
        r"\b(?:steckt|stecken|hängt|sitzt) " + W + r"{0,5}(?:im hals|in der kehle|im rachen"
        r"|in der speiseröhre)",
        r"\b(?:in den|in die) " + W + r"?(?:hals|rachen|kehle|luftröhre|speiseröhre) " + W
        + r"?(?:gerutscht|geraten|gekommen)",
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
        r"\b(?:rauch|co|kohlenmonoxid|gas) ?melder " + W
        + r"?(?:piept|piepst|geht|losgegangen|schlägt|heult|alarm)(?!.*batterie)",
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
        r"\w*(?:tür|fenster)\w* " + W + r"?(?:aufzubrechen|aufbrechen|eingetreten|aufhebeln"
        r"|aufzuhebeln|aufgehebelt)",
        r"\b(?:fremde?[rnms]?|jemand) " + W + r"{0,3}(?:in|im) (?:der |meiner |unserer |dem "
        r"|meinem |unserem |seiner |ihrer )?"
        r"(?:wohnung|haus|keller|zimmer|schlafzimmer)\b",
        r"\bjemand " + W + r"{0,3}(?:will|versucht|probiert) " + W + r"{0,2}(?:rein|herein"
        r"|einzudringen|reinzukommen)",
        r"\bhebel\w* " + W + r"{0,4}(?:tür|fenster)\w* auf\b",
        r"\bmacht sich " + W + r"{0,3}zu schaffen\b", r"\bhöre (?:jemanden|einen|wen|schritte)\b",
        r"\bklettert " + W + r"{0,3}(?:balkon|fenster)",
        r"\b(?:schlägt|schlagen|verprügelt|prügelt|bedroht|bedrohen|würgt|tritt|misshandelt"
        r"|schubst|vergewaltigt|haut|hauen)"
        r" " + W + r"?(?:mich|uns|meine|meinen|ihn|sie|mama|papa|oma|opa|tochter|frau|mann"
        r"|mutter|kind|kinder)\b(?!(?: \w+){0,4} vor\b)",
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
        r"\bdroh\w* (?:mir|mich|uns|ihr|ihm)\b",
        r"\b(?:geht|gehen|ging) " + W + r"{0,4}auf (?:mich|uns|sie|ihn|mama|papa|oma|opa) los\b",
        r"\b(?:fenster|scheibe|tür|haustür|balkontür)\w* " + W + r"{0,2}(?:eingeschlagen"
        r"|eingetreten|eingeworfen|aufgebrochen)\b",
        r"\b(?:jemand|einer|ein mann|eine frau|ein fremder|fremde|der typ|die typen)\b.{0,40}"
        r"\bwill (?:hier |bei mir |bei uns |unbedingt )?(?:rein|herein)\b",
        r"\b(?:er|sie|der|die|einer|jemand|man) " + W + r"{0,3}(?:mich|uns|meine\w*|ihn|sie) " + W
        + r"{0,2}(?:umbringt|umbringen|umzubringen|tötet|töten|absticht|abstechen)\b",
        r"\bam (?:schloss|türschloss|fenster|türgriff) " + W + r"?(?:rum|herum)?gefummelt\b",
        r"\bwühl\w* " + W + r"{0,3}(?:schränke?n?|sachen|schubladen)\b",
        r"\bhöre? " + W + r"?(?:sie|ihn|jemanden|die|den) " + W + r"?(?:schreien|brüllen|um hilfe)",
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
        r"\b(?:pilze|beeren|giftpflanze\w*|eibe|fingerhut|maiglöckchen)\b.{0,60}\b(?:erbricht"
        r"|erbrechen|übel|kotzt|krämpfe|bauchkrämpfe|schwindlig|schwindelig|durchfall)",
        r"\b(?:ganze[ns]?|komplette[ns]?|volle[ns]?) " + W + r"?(?:flasche|fläschchen|packung"
        r"|schachtel|blister|dose|röhrchen)\w* " + W + r"{0,3}(?:aus)?(?:getrunken|geschluckt"
        r"|genommen|gegessen|leer)",
        r"\w*(?:tabletten|pillen|medikament\w*|dosis|tropfen)\w* " + W + r"{0,3}(?:doppelt|dreifach"
        r"|mehrfach|zweimal|dreimal|mehrmals|zu viel|zuviel)\b",
        r"\w*(?:tabletten|pillen|medikament\w*) " + W + r"{0,2}mit (?:alkohol|schnaps|wein|bier"
        r"|likör)\b",
        r"\b(?:knollenblätterpilz|fliegenpilz|giftpilz)\w*",
        r"\bviele " + W + r"{0,2}\w*(?:tabletten|pillen) " + W + r"{0,4}(?:genommen|geschluckt"
        r"|eingenommen)\b",
        r"\b(?:übel|schlecht|\w*schlecht|erbricht|erbrechen|kotzt|krämpfe)\b.{0,60}\b\w*pilz\w*",
        r"\b(?:doppelte|dreifache|mehrfache|zehnfache) (?:dosis|menge|portion)\b",
    ),
    "zucker": _compile(
        r"\bunter ?zucker\w*", r"\büber ?zucker\w*", r"\bhypo\b",
        r"\bhyperglyk\w*", r"\bhypoglyk\w*",
        r"\b(?:blut)?zucker\w* " + W + r"{0,3}(?:zu )?(?:niedrig|tief|hoch|im keller|entgleist"
        r"|verrückt|sackt ab|fällt|abgestürzt)\b",
        r"\b(?:blut)?zucker\w* " + W + r"{0,3}(?:[1-9]|[1-5]\d|[5-9]\d\d)\b",
        r"\b" + DIABETES + r".{0,80}\b" + LOW_OR_HIGH_SUGAR_SIGN,
        r"\b" + LOW_OR_HIGH_SUGAR_SIGN + r".{0,80}\b" + DIABETES,
        r"\b(?:messgerät|gerät|zuckerwert|wert|zucker\w*) " + W
        + r"{0,5}(?:(?:über|unter|bei|auf) )*(?:[3-9]\d\d|[1-4]\d)\b",
        r"\binsulin " + W + r"{0,2}gespritzt\b.{0,40}\b(?:nichts|nix|kaum|nicht) (?:\w+ )?"
        r"gegessen\b",
        r"\b(?:zu viel|doppelt"
        r"|zweimal) " + W + r"{0,2}insulin\b", r"\binsulin " + W + r"{0,3}(?:zu viel|doppelt"
        r"|zweimal)\b",
    ),
    "verwirrt_fieber": _compile(
        r"\b" + FEVER + r"\b.{0,100}\b" + CONFUSED,
        r"\b" + CONFUSED + r"\b.{0,100}\b" + FEVER + r"\b",
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
        r"\b(?:mir|sich|ihm|ihr|dir) " + W + r"{0,3}(?:das|dem) leben (?:zu )?nehm",
        r"\bnicht mehr (?:weiter ?)?leben\b", r"\bnicht mehr da (?:sein|wär|wäre|bin)\b",
        r"\bkeine (?:kraft|lust|freude) mehr (?:zu |zum )?leben\b",
        r"\bkeine? (?:lust|kraft|freude) mehr (?:auf|am|zum|zu|op) (?:das )?leben\b",
        r"\bwenn (?:ihr|du|sie) (?:das|dies|den brief) (?:lest|liest|lesen)\b",
        r"\b(?:will|möchte|möchten|wollen|möcht|würde gern|würde am liebsten|wünsche mir) "
        r"(?:(?!nicht |im |in |zu |zuhause |daheim |allein\w* |ohne )\w+ ){0,5}"
        r"sterben\b(?! zu hause| zuhause| daheim| in würde| im | in meine| ohne)",
        r"\b(?:nimmt|nehme|nehm|nahm|nehmen) (?:sich|mir|ihm|ihr) " + W + r"?(?:das|dem) leben\b",
        r"\b(?:seil|strick)\b " + W + r"{0,3}(?:besorgt|gekauft|bereit|geknüpft)",
        r"\bwozu (?:noch )?(?:weitermachen|weiterleben|leben)\b",
        r"\b(?:am liebsten|lieber) " + W + r"?(?:wäre|wär) (?:ich|er|sie) " + W + r"?tot\b",
        r"\bwäre " + W + r"?lieber " + W + r"?tot\b", r"\btot sein\b",
        r"\bkeinen? (?:sinn|ausweg) " + W + r"?mehr\b", r"\b(?:leben"
        r"|alles) " + W + r"{0,2}keinen sinn\b",
        r"\b(?:mir|sich|ihm|ihr) (?:et)?was an(?:zu)?tun\b",
        r"\b(?:tut|tue|tun) (?:sich|mir) " + W + r"{0,2}(?:et)?was an\b",
        r"\bschluss mit (?:allem|dem leben|mir|meinem leben|alles)\b",
        r"\b(?:will|möchte|wollen) " + W + r"{0,2}(?:das |dem )?(?:alles|mein leben"
        r"|meinem leben) (?:beenden|ein ende)",
        r"\b(?:allem|meinem leben|seinem leben|ihrem leben|dem ganzen) ein ende (?:setzen"
        r"|machen|bereiten)",
        r"\btabletten " + W + r"{0,2}(?:\w*gesammelt|gehortet|gebunkert|zusammengesucht)\b",
        r"\b(?:sammle|horte"
        r"|sammelt) " + W + r"{0,2}tabletten",
        r"\b(?:spring|springe|springt|springen|stürze mich|werfe mich) " + W + r"{0,3}(?:vom"
        r"|von der"
        r"|von einer|aus dem|vor den|vor einen) "
        + W + r"?(?:dach|balkon|fenster|brück\w*|hochhaus|zug|lkw|bus)",
        r"\bvor (?:den|einen) (?:zug|lkw|bus) " + W + r"?(?:werfen|springen|laufen)",
        r"\b(?:nicht mehr|nie mehr|nie wieder|nicht wieder) (?:auf)?wach(?:en|e)\b",
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
        r"\b(?:brück\w*|dach|balkon|hochhaus|gleis\w*)\b.{0,60}\bspring\w*",
        r"\beinschlafen\b.{0,40}\b(?:nie|nicht) (?:mehr|wieder) (?:aufwachen|wach werden"
        r"|aufstehen)\b",
        r"\btabletten " + W + r"{0,3}(?:bereit|parat|zurechtgelegt)\b",
        r"\bverabschied\w* (?:sich|mich) (?:für immer|von allen|von euch|von dieser welt)",
    ),
    CALL_FOR_HELP: _compile(
        r"(?<!\bim )(?<!\bfür den )(?<!\bbei einem )(?<!\bin einem )(?<!\bfür einen )(?<!\bfür )"
        r"\bnotfall\b",
        r"(?<!\bmit )(?<!\bund )(?<!\bmobiler )(?<!\bmobile )(?<!\bmobilen )"
        r"\bnotruf\b(?! ?(?:system|gerät|uhr|armband|knopf|taste))",
        r"(?<!\bbei der )(?<!\bvon der )(?<!\bfreiwilligen )(?<!\bfreiwillige )"
        r"\b(?:notarzt|krankenwagen|rettungswagen|rtw|rettungsdienst|sanitäter"
        r"|feuerwehr)\b", r"\b112\b",
        r"\b(?:ruf\w*|brauche|hol\w*) " + W + r"{0,2}polizei\b", r"\bpolizei (?:rufen|holen"
        r"|kommen)\b",
        r"(?:^|[.;:!?] *)(?:bitte )?(?:(?:hilfe+|hilf mir|helft mir"
        r"|help) *)+(?:bitte)? *(?:[!,.]|$)",
        r"\b(?:schnell|sofort|dringend) " + W + r"?hilfe\b", r"\bhilfe " + W + r"?(?:schnell"
        r"|sofort)\b",
        r"\bsos\b", r"\bum leben und tod\b",
        r"(?:^|[.;:!?] *)hilfe+\b(?! (?:beim|bei|für|zum|zur|im|in|mit|zu|von|vom|gesucht|suchen"
        r"|brauchen|benötigt|und|oder)\b)(?= \w)",
        r"\b(?:etwas|was) (?:ganz |sehr )?(?:schlimmes|schreckliches|furchtbares) (?:ist )?"
        r"passiert\b",
        r"\bschick\w* " + W + r"{0,3}(?:jemanden|hilfe|wen|einen arzt|den notarzt)\b",
        r"\bes ist (?:sehr |ganz |wirklich )?dringend\b",
        r"\bpolizei\b(?= *(?:bitte|sofort|schnell|!))",
    ),
}

# Patterns whose hit is never more than "moeglich" ("ich kann nicht mehr": exhaustion or
# despair - the TelefonSeelsorge line is offered, the answer still follows).
CAPPED: dict[str, tuple[re.Pattern[str], ...]] = {
    SUICIDE_CATEGORY: _compile(
        r"\bkann nicht mehr" + END, r"\bsterbehilfe\b", r"\bkeine kraft mehr\b",
    ),
}

# Words that point to suicidal intent rather than physical danger. Alone they are no
# emergency; they choose the kind of help (TelefonSeelsorge and 112) when the trained
# classifier recognised an emergency the categories above found no words for.
SUICIDE_HINTS = _compile(
    r"\bschluss\b", r"\b(?:zur|eine) last\b", r"\blast (?:fallen|sein)\b", r"\bins wasser\b",
    r"\b(?:pistole|revolver|gewehr|waffe|strick|seil)\b", r"\bgleis\w*", r"\b(?:aufhängen"
    r"|aufzuhängen|erhängen)\b", r"\babschied\w*", r"\bverabschied\w*", r"\btschüss\b",
    r"\bdas war'?s\b", r"\bnicht mehr da\b", r"\btestament\b", r"\bverschenkt\b",
    r"\bmag (?:nimmer|nicht mehr)\b", r"\bwill nicht mehr\b", r"\bsterben\b", r"\btot\b",
    r"\bkeinen? sinn\b", r"\b(?:handgelenk|pulsader)\w*", r"\b(?:brücke|dach|balkon)\b",
)

# The vocabulary of describing an emergency at all: the body and its signs, danger, urgency,
# help. The trained classifier's emergency is only believed in a message that uses some of it;
# everyday answers such as "weiß ich nicht" or "ich bin so müde" use none of it.
DANGER_VOCABULARY = _compile(
    # stems also inside compounds ("Schlaftabletten", "Rattengift", "Bauchschmerzen")
    r"(?:tablett|pille|gift|blut|schmerz|zucker|insulin|fieber|atem|brust|krampf|ohnmacht"
    r"|notarzt|krankenwagen|rettung|wunde|schwindel|puls)",
    r"\b(?:atm\w*|luft|herz\w*|boden|lieg\w*|lag|bewusst\w*|wach\w*|reagier\w*|antwort\w*|heiß"
    r"|glüh\w*|feuer|rauch\w*|qualm\w*|gas|brenn\w*|stink\w*|tür\w*|fenster|messer|waffe\w*"
    r"|polizei|schlecht|weh|kalt|blass|grau|blau|zitter\w*|schwitz\w*|schweiß\w*|hals|kehle"
    r"|schluck\w*|steck\w*|erbrech\w*|erbricht|kotz\w*|würg\w*|sterb\w*|tot|leben|schluss|ende"
    r"|sinn|spring\w*|brücke|gleis\w*|hilfe|helf\w*|hilf|schnell|sofort|dringend|arzt|doktor"
    r"|krankenhaus|112|110|sprech\w*|sprache|wörter|ton|gesicht|arm|arme|bein|beine|hand|auge\w*"
    r"|seh\w*|kopf|umgekippt|gefallen|gestürzt|hoch|aufstehen|bewegen|rühr\w*|verwirrt|wirr\w*"
    r"|durcheinander|benommen|schummrig|angst|schrei\w*|schlägt|schlag\w*|droh\w*|einbr\w*"
    r"|fremde\w*|verletz\w*|unfall|taub|gelähmt|schief|hängt|kommt|kommen|jemand|komisch"
    r"|seltsam|anders|nichts mehr)\b",
) + SUICIDE_HINTS

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
    "aufm": "auf dem", "inne": "in der", "kricht": "kriegt", "kriag": "kriege",
    "koa": "keine", "gsicht": "gesicht", "hoass": "heiss", "nimma": "nicht mehr", "woas": "weiss",
    "janze": "ganze", "jefuttert": "gegessen", "tablette": "tabletten", "mieh": "mehr",
    "levve": "leben", "dat": "das", "jetz": "jetzt", "nix": "nichts",
}

# --- clause context -------------------------------------------------------------------------

CLAUSE_BREAK = re.compile(r"[.;:!?\n]+|,(?! *(?:dass|ob|wenn|falls|wie|bevor|nachdem|damit|weil"
    r"|sobald)\b)"
                          r"|(?<!\d )\b(?:und|aber|doch|sondern|denn|jedoch|trotzdem"
                          r"|oder)\b(?! \d)")
NEGATORS = {"nicht", "kein", "keine", "keinen", "keiner", "keinem", "nie", "niemals", "weder"}
NEGATION_STOPS = {"ob", "dass", "wie", "was", "wo", "wer", "wann", "weil", "wenn", "falls"}
NEGATION_WINDOW = 3
# A negation after the hit that takes the need back: "einen Krankenwagen brauchen wir nicht".
NEGATED_AFTER = re.compile(r"^ (?:\w+ ){0,2}(?:brauch\w*|benötig\w*|nötig|notwendig) (?:\w+ )?"
                           r"(?:nicht|keinen|keine|kein)\b")
# ... and right after a short hit: "es brennt nicht", "brennt nix", "brennt es nirgends"
NEGATED_RIGHT_AFTER = re.compile(r"^ (?:es |da |hier )?(?:nicht|nichts|keineswegs|nirgends"
                                 r"|nirgendwo)\b")

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
    r"\b(?:wie|wor(?:an|auf)) (?:be)?merk\w* (?:ich|man)\b",
    r"\bwie (?:sehe|sieht|stelle|stellt) (?:ich|man)\b", r"\bwann ist\b",
    # how an illness shows itself, told in general: "wie äußert sich ein Herzinfarkt"
    r"\bwie (?:fühlt|äußert|zeigt|kündigt) sich\b",
    r"\b(?:bemerkbar|ankündig\w*|unterscheid\w*)\b", r"\bkündig\w* (?:sich|" + W + r"{0,3}an)\b",
    r"\bkann man " + W + r"{0,3}(?:haben|bekommen|kriegen)\b", r"\bsoll(?:te)? (?:ich"
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
    r"\bwor(?:an|auf) " + W + r"{0,2}(?:sieht|sehe|merkt|merke|bemerkt|bemerke) (?:man|ich)\b",
    r"\bwofür (?:steht|stehen|steh)\b", r"\bbuchstaben\b", r"\bstimmt es\b",
    r"\b(?:nummer|rufnummer|telefonnummer)\b", r"\bfragen? (?:zum|zur|zu|wegen|über)\b",
    r"\b(?:eigentlich|vorboten|\w*zeichen|test|typisch\w*|gilt|was bringt|berät|beraten)\b",
    r"\bgegen (?:einbr\w*|feuer|brand|stürze|sturz\w*|gas)\b",
)
# Figures of speech: "zum Ersticken schwül", "ich ersticke in Papierkram".
IDIOM = _compile(
    r"\bzum ersticken\b",
    r"\berstick\w* (?:in|im) (?:\w+ )?(?:arbeit|papierkram|papier|post|briefen|formularen|akten"
    r"|terminen|müll|schulden|rechnungen)\b",
)
NOT_ACUTE_AT_ALL = TOPIC + IDIOM
# Something happening now: a past or hypothetical clause stays acute.
NOW = _compile(
    r"\b(?:gerade|eben|soeben|jetzt|vorhin|momentan|grade)\b",
    r"(?:^|[.,;:!?] *)(?:bitte )?hilfe\b", r"\bhilfe *!",
    r"\bseit (?:einer|zwei|drei|ein paar|einigen|\d+) (?:minuten?|stunden?)\b",
    r"\b(?:immer noch|noch immer|liegt noch)\b", r"\bkomm\w* " + W + r"{0,3}nicht (?:mehr )?hoch\b",
)
# Urgency words that keep a clause acute unless it speaks of the past or of an event that is over
# ("die Feuerwehr hatte es schnell im Griff").
URGENT = _compile(r"\b(?:sofort|schnell|dringend|heute)\b")
# The past: lowers physical danger and suicidal intent alike.
PAST_TIME = _compile(
    r"\bvor " + W + r"?(?:jahr|jahren|monat|monaten|woche|wochen|tag|tagen)\b",
    r"\b(?:letzte[nsr]?|vorige[nsr]?|vergangene[nsr]?) (?:jahr|monat|woche|sommer|winter|herbst"
        r"|frühling|mal)\b",
    r"\b(?:damals|früher|neulich|kürzlich|mal wieder|schon mal|schon einmal|mehrmals|ehemals)\b",
    r"(?<!\bseit )\bgestern\b", r"\bwar damals\b",
    r"\b(?:war|waren) " + W + r"{0,3}(?:da|hier|gekommen)\b", r"\bwieder (?:gut|besser|zu hause"
        r"|daheim)\b",
    r"\b(?:nach|seit) (?:dem|einem|ihrem|seinem|meinem|unserem|der|ihrer|seiner|meiner|\w+s) "
    + W + r"?(?:sturz|schlaganfall|herzinfarkt|infarkt|unfall|brand|einbruch|operation"
    r"|krankenhaus\w*)\b",
    r"\b(?:länger|lange|ewig|jahre|monate|wochen|tage) her\b",
    r"\b(?:nach|seit) " + W + r"{0,3}(?:stürzen|stürze|hirnblutung|op)\b",
    r"\b(?:in diesem|dieses) jahr\b", r"\bim krieg\b",
    r"\bim (?:januar|februar|märz|april|mai|juni|juli|august|september|oktober|november"
        r"|dezember)\b",
    r"\b(?:19|20)\d\d\b",
)
# "hatte" marks the past - except for poisoning, which is told in the past tense ("ich hatte
# Pilze in der Pfanne"), and except after "als"/"ob": folded, "als hätte ich" (as if I had, a
# feeling now) reads "als hatte ich".
PAST = PAST_TIME + _compile(r"(?<!\bals )(?<!\bob )\b(?:hatte|hatten|hattest)\b",
                            r"\bgehabt\b")
INGESTION = "vergiftung"
# Habits, hypotheticals, worries, settings without danger: lower physical danger only.
NOT_NOW_SETTINGS = _compile(
    r"\b(?:öfter|oft|häufig|ständig|immer wieder|manchmal|regelmäßig|jedes mal|schon zweimal"
        r"|schon dreimal)\b",
    r"\b(?:wenn|falls|sollte|angenommen|irgendwann|jemals|eventuell)\b",
    r"\b(?:angst|sorge|sorgen|befürchte|fürchte|furcht|panik)\b", r"\b(?:aufpassen|passiert)\b",
    r"\bseit " + W + r"?(?:jahren|monaten|wochen|langem|längerem)\b",
    r"\bbatterie\w*", r"\b(?:wird|werde|würde) mal\b",
    r"\b(?:hast|haben) (?:du|sie) (?:mal )?feuer\b", r"\bfeuer geben\b", r"\bbei (?:einem|einer)\b",
    r"\b(?:arbeitet|arbeite|ist|war|bin) " + W + r"{0,2}(?:bei der|beim|bei) " + W
    + r"?(?:feuerwehr|rettungsdienst|polizei)",
    r"\b(?:baum|äste|ast|\w*kurs|aktie\w*|preis\w*|zaun|schrank|regal|vase|bild)\b",
    r"\b(?:computer|rechner|laptop|handy|tablet|programm|börse|unkraut|pflanze\w*|tomate\w*"
    r"|blume\w*|beet)\b",
    r"\b(?:zweimal|dreimal|mehrmals|mehrfach|öfters) " + W
    + r"?(?:gestürzt|hingefallen|gefallen)\b",
    r"\b(?:fast|beinahe|erzählt|erzählte|erzählen|spiel\w*|modell\w*|sammle|sammel\w*)\b",
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
    r"\b(?:niemand|keiner) (?:wurde|ist|war) (?:\w+ )?verletzt\b", r"\bbehoben\b",
    r"\bim griff\b",
)


@dataclass(frozen=True)
class _Hit:
    category: str
    tier: Tier
    start: int


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


def mentions_danger(text: str) -> bool:
    """Does the message use any of the vocabulary of describing an emergency?"""
    folded = _prepare(text)
    return any(p.search(folded) for p in DANGER_VOCABULARY)


def suicide_hinted(text: str) -> bool:
    """Does the message point to suicidal intent (see SUICIDE_HINTS)?"""
    folded = _prepare(text)
    return any(p.search(folded) for p in SUICIDE_HINTS)


def _prepare(text: str) -> str:
    return re.sub(r"[a-z]+", lambda word: COLLOQUIAL.get(word.group(), word.group()),
                  fold(text[:2000]))


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


def _clause(folded: str, start: int, end: int) -> tuple[str, str, str]:
    """The clause around a hit: (text before the hit in its clause, the whole clause, text
    after the hit in its clause)."""
    breaks = [(m.start(), m.end()) for m in CLAUSE_BREAK.finditer(folded)]
    left = max((e for s, e in breaks if e <= start), default=0)
    right = min((s for s, e in breaks if s >= end), default=len(folded))
    return folded[left:start], folded[left:right], folded[end:right]


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
    before, clause, after = _clause(folded, start, end)
    if _cancelled(folded[start:end].split(), before, after):
        return None
    return _Hit(category, _tier(category, clause, capped, resolved), start)


def _cancelled(hit: list[str], before: str, after: str) -> bool:
    """A negation takes the hit back: before it, or right after a short one ("brennt nicht";
    not "kriag koa luft ned", where dialect negates twice)."""
    short = len(hit) <= 2 and not NEGATORS.intersection(hit)
    return (_negated(before) or bool(NEGATED_AFTER.match(after))
            or (short and bool(NEGATED_RIGHT_AFTER.match(after))))


def _found_in(clause: str, patterns: tuple[re.Pattern[str], ...]) -> bool:
    return any(p.search(clause) for p in patterns)


def _tier(category: str, clause: str, capped: bool, resolved: bool) -> Tier:
    if capped or _found_in(clause, NOT_ACUTE_AT_ALL):
        return POSSIBLE
    if category == SUICIDE_CATEGORY:
        return POSSIBLE if _found_in(clause, PAST) else ACUTE
    if _found_in(clause, NOW):
        return ACUTE
    if resolved or _found_in(clause, PAST_TIME if category == INGESTION else PAST):
        return POSSIBLE
    if _found_in(clause, URGENT):
        return ACUTE
    return POSSIBLE if _found_in(clause, NOT_NOW_SETTINGS) else ACUTE


def _verdict(hits: list[_Hit]) -> Assessment:
    if not hits:
        return NO_DANGER
    # the danger named first decides; a bare call for help only when nothing more is said
    hits = sorted(hits, key=lambda hit: (hit.category == CALL_FOR_HELP, hit.start))
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
