"""Console pages for the content review: /pruefung ("Angaben prüfen": facts whose review date
has passed or is due within 60 days, with the answers using them) and /antwortkatalog (the
Antwortkatalog of `quartierslotse answers export`, inside the console layout).

Only municipality admins and admins see them (advisors get the German 403 page). The list
is bot.content.review.check and the catalog is bot.content.catalog.html_body: this module
only labels, caches and shows them. Both take seconds to compute (they read every response
template), so each result is kept per day until one of the content files changes
(`ContentCache`, keyed by the files' modification times); the list is computed once when
the console starts.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from markupsafe import Markup
from sanic import Blueprint
from sanic.blueprint_group import BlueprintGroup
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.content import build, catalog, review
from bot.content import facts as facts_module
from handoff.models import ROLE_ADMIN, ROLE_MUNICIPALITY_ADMIN, Advisor
from knowledge.hours import local_zone

REVIEW_ROLES = frozenset({ROLE_MUNICIPALITY_ADMIN, ROLE_ADMIN})
FORBIDDEN = ("Diese Seite ist nur für die Verwaltung der Kommune und die Gesamtverwaltung. "
             "Bei Fragen zu den Angaben des Assistenten wenden Sie sich bitte an Ihre "
             "Verwaltung.")
BAD_DAY = "Bitte geben Sie das Datum so ein: JJJJ-MM-TT (zum Beispiel 2027-01-02)."
SECTION_LABELS = {"pflege": "Pflege", "vorsorge": "Vorsorge", "wohnen": "Wohnen",
                  "soziales": "Geld im Alter", "gesundheit": "Gesundheit",
                  "phones": "Telefonnummer"}
FIELD_LABELS = {"label": "Bezeichnung", "source": "Quelle", "as_of": "Stand",
                "review_by": "Prüfdatum"}
PROGRAM_TEXT = "Programmtext "  # prefix bot.content.review gives texts built in Python
ANSWER_PREFIX = "answers."      # prefix of the answer sources in bot.content.review

T = TypeVar("T")
Render = Callable[..., HTTPResponse]


def may_review(advisor: Advisor | None) -> bool:
    """Whether an account sees the review pages (and the links and notice leading there)."""
    return advisor is not None and getattr(advisor, "role", "") in REVIEW_ROLES


def local_today() -> date:
    return datetime.now(local_zone()).date()


# ---- what the pages show ---------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One fact or answer source to review, in words for the page."""

    key: str
    label: str
    values: list[str]
    source: str
    as_of: str
    review_by: str
    overdue: bool
    problem: str
    used_in: list[str]

    @property
    def is_answer(self) -> bool:
        """The source of a whole answer (bot/facts.yml `answers`), not a single figure."""
        return self.key.startswith(ANSWER_PREFIX)


@dataclass(frozen=True)
class Summary:
    day: date
    overdue: list[Item]
    soon: list[Item]

    @property
    def total(self) -> int:
        return len(self.overdue) + len(self.soon)

    @property
    def notice(self) -> str:
        """"35 Angaben müssen geprüft werden" (1: "1 Angabe muss geprüft werden")."""
        if self.total == 1:
            return "1 Angabe muss geprüft werden"
        return f"{self.total} Angaben müssen geprüft werden"

    @property
    def detail(self) -> str:
        """Which of them are overdue and which are due soon."""
        overdue = count_words(len(self.overdue), "ist", "sind")
        soon = count_words(len(self.soon), "wird", "werden")
        return f"{overdue} überfällig, {soon} in den nächsten {review.WARN_DAYS} Tagen fällig."


def count_words(count: int, singular: str, plural: str) -> str:
    """(0, "ist", "sind") -> "keine ist", (1, …) -> "1 ist", (2, …) -> "2 sind"."""
    if count == 0:
        return f"keine {singular}"
    return f"{count} {singular if count == 1 else plural}"


def words(name: str) -> str:
    """"verhinderungspflege_abrechnung" -> "Verhinderungspflege Abrechnung"."""
    return " ".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def answer_label(name: str, questions: dict[str, str]) -> str:
    """An answer in words: its example question, or where a program text is shown."""
    if name.startswith(PROGRAM_TEXT):
        text = name.removeprefix(PROGRAM_TEXT)
        return f"Text im Programm: {catalog.PYTHON_TEXTS.get(text, text)}"
    question = questions.get(name)
    return f"Antwort auf „{question}“" if question else f"Antwort {name}"


