"""The chat widget in real headless Chromium against the real Rasa server and webchat channel.

What a senior would notice: the privacy notice comes first, the assistant answers typed
questions and topic buttons, the text size switch works, the conversation survives a reload,
"Mit einem Menschen sprechen" is always there and an advisor's reply appears as such.
"""

from __future__ import annotations

import json
import re
import urllib.request

import pytest

from channels.webchat import conversation_id
from tests.web.conftest import SCREENSHOT_DIR, run_axe

pytestmark = [pytest.mark.browser, pytest.mark.model]

ANSWER_TIMEOUT = 30_000  # ms; the first answer of a fresh Rasa server can be slow


def open_chat(page, url: str) -> None:  # noqa: ANN001
    page.goto(url)
    page.wait_for_selector("#quartierslotse-widget[data-ready=true]", state="attached")
    launcher = page.get_by_role("button", name="Fragen? Hier chatten")
    launcher.focus()
    page.keyboard.press("Enter")  # keyboard only


def accept_privacy(page) -> None:  # noqa: ANN001
    notice = page.get_by_role("region", name="Bevor es losgeht: Ihr Datenschutz")
    assert notice.is_visible()
    assert (
        page.get_by_label("Ihre Frage").count() == 0
        or not page.get_by_label("Ihre Frage").is_visible()
    )
    accept = page.get_by_role("button", name="Einverstanden – Chat beginnen")
    assert accept.evaluate("b => b.getRootNode().activeElement === b")  # focus moved into the chat
    page.keyboard.press("Enter")


def bot_bubbles(page):  # noqa: ANN001
    return page.locator(".msg.bot .text")


def sender_id(page) -> str:  # noqa: ANN001
    return page.evaluate(
        "() => Object.entries(localStorage).find(([k]) => k.endsWith(':sender'))[1]"
    )


def test_senior_asks_uses_topics_resizes_and_reloads(page, demo_site, axe) -> None:  # noqa: ANN001
    open_chat(page, demo_site)
    accept_privacy(page)
    # the assistant introduces itself as a machine and offers the main topics
    greeting = bot_bubbles(page).first
    greeting.wait_for(timeout=ANSWER_TIMEOUT)
    assert "kein Mensch" in greeting.inner_text()
    choices = page.get_by_role("group", name="Antwort auswählen")
    choices.get_by_role("button", name="Vorsorge").wait_for()
    assert page.get_by_role("button", name="Mit einem Menschen sprechen").is_visible()

    # a typed question, sent with the Enter key
    field = page.get_by_label("Ihre Frage")
    assert field.evaluate("f => f.getRootNode().activeElement === f")
    field.type("Was ist ein Pflegegrad?")
    page.keyboard.press("Enter")
    page.locator(".msg.user", has_text="Was ist ein Pflegegrad?").wait_for()
    page.locator(".msg.bot", has_text="Pflegekasse").wait_for(timeout=ANSWER_TIMEOUT)
    assert page.get_by_role("button", name="Antwort vorlesen").count() >= 2

    # the main topics stay available below the chat; a topic button's title shows as the
    # user's message, the answer follows
    topics = page.get_by_role("group", name="Häufige Themen")
    topics.get_by_role("button", name="Vorsorge").click()
    page.locator(".msg.user", has_text=re.compile(r"^\s*Sie\s*Vorsorge\s*$")).wait_for()
    page.locator(".msg.bot", has_text="Vorsorgevollmacht").wait_for(timeout=ANSWER_TIMEOUT)

    assert page.watch.errors == []  # no script error, no CSP violation by the widget
    # the text size switch: three sizes, each visibly larger; screenshots of all three
    panel = page.locator("#ql-panel")
    sizes: list[float] = []  # the panel's font size after each switch, in px
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.get_by_role("button", name="Einstellungen").click()  # sizes and deletion live there
    size_names = ["A normale Schrift", "A+ große Schrift", "A++ sehr große Schrift"]
    for index, name in enumerate(size_names):
        button = page.get_by_role("button", name=name, exact=True)
        button.click()
        assert button.get_attribute("aria-pressed") == "true"
        sizes.append(float(panel.evaluate("p => getComputedStyle(p).fontSize").rstrip("px")))
        page.wait_for_timeout(150)
        page.screenshot(path=str(SCREENSHOT_DIR / f"widget-size-{index}.png"))
        violations = [v for v in run_axe(page, axe) if v["impact"] in ("serious", "critical")]
        assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)
    assert sizes[0] >= 20 and sizes[0] < sizes[1] < sizes[2]
    # Playwright's screenshot (caret style) and axe trip the page's strict CSP themselves
    page.watch.errors.clear()

    # reload: the conversation, the chosen size and the open chat are still there
    before = bot_bubbles(page).count()
    page.reload()
    page.wait_for_selector("#quartierslotse-widget[data-ready=true]", state="attached")
    page.locator(".msg.bot", has_text="Vorsorgevollmacht").wait_for()
    assert bot_bubbles(page).count() == before
    assert page.locator(".msg.user", has_text="Was ist ein Pflegegrad?").count() == 1
    assert page.locator(".msg.user", has_text="/").count() == 0  # intent payloads never show
    page.get_by_role("button", name="Einstellungen").click()
    assert (
        page.get_by_role("button", name="A++ sehr große Schrift").get_attribute("aria-pressed")
        == "true"
    )
    assert page.get_by_label("Ihre Frage").is_visible()  # no second privacy notice

    assert page.watch.foreign_hosts() == set()
    assert page.watch.errors == []


