"""A server that hangs (accepts the connection, reads the request, never answers), in headless
Chromium against the fake channel: the widget stops waiting after its timeout and says in
German what to do (call, with a tel: link, or "Nochmal versuchen"), for an answer and for the
history of a new page, and it recovers once the server answers again.

The timeout comes from the embed's `data-timeout` (seconds); the test page sets it to a few
seconds, the default of 30 s is checked with Playwright's fake clock."""

from __future__ import annotations

import time

import pytest

from tests.web.conftest import SCREENSHOT_DIR
from tests.web.fake_webchat import FakeWebchat
from tests.web.test_widget_layout import (
    PHONE,
    ask,
    assert_on_screen,
    first_line_visible,
    open_context,
    start,
)

pytestmark = pytest.mark.browser

TIMEOUT = 3  # seconds, through data-timeout on the embed
UNREACHABLE = "Der Chat ist gerade nicht erreichbar. Bitte versuchen Sie es gleich noch einmal."


def embed_with_timeout(page, seconds: float) -> None:  # noqa: ANN001
    """The city page's script tag gets `data-timeout`, as a city would write it. Set while the
    page is parsed, before the deferred widget runs (a rewritten response would come from no
    address at all, and Chromium would then refuse the widget's requests to the loopback)."""
    page.add_init_script(
        """new MutationObserver((changes, observer) => {
          for (const change of changes) for (const node of change.addedNodes) {
            if (node.tagName === 'SCRIPT' && /quartierslotse\\.js$/.test(node.src)) {
              node.setAttribute('data-timeout', 'SECONDS');
              observer.disconnect();
            }
          }
        }).observe(document, {childList: true, subtree: true});""".replace("SECONDS", str(seconds))
    )


def sender_of(page) -> str:  # noqa: ANN001
    return page.evaluate(
        "() => Object.entries(localStorage).find(([k]) => k.endsWith(':sender'))[1]"
    )


def user_bubbles(page) -> list[str]:  # noqa: ANN001
    return page.locator(".msg.user .text").all_inner_texts()


def assert_says_what_to_do(page, notice) -> None:  # noqa: ANN001
    text = notice.inner_text()
    assert UNREACHABLE in text, text
    assert "Oder rufen Sie an: " in text, text
    phone = notice.locator("a[href^='tel:']")
    assert phone.count() >= 1 and phone.first.get_attribute("aria-label").startswith("Anrufen: ")
    assert ".." not in text and "……" not in page.locator("#ql-panel").inner_text()
    retry = notice.get_by_role("button", name="Nochmal versuchen")
    assert retry.is_visible()
    assert page.get_by_role("status").inner_text().strip() == ""  # no "…" forever


def wait_for_notice(page, seconds: float):  # noqa: ANN001
    """The error notice; returns how long it took to appear, in seconds."""
    started = time.monotonic()
    notice = page.get_by_role("alert")
    notice.wait_for(timeout=(seconds + 5) * 1000)
    return notice, time.monotonic() - started