def item_label(key: str, entry: dict[str, Any], questions: dict[str, str]) -> str:
    if key.startswith(ANSWER_PREFIX):
        return answer_label(key.removeprefix(ANSWER_PREFIX), questions)
    section, _, name = key.partition(".")
    label = str(entry.get("label") or words(name))  # the check reports a missing label
    return f"{SECTION_LABELS.get(section, words(section))}: {label}"


def problem_text(problem: str) -> str:
    """"fehlt: source, review_by" -> "fehlt: Quelle, Prüfdatum"."""
    for name, label in FIELD_LABELS.items():
        problem = problem.replace(name, label)
    return problem


def day_text(day: date) -> str:
    """date(2026, 12, 2) -> "2. Dezember 2026"."""
    month_year = facts_module.german_date(day.replace(day=2).isoformat())
    return f"{day.day}. {month_year}"


def shown_date(text: str) -> str:
    try:
        return facts_module.german_date(text)
    except (ValueError, IndexError):
        return text or "fehlt"


def item_for(due: review.Due, data: dict[str, Any], questions: dict[str, str]) -> Item:
    if due.key.startswith(ANSWER_PREFIX):
        entry = facts_module.answers(data).get(due.key.removeprefix(ANSWER_PREFIX), {})
        values = []
    else:
        fact = facts_module.facts(data)[due.key]
        entry = fact.data
        values = [shown for _, shown in catalog.fact_values(fact)] or ["keine Zahl (nur Quelle)"]
    return Item(
        key=due.key, label=item_label(due.key, entry, questions), values=values,
        source=str(entry.get("source") or "fehlt"), as_of=shown_date(str(entry.get("as_of", ""))),
        review_by=day_text(due.review_by) if due.review_by else "fehlt",
        overdue=due.overdue, problem=problem_text(due.problem),
        used_in=[answer_label(name, questions) for name in due.answers])


def summary(day: date, data: dict[str, Any]) -> Summary:
    """The review list of bot.content.review for `day`, in words."""
    questions = catalog.example_questions()
    items = [item_for(due, data, questions) for due in review.check(day, data)]
    items.sort(key=lambda item: item.key.startswith(ANSWER_PREFIX))  # facts, then answers
    return Summary(day, [i for i in items if i.overdue], [i for i in items if not i.overdue])


# ---- cache -------------------------------------------------------------------------------


def review_sources(facts_file: Path) -> list[Path]:
    """The files the review list is computed from."""
    return [facts_file, *build.templates()]


def catalog_sources() -> list[Path]:
    """The files the Antwortkatalog is computed from."""
    folders = (build.DOMAIN_DIR, catalog.NLU_DIR, catalog.KNOWLEDGE_DIR)
    return [*review_sources(facts_module.FACTS_FILE),
            *(path for folder in folders for path in sorted(folder.glob("*.yml")))]


def fingerprint(paths: Iterable[Path]) -> tuple[tuple[str, int], ...]:
    stamps = []
    for path in paths:
        try:
            stamps.append((str(path), path.stat().st_mtime_ns))
        except OSError:
            stamps.append((str(path), -1))
    return tuple(stamps)


class ContentCache(Generic[T]):
    """`compute(day)` kept per day while the source files are unchanged. A change of any
    file drops every result and the facts file's parse cache (bot.content.facts.load)."""

    def __init__(self, compute: Callable[[date], T], sources: Callable[[], list[Path]],
                 keep_days: int = 4) -> None:
        self._compute = compute
        self._sources = sources
        self._keep_days = keep_days
        self._lock = threading.Lock()
        self._stamp: tuple[tuple[str, int], ...] = ()
        self._results: dict[date, T] = {}
        self.computed = 0  # how often compute ran (for tests)

    def peek(self, day: date) -> T | None:
        """The result if it is ready and current (no computing, a few file stats)."""
        if fingerprint(self._sources()) != self._stamp:
            return None
        return self._results.get(day)

    def get(self, day: date) -> T:
        """Blocking (seconds on a miss): call it from a worker thread."""
        with self._lock:
            stamp = fingerprint(self._sources())
            if stamp != self._stamp:
                facts_module.load.cache_clear()
                self._results.clear()
                self._stamp = stamp
            if day not in self._results:
                while len(self._results) >= self._keep_days:
                    del self._results[next(iter(self._results))]
                self._results[day] = self._compute(day)
                self.computed += 1
            return self._results[day]


