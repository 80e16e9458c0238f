"""The widget at the sizes seniors use, in headless Chromium against the fake channel:
a phone (390×844) at A, A+ and A++, a laptop (1366×768) and the laptop at 200 % zoom
(683×384 CSS px), and 320 CSS px (reflow). What a senior with poor eyesight notices: the
start of the answer is visible after asking, the close, send and human buttons are fully on
screen with their text inside, the reply to the human button is visible, the keyboard stays
in the open chat, and a stopped server gives a German message with a phone number."""

from __future__ import annotations

import pytest

from tests.web.conftest import SCREENSHOT_DIR, run_axe
from tests.web.fake_webchat import PFLEGEGELD_QUESTION, FakeWebchat

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
LAPTOP_200 = {"width": 683, "height": 384}  # 1366×768 at 200 % browser zoom
NARROW = {"width": 320, "height": 640}  # WCAG 1.4.10 reflow width
SIZE_NAMES = ["A normale Schrift", "A+ große Schrift", "A++ sehr große Schrift"]
STEADY = ("Mit einem Menschen sprechen", "Senden")  # never move, whatever opens above them

# rectangle of an element and of its text (a Range over its contents), in viewport px;
# text that spills out of its button shows as a text box outside the element box
BOXES = """el => {
  const r = el.getBoundingClientRect();
  const range = document.createRange();
  range.selectNodeContents(el);
  const t = range.getBoundingClientRect();
  return {box: [r.left, r.top, r.right, r.bottom], text: [t.left, t.top, t.right, t.bottom],
          overflow: el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1};
}"""