def deliver_advisor_message(rasa_url: str, token: str, sender: str, text: str) -> None:
    """What the advisor console does: a bot event with role advisor through Rasa's HTTP API."""
    body = json.dumps({"event": "bot", "text": text, "metadata": {"role": "advisor"}}).encode()
    request = urllib.request.Request(
        f"{rasa_url}/conversations/{sender}/tracker/events"
        f"?output_channel=webchat&execute_side_effects=true&token={token}",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def test_handoff_then_advisor_reply_arrives(page, demo_site, bot_stack, axe) -> None:  # noqa: ANN001
    open_chat(page, demo_site)
    accept_privacy(page)
    bot_bubbles(page).first.wait_for(timeout=ANSWER_TIMEOUT)

    page.get_by_role("button", name="Mit einem Menschen sprechen").click()
    page.locator(".msg.user", has_text="Mit einem Menschen sprechen").wait_for()
    # the assistant confirms the request (queued, or the office hours and a callback offer)
    page.locator(".msg.bot, .msg.system").nth(1).wait_for(timeout=ANSWER_TIMEOUT)

    text = (
        "Guten Tag, hier ist Frau Schulz vom Seniorenbüro. Rufen Sie mich gern an: "
        "0231 50-12345 oder schreiben Sie an seniorenbuero@stadt.example"
    )
    deliver_advisor_message(bot_stack.rasa_url, bot_stack.rasa_token,
                            conversation_id(sender_id(page)), text)
    advisor = page.locator(".msg.advisor")
    advisor.wait_for(timeout=ANSWER_TIMEOUT)  # arrives through the long poll
    assert "Beraterin/Berater" in advisor.inner_text()
    assert "Frau Schulz" in advisor.inner_text()
    assert advisor.locator("a[href='tel:02315012345']").is_visible()
    assert advisor.locator("a[href='mailto:seniorenbuero@stadt.example']").is_visible()
    assert (
        "Beraterin oder ein Berater ist jetzt für Sie da" in page.locator(".handoff").inner_text()
    )

    violations = [v for v in run_axe(page, axe) if v["impact"] in ("serious", "critical")]
    assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)

    page.reload()
    page.locator(".msg.advisor", has_text="Frau Schulz").wait_for()
    assert page.watch.foreign_hosts() == set()


def tracker_user_events(rasa_url: str, token: str, sender: str) -> list[dict]:
    """User events of the widget's conversation (Rasa knows it as `webchat:<sender>`)."""
    with urllib.request.urlopen(
        f"{rasa_url}/conversations/{conversation_id(sender)}/tracker?token={token}", timeout=30
    ) as response:
        events = json.loads(response.read()).get("events") or []
    return [e for e in events if e.get("event") == "user"]


def history(rasa_url: str, sender: str) -> list[dict]:
    url = f"{rasa_url}/webhooks/webchat/history?sender={sender}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())["messages"]


def is_focused(locator) -> bool:  # noqa: ANN001
    return locator.evaluate("b => b.getRootNode().activeElement === b")


