""""hilfreich / nicht hilfreich" under each bot answer, in headless Chromium against the fake
channel: buttons of at least 48 px with names that start with their text, not under the
greeting, a thank-you, the optional text after "nicht hilfreich", a second rating replaces
the first; screenshots on the phone at A and A++ and at 200 % zoom (683×384)."""

from __future__ import annotations

import pytest

from tests.web.conftest import SCREENSHOT_DIR, run_axe
from tests.web.fake_webchat import PFLEGEGELD_QUESTION, FakeWebchat
from tests.web.test_widget_layout import (
    LAPTOP_200,
    PHONE,
    ask,
    assert_on_screen,
    no_horizontal_scrolling,
    open_context,
    start,
)

pytestmark = pytest.mark.browser

CASES = [("phone-A", PHONE, True, 0), ("phone-A++", PHONE, True, 2),
         ("laptop-200-A++", LAPTOP_200, False, 2)]


@pytest.mark.parametrize(("name", "viewport", "phone", "size"), CASES, ids=[c[0] for c in CASES])
def test_rate_an_answer(browser, fake_site, fake: FakeWebchat, axe: str,  # noqa: ANN001, PLR0913
                        name: str, viewport: dict, phone: bool, size: int) -> None:
    context, page = open_context(browser, viewport, phone)
    try:
        start(page, fake_site, size)
        greeting = page.locator(".msg.bot", has_text="kein Mensch")
        assert greeting.locator(".rate").count() == 0  # no rating under the greeting
        answer = ask(page, PFLEGEGELD_QUESTION)
        answer.locator(".rate").wait_for()
        message_id = int(answer.get_attribute("data-id") or 0)
        group = answer.get_by_role("group", name="War diese Antwort hilfreich?")
        good = group.get_by_role("button", name="hilfreich", exact=True)
        bad = group.get_by_role("button", name="nicht hilfreich", exact=True)
        bad.scroll_into_view_if_needed()
        for button in (good, bad):
            box = button.bounding_box()
            assert box and box["width"] >= 48 and box["height"] >= 48, box
            assert_on_screen(page, button, viewport, button.inner_text())
        page.screenshot(path=str(SCREENSHOT_DIR / f"rating-{name}-buttons.png"))

        good.focus()
        page.keyboard.press("Enter")  # keyboard usable
        answer.get_by_text("Danke für Ihre Rückmeldung.").wait_for()
        assert good.get_attribute("aria-pressed") == "true"
        assert fake.ratings[message_id] == {"value": "hilfreich", "text": ""}

        bad.click()  # the second rating replaces the first
        field = answer.get_by_label("Was hat gefehlt? (freiwillig)")
        field.wait_for()
        assert fake.ratings[message_id]["value"] == "nicht_hilfreich"
        assert good.get_attribute("aria-pressed") == "false"
        assert field.get_attribute("maxlength") == "300"
        field.fill("Die Adresse vom Büro hat gefehlt.")
        send = answer.get_by_role("button", name="Rückmeldung senden", exact=True)
        send.scroll_into_view_if_needed()
        assert_on_screen(page, send, viewport, "Rückmeldung senden")
        box = field.bounding_box()
        assert box and box["height"] >= 48 and box["x"] >= 0, box
        assert box["x"] + box["width"] <= viewport["width"], box
        no_horizontal_scrolling(page)
        page.screenshot(path=str(SCREENSHOT_DIR / f"rating-{name}-text.png"))
        assert [v for v in run_axe(page, axe) if v["impact"] in ("serious", "critical")] == []
        field.press("Enter")
        page.wait_for_function(
            "() => !document.getElementById('quartierslotse-widget').shadowRoot"
            ".querySelector('.rate-more:not([hidden])')")
        assert fake.ratings[message_id] == {"value": "nicht_hilfreich",
                                            "text": "Die Adresse vom Büro hat gefehlt."}
        assert page.evaluate(
            "() => document.getElementById('quartierslotse-widget').shadowRoot"
            ".activeElement.textContent") == "nicht hilfreich"  # the focus is not lost
        # the composer and the human button are still on screen
        for label in ("Senden", "Mit einem Menschen sprechen"):
            assert_on_screen(page, page.locator(".composer .send, .human").filter(
                has_text=label).first, viewport, label)
        page.screenshot(path=str(SCREENSHOT_DIR / f"rating-{name}-thanks.png"))
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        context.close()