def open_context(browser, viewport: dict, phone: bool):  # noqa: ANN001
    context = browser.new_context(
        viewport=viewport, locale="de-DE", is_mobile=phone, has_touch=phone,
        device_scale_factor=1,
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    return context, page


def start(page, url: str, size: int = 0) -> None:  # noqa: ANN001
    page.goto(url)
    page.wait_for_selector("#quartierslotse-widget[data-ready=true]", state="attached")
    page.get_by_role("button", name="Fragen? Hier chatten").click()
    page.get_by_role("button", name="Einverstanden – Chat beginnen").click()
    page.locator(".msg.bot", has_text="kein Mensch").wait_for(timeout=10_000)
    if size:
        settings = page.get_by_role("button", name="Einstellungen")
        settings.click()
        page.get_by_role("button", name=SIZE_NAMES[size], exact=True).click()
        settings.click()  # the menu closes again: the log gets the space


def ask(page, question: str):  # noqa: ANN001
    page.get_by_label("Ihre Frage").fill(question)
    page.get_by_role("button", name="Senden").click()
    return page.locator(".msg.bot").last


def assert_on_screen(page, locator, viewport: dict, what: str) -> None:  # noqa: ANN001
    boxes = locator.evaluate(BOXES)
    left, top, right, bottom = boxes["box"]
    assert left >= 0 and top >= 0, (what, boxes)
    assert right <= viewport["width"] + 0.5 and bottom <= viewport["height"] + 0.5, (what, boxes)
    tl, tt, tr, tb = boxes["text"]
    assert tl >= left - 0.5 and tr <= right + 0.5, (what, "text sticks out sideways", boxes)
    assert tt >= top - 0.5 and tb <= bottom + 0.5, (what, "text sticks out", boxes)
    assert not boxes["overflow"], (what, "content larger than the button", boxes)


def first_line_visible(page, answer) -> bool:  # noqa: ANN001
    """The answer's first text line lies inside the visible part of the log."""
    return answer.evaluate(
        """m => {
          const body = m.closest('.body').getBoundingClientRect();
          const text = m.querySelector('.text');
          const line = parseFloat(getComputedStyle(text).lineHeight);
          const top = text.getBoundingClientRect().top;
          return top >= body.top - 0.5 && top + line <= body.bottom + 0.5;
        }"""
    )


def no_horizontal_scrolling(page) -> None:  # noqa: ANN001
    widths = page.evaluate(
        """() => {
          const root = document.getElementById('quartierslotse-widget').shadowRoot;
          const parts = ['.panel', '.body', '.header', '.composer'].map(s => root.querySelector(s));
          return {page: [document.documentElement.scrollWidth, window.innerWidth],
                  parts: parts.map(p => [p.scrollWidth, p.clientWidth])};
        }"""
    )
    assert widths["page"][0] <= widths["page"][1], widths
    assert all(scroll <= client + 1 for scroll, client in widths["parts"]), widths


def serious(page, axe: str) -> list[dict]:  # noqa: ANN001
    return [v for v in run_axe(page, axe) if v["impact"] in ("serious", "critical")]


CASES = [
    ("phone-A", PHONE, True, 0),
    ("phone-A+", PHONE, True, 1),
    ("phone-A++", PHONE, True, 2),
    ("laptop-A", LAPTOP, False, 0),
    ("laptop-A++", LAPTOP, False, 2),
    ("laptop-200-A", LAPTOP_200, False, 0),
    ("laptop-200-A++", LAPTOP_200, False, 2),
    ("narrow-320-A++", NARROW, True, 2),
]


@pytest.mark.parametrize(("name", "viewport", "phone", "size"), CASES, ids=[c[0] for c in CASES])
def test_answer_and_buttons_visible_at_every_size(  # noqa: PLR0913
    browser, fake_site, axe, name, viewport, phone, size  # noqa: ANN001
) -> None:
    context, page = open_context(browser, viewport, phone)
    try:
        start(page, fake_site, size)
        answer = ask(page, PFLEGEGELD_QUESTION)
        page.locator(".msg.bot", has_text="Pflegegrad 3").wait_for()
        answer = page.locator(".msg.bot", has_text="Pflegegrad 3")
        page.wait_for_timeout(100)
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / f"layout-{name}-answer.png"))
        assert first_line_visible(page, answer), name
        for label in ("Chat schließen", "Senden", "Mit einem Menschen sprechen"):
            assert_on_screen(page, page.get_by_role("button", name=label), viewport, label)
        no_horizontal_scrolling(page)
        assert serious(page, axe) == [], name

        page.get_by_role("button", name="Mit einem Menschen sprechen").click()
        reply = page.locator(".msg.bot", has_text="Beraterin oder einen Berater")
        reply.wait_for()
        page.wait_for_timeout(100)
        page.screenshot(path=str(SCREENSHOT_DIR / f"layout-{name}-human.png"))
        assert first_line_visible(page, reply), name
        assert serious(page, axe) == [], name

        # the settings menu open, with the deletion question: still no overflow, no violation;
        # the human button and the composer stay where they were (WCAG 3.2.6 consistent help)
        steady = [page.get_by_role("button", name=label) for label in STEADY]
        before = [b.bounding_box() for b in steady]
        page.get_by_role("button", name="Einstellungen").click()
        assert [b.bounding_box() for b in steady] == before, (name, "menu")
        page.screenshot(path=str(SCREENSHOT_DIR / f"layout-{name}-menu.png"))
        page.get_by_role("button", name="Gespräch löschen").click()
        no_horizontal_scrolling(page)
        assert_on_screen(page, page.get_by_role("button", name="Chat schließen"), viewport, "x")
        assert [b.bounding_box() for b in steady] == before, (name, "deletion question")
        for button, label in zip(steady, STEADY, strict=True):
            assert_on_screen(page, button, viewport, label)
        for label in ("Ja, löschen", "Abbrechen"):  # the menu scrolls if it is taller
            button = page.get_by_role("button", name=label)
            button.focus()
            assert_on_screen(page, button, viewport, label)
        page.screenshot(path=str(SCREENSHOT_DIR / f"layout-{name}-settings.png"))
        assert serious(page, axe) == [], name
        assert page.errors == []
    finally:
        context.close()


def active_in_widget(page) -> bool:  # noqa: ANN001
    return page.evaluate(
        "() => document.activeElement === document.getElementById('quartierslotse-widget')"
    )


def test_phone_panel_is_modal_for_the_keyboard(browser, fake_site) -> None:  # noqa: ANN001
    context, page = open_context(browser, PHONE, True)
    try:
        start(page, fake_site)
        panel = page.locator("#ql-panel")
        assert panel.get_attribute("aria-modal") == "true"
        # on a touch screen the text box is not focused on opening (the keyboard would cover
        # half of the chat)
        assert not page.get_by_label("Ihre Frage").evaluate(
            "f => f.getRootNode().activeElement === f"
        )
        seen = set()
        for _ in range(30):
            page.keyboard.press("Tab")
            assert active_in_widget(page)
            seen.add(page.evaluate(
                "() => document.getElementById('quartierslotse-widget').shadowRoot"
                ".activeElement?.textContent || ''"
            ))
        assert any("Senden" in s for s in seen) and any("Schließen" in s for s in seen)
        for _ in range(30):
            page.keyboard.press("Shift+Tab")
            assert active_in_widget(page)
        page.keyboard.press("Escape")
        launcher = page.get_by_role("button", name="Fragen? Hier chatten")
        assert launcher.is_visible()
        assert launcher.evaluate("b => b.getRootNode().activeElement === b")
    finally:
        context.close()