def test_senior_deletes_the_conversation(page, demo_site, bot_stack, axe) -> None:  # noqa: ANN001
    open_chat(page, demo_site)
    accept_privacy(page)
    bot_bubbles(page).first.wait_for(timeout=ANSWER_TIMEOUT)
    field = page.get_by_label("Ihre Frage")
    field.type("Was ist ein Pflegegrad?")
    page.keyboard.press("Enter")
    page.locator(".msg.bot", has_text="Pflegekasse").wait_for(timeout=ANSWER_TIMEOUT)
    old = sender_id(page)
    assert tracker_user_events(bot_stack.rasa_url, bot_stack.rasa_token, old)
    assert history(bot_stack.rasa_url, old)

    # a clearly labelled button with a large touch target, away from "Mit einem Menschen
    # sprechen"; keyboard only
    page.get_by_role("button", name="Einstellungen").click()  # sizes and deletion live there
    forget = page.get_by_role("button", name="Gespräch löschen", exact=True)
    box = forget.bounding_box()
    assert box is not None and box["height"] >= 48 and box["width"] >= 48
    human = page.get_by_role("button", name="Mit einem Menschen sprechen").bounding_box()
    assert human is not None and human["y"] - (box["y"] + box["height"]) > 100
    forget.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("alertdialog", name="Möchten Sie das ganze Gespräch löschen?")
    assert dialog.is_visible()
    assert "Das kann man nicht rückgängig machen." in dialog.inner_text()
    assert forget.get_attribute("aria-expanded") == "true"
    cancel = dialog.get_by_role("button", name="Abbrechen")
    assert is_focused(cancel)  # the safe choice has the focus: Enter alone never deletes

    violations = [v for v in run_axe(page, axe) if v["impact"] in ("serious", "critical")]
    assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / "widget-delete-confirm.png"))
    page.watch.errors.clear()  # axe and the screenshot trip the page's CSP themselves

    # "Abbrechen": nothing happens
    page.keyboard.press("Enter")
    assert not dialog.is_visible() and is_focused(forget)
    assert page.locator(".msg.bot", has_text="Pflegekasse").is_visible()
    assert sender_id(page) == old

    page.keyboard.press("Enter")
    page.keyboard.press("Shift+Tab")  # from "Abbrechen" back to "Ja, löschen"
    assert is_focused(dialog.get_by_role("button", name="Ja, löschen"))
    page.keyboard.press("Enter")
    done = page.locator(".msg.system", has_text="Ihr Gespräch wurde gelöscht.")
    done.wait_for(timeout=ANSWER_TIMEOUT)
    assert is_focused(done)
    assert page.locator(".msg.user, .msg.bot, .msg.advisor").count() == 0
    new = sender_id(page)
    assert new != old and re.fullmatch(r"[A-Za-z0-9_-]{8,64}", new)
    # gone on the server: history and Rasa's tracker
    assert history(bot_stack.rasa_url, old) == []
    assert tracker_user_events(bot_stack.rasa_url, bot_stack.rasa_token, old) == []
    # a new start as on a first visit: the privacy notice comes again
    assert page.get_by_role("button", name="Einverstanden – Chat beginnen").is_visible()

    page.reload()
    page.wait_for_selector("#quartierslotse-widget[data-ready=true]", state="attached")
    page.wait_for_timeout(500)
    assert page.locator(".msg").count() == 0
    assert sender_id(page) == new
    accept = page.get_by_role("button", name="Einverstanden – Chat beginnen")
    assert accept.is_visible()
    accept.click()
    greeting = bot_bubbles(page).first
    greeting.wait_for(timeout=ANSWER_TIMEOUT)
    assert "kein Mensch" in greeting.inner_text()  # the assistant introduces itself again
    assert page.locator(".msg.bot", has_text="Pflegekasse").count() == 0

    assert page.watch.foreign_hosts() == set()
    assert page.watch.errors == []


@pytest.mark.parametrize(
    ("viewport", "phone", "size"),
    [({"width": 390, "height": 844}, True, 2), ({"width": 683, "height": 384}, False, 0)],
    ids=["phone-A++", "laptop-200"],
)
def test_real_answer_visible_on_phone_and_at_200_percent(  # noqa: PLR0913
    browser, demo_site, viewport, phone, size  # noqa: ANN001
) -> None:
    """The real Pflegegeld answer (with its figures) at A++ on the phone and at 200 % zoom."""
    from tests.web.test_widget_layout import (
        assert_on_screen,
        first_line_visible,
        open_context,
        start,
    )

    context, page = open_context(browser, viewport, phone)
    try:
        start(page, demo_site, size)
        page.get_by_label("Ihre Frage").fill("Wie viel Pflegegeld bekommt man bei Pflegegrad 3?")
        page.get_by_role("button", name="Senden").click()
        answer = page.locator(".msg.bot", has_text="Pflegegrad 3")
        answer.wait_for(timeout=ANSWER_TIMEOUT)
        page.wait_for_timeout(200)
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        shot = "real-phone" if phone else "real-zoom"
        page.screenshot(path=str(SCREENSHOT_DIR / f"{shot}.png"))
        assert first_line_visible(page, answer)
        for label in ("Chat schließen", "Senden", "Mit einem Menschen sprechen"):
            assert_on_screen(page, page.get_by_role("button", name=label), viewport, label)
        before = page.locator(".msg.bot, .msg.system").count()
        page.get_by_role("button", name="Mit einem Menschen sprechen").click()
        reply = page.locator(".msg.bot, .msg.system").nth(before)
        reply.wait_for(timeout=ANSWER_TIMEOUT)
        page.wait_for_timeout(200)
        page.screenshot(path=str(SCREENSHOT_DIR / f"{shot}-human.png"))
        assert first_line_visible(page, reply)
        pressed = page.locator(".msg.user .text").all_inner_texts()
        assert pressed[-1] == "Mit einem Menschen sprechen"
    finally:
        context.close()