def test_hanging_server_times_out_with_phone_and_retry(
    browser, fake_site, fake: FakeWebchat  # noqa: ANN001
) -> None:
    context, page = open_context(browser, PHONE, True)
    embed_with_timeout(page, TIMEOUT)
    try:
        start(page, fake_site)
        fake.hang = True
        try:
            ask(page, "Hallo")
            page.get_by_role("status").filter(has_text="schreibt").wait_for(timeout=2_000)
            notice, waited = wait_for_notice(page, TIMEOUT)
            # it waited for the answer (the connection was accepted) and no longer
            assert TIMEOUT - 0.5 <= waited <= TIMEOUT + 3, waited
            assert any(h.endswith("/webhooks/webchat/webhook") for h in fake.hung), fake.hung
            assert_says_what_to_do(page, notice)
            assert_on_screen(page, notice.get_by_role("button", name="Nochmal versuchen"),
                             PHONE, "Nochmal versuchen")
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT_DIR / "timeout-phone-answer.png"))

            # "Nochmal versuchen" while it still hangs: the same message again, after the timeout
            page.get_by_role("button", name="Nochmal versuchen").click()
            page.get_by_role("status").filter(has_text="schreibt").wait_for(timeout=2_000)
            assert page.get_by_role("alert").count() == 0
            notice, waited = wait_for_notice(page, TIMEOUT)
            assert waited >= TIMEOUT - 1.5, waited
            assert_says_what_to_do(page, notice)
            assert user_bubbles(page) == ["Hallo"]  # one bubble, not one per attempt
        finally:
            fake.hang = False

        # the server answers again: "Nochmal versuchen" works
        page.get_by_role("button", name="Nochmal versuchen").click()
        page.locator(".msg.bot", has_text="Sie haben geschrieben: Hallo").wait_for(timeout=5_000)
        assert page.get_by_role("alert").count() == 0
        assert user_bubbles(page) == ["Hallo"]
        # all three tries carried one message id: a server that got the first one answers once
        tries = [body for body in fake.received
                 if body.get("message") == "Hallo" and body.get("sender") == sender_of(page)]
        assert len(tries) == 3 and len({t["metadata"]["message_id"] for t in tries}) == 1, tries
        # the long poll is new too (the hung one is not waited out): an advisor's message comes
        sender = sender_of(page)
        fake.advisor(sender, "Hier ist Frau Schulz vom Seniorenbüro.")
        page.locator(".msg.advisor", has_text="Frau Schulz").wait_for(timeout=5_000)
        assert page.errors == []
    finally:
        context.close()


def test_history_of_a_new_page_times_out_then_loads(
    browser, fake_site, fake: FakeWebchat  # noqa: ANN001
) -> None:
    context, page = open_context(browser, PHONE, True)
    embed_with_timeout(page, TIMEOUT)
    try:
        start(page, fake_site)
        ask(page, "Hallo")
        page.locator(".msg.bot", has_text="Sie haben geschrieben: Hallo").wait_for()
        fake.hang = True
        try:
            page.reload()  # a new page of the city's site, the chat was left open
            page.get_by_role("status").filter(has_text="Ihr Gespräch wird geladen").wait_for(
                timeout=2_000
            )
            notice, waited = wait_for_notice(page, TIMEOUT)
            assert TIMEOUT - 0.5 <= waited <= TIMEOUT + 3, waited
            assert any(h.startswith("GET /webhooks/webchat/history") for h in fake.hung)
            assert_says_what_to_do(page, notice)
            # the page has finished loading the widget, it does not wait for ever
            assert page.locator("#quartierslotse-widget").get_attribute("data-ready") == "true"
            page.screenshot(path=str(SCREENSHOT_DIR / "timeout-phone-history.png"))
        finally:
            fake.hang = False
        page.get_by_role("button", name="Nochmal versuchen").click()
        answer = page.locator(".msg.bot", has_text="Sie haben geschrieben: Hallo")
        answer.wait_for(timeout=5_000)
        assert page.get_by_role("alert").count() == 0
        assert page.get_by_role("status").inner_text().strip() == ""
        assert user_bubbles(page) == ["Hallo"]
        # the newest answer is shown and has the focus (the retry button is gone)
        assert first_line_visible(page, answer)
        assert answer.evaluate("m => m.getRootNode().activeElement === m")
        sender = sender_of(page)
        fake.advisor(sender, "Wir sind wieder da.")
        page.locator(".msg.advisor", has_text="Wir sind wieder da.").wait_for(timeout=5_000)
        assert page.errors == []
    finally:
        context.close()


def test_without_data_timeout_an_answer_may_take_30_seconds(
    fpage, fake_site, fake: FakeWebchat  # noqa: ANN001
) -> None:
    fpage.clock.install()  # the page's timers run on a clock the test can move on
    start(fpage, fake_site)
    fake.hang = True
    try:
        ask(fpage, "Hallo")
        fpage.get_by_role("status").filter(has_text="schreibt").wait_for(timeout=2_000)
        fpage.clock.run_for(29_000)
        fpage.wait_for_timeout(300)
        assert fpage.get_by_role("alert").count() == 0  # still waiting at 29 s
        fpage.clock.run_for(1_500)
        notice = fpage.get_by_role("alert")
        notice.wait_for(timeout=3_000)
        assert_says_what_to_do(fpage, notice)
    finally:
        fake.hang = False