def test_focus_moves_to_the_answer_after_a_choice(fpage, fake_site) -> None:  # noqa: ANN001
    start(fpage, fake_site)
    choice = fpage.get_by_role("group", name="Antwort auswählen").get_by_role(
        "button", name="Vorsorge"
    )
    choice.focus()
    fpage.keyboard.press("Enter")
    answer = fpage.locator(".msg.bot", has_text="Vorsorgevollmacht")
    answer.wait_for()
    fpage.wait_for_function(
        "() => document.getElementById('quartierslotse-widget').shadowRoot.activeElement"
        "?.textContent.includes('Vorsorgevollmacht')"
    )
    # the next Tab goes on inside the answer (its phone link), not from the top of the page
    fpage.keyboard.press("Tab")
    inside = fpage.evaluate(
        "() => document.getElementById('quartierslotse-widget').shadowRoot"
        ".activeElement.closest('.msg.bot')?.textContent.includes('Vorsorgevollmacht')"
    )
    assert inside


def test_answer_start_at_top_and_jump_to_newest(fpage, fake_site, fake: FakeWebchat) -> None:  # noqa: ANN001
    fpage.set_viewport_size(LAPTOP)
    start(fpage, fake_site)
    for _ in range(2):  # a longer conversation, so the log scrolls
        ask(fpage, PFLEGEGELD_QUESTION)
        fpage.wait_for_timeout(600)
    answer = fpage.locator(".msg.bot", has_text="Pflegegrad 3").last
    answer.wait_for()
    fpage.wait_for_timeout(200)
    offset = answer.evaluate(
        "m => m.getBoundingClientRect().top - m.closest('.body').getBoundingClientRect().top"
    )
    assert 0 <= offset < 30  # the start of the answer, not its end, at the top of the log
    # announced once to screen readers: the log is no live region, the answer goes to one
    assert fpage.locator("[role=log]").get_attribute("aria-live") == "off"
    fpage.wait_for_function(
        "() => [...document.getElementById('quartierslotse-widget').shadowRoot"
        ".querySelectorAll('[aria-live=polite]')].some(n => n.textContent.includes('Pflegegrad 3'))"
    )
    names = fpage.locator(".speak").evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))")
    assert len(set(names)) >= 2 and all(n.startswith("Antwort vorlesen: ") for n in names)

    # the user scrolls up to read; a new message does not pull the log away
    fpage.locator(".body").evaluate("b => { b.scrollTop = 0; }")
    fpage.wait_for_timeout(100)
    sender = fpage.evaluate(
        "() => Object.entries(localStorage).find(([k]) => k.endsWith(':sender'))[1]"
    )
    fake.advisor(sender, "Hier ist Frau Schulz vom Seniorenbüro.")
    jump = fpage.get_by_role("button", name="Zur neuesten Antwort")
    jump.wait_for(timeout=5_000)
    assert fpage.locator(".body").evaluate("b => b.scrollTop") == 0
    jump.click()
    advisor = fpage.locator(".msg.advisor")
    assert advisor.evaluate("m => m.getRootNode().activeElement === m")
    assert first_line_visible(fpage, advisor)
    assert not jump.is_visible()


def user_bubbles(page) -> list[str]:  # noqa: ANN001
    return page.locator(".msg.user .text").all_inner_texts()


def test_one_bubble_per_press_also_after_reload(fpage, fake_site) -> None:  # noqa: ANN001
    start(fpage, fake_site)
    ask(fpage, PFLEGEGELD_QUESTION)
    fpage.locator(".msg.bot", has_text="Pflegegrad 3").wait_for()
    # the topic "Büro finden" has the payload of the answer's "Büro in meiner Nähe finden":
    # the server stores the press under the newer title, the user sees what they pressed
    fpage.get_by_role("group", name="Häufige Themen").get_by_role(
        "button", name="Büro finden"
    ).click()
    fpage.locator(".msg.bot", has_text="Seniorenbüro Innenstadt").wait_for()
    fpage.wait_for_timeout(800)  # the long poll delivers the server's copy
    expected = [PFLEGEGELD_QUESTION, "Büro finden"]
    assert user_bubbles(fpage) == expected
    fpage.reload()
    fpage.wait_for_selector("#quartierslotse-widget[data-ready=true]", state="attached")
    fpage.locator(".msg.bot", has_text="Seniorenbüro Innenstadt").wait_for()
    assert user_bubbles(fpage) == expected