class Review:
    """The cached review list and Antwortkatalog, for the pages and the queue's notice.

    Results that are ready are answered at once; a miss is computed on the review's own
    worker threads, so waiting for it never blocks the console's database calls."""

    def __init__(self, facts_file: Path = facts_module.FACTS_FILE,
                 today: Callable[[], date] = local_today) -> None:
        self.today = today

        def compute(day: date) -> Summary:
            return summary(day, facts_module.load(facts_file))

        def sources() -> list[Path]:
            return review_sources(facts_file)

        self.list_cache: ContentCache[Summary] = ContentCache(compute, sources, keep_days=2)
        # other days of the preview form: their own cache, so they never delay the notice
        self.preview_cache: ContentCache[Summary] = ContentCache(compute, sources)
        self.catalog_cache: ContentCache[str] = ContentCache(catalog.html_body, catalog_sources,
                                                             keep_days=2)
        self._workers = ThreadPoolExecutor(max_workers=3, thread_name_prefix="content-review")

    async def _get(self, cache: ContentCache[T], day: date) -> T:
        ready = cache.peek(day)
        if ready is not None:
            return ready
        return await asyncio.get_running_loop().run_in_executor(self._workers, cache.get, day)

    async def summary(self, day: date | None = None) -> Summary:
        today = self.today()
        day = day or today
        return await self._get(self.list_cache if day == today else self.preview_cache, day)

    async def catalog(self) -> str:
        return await self._get(self.catalog_cache, self.today())

    async def notice_for(self, advisor: Advisor) -> Summary | None:
        """Today's list for the queue page of those who may review, if anything is due."""
        if not may_review(advisor):
            return None
        found = await self.summary()
        return found if found.total else None


# ---- the blueprints ----------------------------------------------------------------------


def parse_day(text: str | None) -> date | None:
    """The `stichtag` of the preview form; None when absent, ValueError when malformed."""
    if not text:
        return None
    return date.fromisoformat(text.strip())


def review_list_blueprint(data: Review, requires_login: Callable[..., Any],
                          render: Render) -> Blueprint:
    bp = Blueprint("review_list")

    @bp.listener("after_server_start")
    async def _warm_up(app: Any, _: Any) -> None:
        app.add_task(data.summary())  # the first queue page needs no wait

    @bp.get("/pruefung")
    @requires_login()
    async def review_page(request: Request) -> HTTPResponse:
        advisor = request.ctx.advisor
        if not may_review(advisor):
            return render("error.html", 403, advisor=advisor, message=FORBIDDEN)
        today = data.today()
        try:
            day = parse_day(request.args.get("stichtag")) or today
            message, status = "", 200
        except ValueError:
            day, message, status = today, BAD_DAY, 400
        return render("pruefung.html", status, advisor=advisor, csrf=request.ctx.csrf,
                      summary=await data.summary(day), preview=day != today, today=today,
                      day_label=day_text(day),
                      message=message, warn_days=review.WARN_DAYS)

    return bp


def catalog_blueprint(data: Review, requires_login: Callable[..., Any],
                      render: Render) -> Blueprint:
    bp = Blueprint("answer_catalog")

    @bp.get("/antwortkatalog")
    @requires_login()
    async def catalog_page(request: Request) -> HTTPResponse:
        advisor = request.ctx.advisor
        if not may_review(advisor):
            return render("error.html", 403, advisor=advisor, message=FORBIDDEN)
        # the catalog escapes every text itself (bot.content.catalog.html_body)
        body = Markup(await data.catalog())
        return render("antwortkatalog.html", advisor=advisor, csrf=request.ctx.csrf, body=body)

    return bp


def create_blueprints(data: Review, requires_login: Callable[..., Any],
                      render: Render) -> BlueprintGroup:
    """/pruefung and /antwortkatalog; session, CSRF and templates are the console's."""
    return Blueprint.group(review_list_blueprint(data, requires_login, render),
                           catalog_blueprint(data, requires_login, render))


__all__ = ["REVIEW_ROLES", "Review", "create_blueprints", "may_review"]