def test_reload_with_open_chat_keeps_the_page_still(fpage, fake_site) -> None:  # noqa: ANN001
    fpage.set_viewport_size({"width": 1024, "height": 560})
    start(fpage, fake_site)
    ask(fpage, PFLEGEGELD_QUESTION)
    fpage.locator(".msg.bot", has_text="Pflegegrad 3").wait_for()
    assert fpage.evaluate("() => document.documentElement.scrollHeight > window.innerHeight")
    fpage.reload()
    fpage.wait_for_selector("#quartierslotse-widget[data-ready=true]", state="attached")
    fpage.locator(".msg.bot", has_text="Pflegegrad 3").wait_for()
    fpage.wait_for_timeout(300)
    assert fpage.evaluate("() => window.scrollY") == 0


def test_stopped_server_german_error_with_phone_then_recovery(
    fpage, fake_site, fake: FakeWebchat  # noqa: ANN001
) -> None:
    start(fpage, fake_site)
    fake.go_offline()
    try:
        ask(fpage, "Hallo")
        notice = fpage.get_by_role("alert")
        notice.wait_for(timeout=5_000)  # a refused connection: at once, not after the timeout
        text = notice.inner_text()
        assert "Der Chat ist gerade nicht erreichbar" in text
        assert "rufen Sie an" in text and notice.locator("a[href^='tel:']").count() >= 1
        assert ".." not in text and "……" not in fpage.locator("#ql-panel").inner_text()
        assert fpage.get_by_role("status").inner_text().strip() == ""
    finally:
        fake.go_online()
    fpage.get_by_role("button", name="Nochmal versuchen").click()
    fpage.locator(".msg.bot", has_text="Sie haben geschrieben: Hallo").wait_for(timeout=10_000)
    assert fpage.get_by_role("alert").count() == 0
    assert user_bubbles(fpage) == ["Hallo"]  # the failed bubble is replaced, not doubled
    # the long poll is back too: an advisor's message arrives
    sender = fpage.evaluate(
        "() => Object.entries(localStorage).find(([k]) => k.endsWith(':sender'))[1]"
    )
    fake.advisor(sender, "Wir sind wieder da.")
    fpage.locator(".msg.advisor", has_text="Wir sind wieder da.").wait_for(timeout=35_000)
    assert fpage.errors == []


def test_size_buttons_names_start_with_their_visible_label(fpage, fake_site) -> None:  # noqa: ANN001
    start(fpage, fake_site)
    fpage.get_by_role("button", name="Einstellungen").click()
    for label, name in zip(["A", "A+", "A++"], SIZE_NAMES, strict=True):
        button = fpage.get_by_role("button", name=name, exact=True)
        visible = button.evaluate(  # the text that is not only for screen readers
            "b => [...b.childNodes].filter(n => !n.classList?.contains('sr'))"
            ".map(n => n.textContent).join('').trim()"
        )
        assert visible == label and name.lower().startswith(visible.lower())  # WCAG 2.5.3


# The focused element of the widget: its box, the part of it that is visible (inside the
# viewport and inside every ancestor that clips or scrolls) and the sample points at which
# another part of the widget lies on top of it (the header, the menu, the composer …).
FOCUSED = """() => {
  const root = document.getElementById('quartierslotse-widget').shadowRoot;
  const el = root.activeElement;
  if (!el) return null;
  if (!el.__focusId) el.__focusId = ++window.__focusIds || (window.__focusIds = 1);
  const r = el.getBoundingClientRect();
  let vis = [Math.max(r.left, 0), Math.max(r.top, 0),
             Math.min(r.right, innerWidth), Math.min(r.bottom, innerHeight)];
  for (let p = el.parentElement; p; p = p.parentElement) {
    const s = getComputedStyle(p);
    if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
    const b = p.getBoundingClientRect();
    vis = [Math.max(vis[0], b.left), Math.max(vis[1], b.top),
           Math.min(vis[2], b.right), Math.min(vis[3], b.bottom)];
  }
  // a link that wraps has one box per line: each is tested, not the gaps between them
  const points = [];
  for (const q of el.getClientRects())
    for (const fx of [0.1, 0.3, 0.5, 0.7, 0.9]) for (const fy of [0.1, 0.3, 0.5, 0.7, 0.9])
      points.push([q.left + fx * q.width, q.top + fy * q.height]);
  const covered = [];
  for (const [x, y] of points) {
    const hit = root.elementFromPoint(x, y);
    if (!hit || !(hit === el || el.contains(hit))) covered.push([Math.round(x), Math.round(y),
        hit ? hit.tagName + '.' + hit.className : null]);
  }
  return {id: el.__focusId, what: el.tagName + '.' + el.className + ' '
            + (el.getAttribute('aria-label') || el.textContent).trim().slice(0, 40),
          box: [r.left, r.top, r.right, r.bottom], visible: vis, covered};
}"""


def assert_focus_not_obscured(page, where: str) -> dict:  # noqa: ANN001
    focused = page.evaluate(FOCUSED)
    assert focused is not None, (where, "focus left the widget")
    box, visible = focused["box"], focused["visible"]
    # the whole element is on screen: not cut off by the viewport or by its scrolling box
    assert all(abs(a - b) <= 1 for a, b in zip(box, visible, strict=True)), (where, focused)
    assert focused["covered"] == [], (where, focused)  # nothing of the widget lies on top
    return focused


def tab_through(page, where: str, key: str = "Tab", limit: int = 80) -> list[str]:  # noqa: ANN001
    """Tab (or Shift+Tab) through the panel until the focus is back where the round began."""
    seen: list[int] = []
    names: list[str] = []
    for _ in range(limit):
        page.keyboard.press(key)
        focused = assert_focus_not_obscured(page, f"{where}: {key} #{len(seen) + 1}")
        if seen and focused["id"] == seen[0]:
            return names
        seen.append(focused["id"])
        names.append(focused["what"])
    raise AssertionError((where, "the focus did not come round", names))


FOCUS_CASES = [
    ("phone-A", PHONE, True, 0),
    ("phone-A+", PHONE, True, 1),
    ("phone-A++", PHONE, True, 2),
    ("laptop-200-A", LAPTOP_200, False, 0),
    ("laptop-200-A+", LAPTOP_200, False, 1),
    ("laptop-200-A++", LAPTOP_200, False, 2),
]


@pytest.mark.parametrize(
    ("name", "viewport", "phone", "size"), FOCUS_CASES, ids=[c[0] for c in FOCUS_CASES]
)
def test_focus_is_never_hidden(browser, fake_site, name, viewport, phone, size) -> None:  # noqa: ANN001, PLR0913
    """WCAG 2.2 2.4.11 focus not obscured: every element Tab reaches in the open widget is
    entirely on screen and nothing of the widget (header, menu, composer, human button) lies
    on it; also with the "Einstellungen" menu and the deletion question open."""
    context, page = open_context(browser, viewport, phone)
    try:
        start(page, fake_site, size)
        ask(page, PFLEGEGELD_QUESTION)
        page.locator(".msg.bot", has_text="Pflegegrad 3").wait_for()
        page.get_by_role("group", name="Häufige Themen").get_by_role(
            "button", name="Vorsorge"
        ).click()
        page.locator(".msg.bot", has_text="Vorsorgevollmacht").wait_for()
        page.wait_for_timeout(300)

        forward = tab_through(page, f"{name} forward")
        for part in ("Einstellungen", "Chat schließen", "Gesprächsverlauf", "Anrufen: 0231 50-0",
                     "Antwort vorlesen: ", "Pflege", "TEXTAREA", "Senden",
                     "Mit einem Menschen sprechen"):
            assert any(part in n for n in forward), (name, part, forward)
        backward = tab_through(page, f"{name} backward", "Shift+Tab")
        assert len(backward) == len(forward), (forward, backward)

        # the menu: Tab goes through the sizes and "Gespräch löschen"; leaving it closes it
        page.get_by_role("button", name="Einstellungen").click()
        page.get_by_role("button", name="Einstellungen").focus()
        menu = page.locator("#ql-tools")
        for _ in range(5):  # Schließen, A, A+, A++, Gespräch löschen
            page.keyboard.press("Tab")
            assert_focus_not_obscured(page, f"{name} menu")
        assert "Gespräch löschen" in page.evaluate(FOCUSED)["what"]
        page.keyboard.press("Tab")
        assert_focus_not_obscured(page, f"{name} after the menu")
        assert menu.is_hidden()

        # the deletion question: its buttons, then back through the menu to the header
        page.get_by_role("button", name="Einstellungen").click()
        page.get_by_role("button", name="Gespräch löschen").click()
        assert "Abbrechen" in assert_focus_not_obscured(page, f"{name} question")["what"]
        # Ja, löschen · Gespräch löschen · A++ · A+ · A · Schließen · Einstellungen
        for _ in range(7):
            page.keyboard.press("Shift+Tab")
            assert_focus_not_obscured(page, f"{name} question backward")
        assert "Einstellungen" in page.evaluate(FOCUSED)["what"]
        assert menu.is_visible()
        page.keyboard.press("Shift+Tab")  # round to the human button at the end: the menu closes
        assert "Mit einem Menschen" in assert_focus_not_obscured(page, f"{name} end")["what"]
        assert menu.is_hidden()
        assert page.errors == []
    finally:
        context.close()
