"""XSS payloads typed by a user, sent by an (impersonated) advisor and offered as button titles
stay inert text in the real widget and the real console, in headless Chromium."""

from __future__ import annotations

import re

import pytest
import requests

from channels.webchat import conversation_id
from handoff import service as handoff
from quartierslotse.settings import Settings
from tests.security.support import console_base, make_advisor
from tests.web.conftest import browser, demo_site, page  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.model]

PAYLOADS = [
    '<img src=x onerror="window.__xss=1">',
    "<script>window.__xss=2</script>",
    '"><svg onload="window.__xss=3"></svg>',
    '<a href="javascript:window.__xss=4">Klick</a>',
    "javascript:window.__xss=5",
    '<iframe src="javascript:window.__xss=6"></iframe>',
    "'; DROP TABLE events; -- {{7*7}} ${7*7}",
]
ADVISOR_PAYLOAD = '<img src=y onerror="window.__xss=7"> Beratung <b>fett</b>'
TIMEOUT = 45_000

# any element a payload could create; the widget and console build their DOM without these
INJECTED = "img[src=x], img[src=y], script:not([src]), iframe, svg[onload], [onerror], [onload], " \
           "a[href^='javascript']"


def _watch_dialogs(pg) -> list[str]:  # noqa: ANN001
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:  # noqa: ANN001
        dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    return dialogs


def _widget_state(pg) -> dict:  # noqa: ANN001
    return pg.evaluate(
        """(selector) => {
          const root = document.querySelector('#quartierslotse-widget').shadowRoot;
          const texts = [...root.querySelectorAll('.msg .text')];
          const bad = texts.flatMap(t => [...t.querySelectorAll('*')])
              .filter(e => !(e.tagName === 'A' && /^(https?:|mailto:|tel:)/"""
        """.test(e.getAttribute('href') || ''))
                           && !(e.tagName === 'SPAN' && e.closest('a')));
          return {
            xss: window.__xss === undefined ? null : window.__xss,
            injected: root.querySelectorAll(selector).length + """
        """document.querySelectorAll(selector).length,
            unexpected: bad.map(e => e.outerHTML),
            texts: texts.map(t => t.textContent),
            buttons: [...root.querySelectorAll('button')].map(b => b.textContent),
          };
        }""",
        INJECTED,
    )


@pytest.fixture(scope="module")
def shared() -> dict:
    return {}


def test_widget_renders_hostile_text_inert(page, demo_site: str, bot_stack: Settings,  # noqa: F811
                                           shared: dict) -> None:
    dialogs = _watch_dialogs(page)
    response = page.goto(demo_site)
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    page.wait_for_selector("#quartierslotse-widget[data-ready=true]", state="attached")
    page.get_by_role("button", name="Fragen? Hier chatten").click()
    page.get_by_role("button", name="Einverstanden – Chat beginnen").click()
    page.get_by_label("Ihre Frage").wait_for(timeout=TIMEOUT)
    sender = page.evaluate(
        "() => Object.entries(localStorage).find(([k]) => k.endsWith(':sender'))[1]")
    shared["sender"] = conversation_id(sender)  # the id the console and Rasa know

    field = page.get_by_label("Ihre Frage")
    for payload in PAYLOADS:
        field.fill(payload)
        page.keyboard.press("Enter")
        page.locator(".msg.user .text", has_text=payload).wait_for(timeout=TIMEOUT)
        page.wait_for_function("() => !document.querySelector('#quartierslotse-widget')"
                               ".shadowRoot.querySelector('.panel.busy')", timeout=TIMEOUT)

    # an impersonated advisor message and a button with a hostile title (through the API)
    reply = requests.post(
        f"{bot_stack.rasa_url}/conversations/{shared['sender']}/tracker/events",
        params={"token": bot_stack.rasa_token, "output_channel": "webchat",
                "execute_side_effects": "true"}, timeout=30,
        json=[{"event": "bot", "text": ADVISOR_PAYLOAD, "metadata": {"role": "advisor"},
               "data": {"buttons": [{"title": '<img src=x onerror="window.__xss=8">',
                                     "payload": "/greet"}]}}])
    assert reply.status_code == 200
    page.locator(".msg.advisor .text", has_text="Beratung").wait_for(timeout=TIMEOUT)

    state = _widget_state(page)
    assert state["xss"] is None and not dialogs
    assert state["injected"] == 0 and state["unexpected"] == []
    for payload in PAYLOADS:
        assert payload in state["texts"]  # shown verbatim, as text
    assert ADVISOR_PAYLOAD in state["texts"]
    assert page.watch.foreign_hosts() == set()  # no third-party request at any time
    # reload: the history from the server is rendered the same way
    page.reload()
    page.wait_for_selector("#quartierslotse-widget[data-ready=true]", state="attached")
    page.locator(".msg.advisor .text", has_text="Beratung").wait_for(timeout=TIMEOUT)
    state = _widget_state(page)
    assert state["xss"] is None and state["injected"] == 0 and state["unexpected"] == []
    assert all(payload in state["texts"] for payload in PAYLOADS)


def test_console_renders_hostile_text_inert(browser, bot_stack: Settings,  # noqa: F811
                                            shared: dict) -> None:
    sender = shared.get("sender")
    if sender is None:
        pytest.fail("the widget test must run first (it creates the conversation)")
    advisor = make_advisor(bot_stack, "Dortmund")
    ticket = handoff.open_ticket(bot_stack.database_url, sender_id=sender, channel="webchat",
                                 municipality="Dortmund", topic=PAYLOADS[2], place=PAYLOADS[0],
                                 preview=PAYLOADS[1])
    base = console_base(bot_stack)
    context = browser.new_context(locale="de-DE")
    pg = context.new_page()
    dialogs = _watch_dialogs(pg)
    requested: list[str] = []
    pg.on("request", lambda r: requested.append(r.url))
    try:
        pg.goto(f"{base}/login")
        pg.fill("#username", advisor.username)
        pg.fill("#password", advisor.password)
        pg.click("button[type=submit]")
        pg.wait_for_url(re.compile(r"/$"))
        row = pg.locator(f"tr[data-ticket='{ticket.ticket_id}']")
        row.wait_for(timeout=TIMEOUT)
        assert PAYLOADS[1] in row.inner_text() and PAYLOADS[0] in row.inner_text()

        pg.goto(f"{base}/tickets/{ticket.ticket_id}")
        pg.locator("#transcript .msg").filter(has_text=PAYLOADS[-1]).wait_for(timeout=TIMEOUT)
        pg.locator("#transcript .msg").filter(has_text="Beratung").wait_for(timeout=TIMEOUT)
        body = pg.inner_text("body")
        for payload in PAYLOADS:
            assert payload in body
        assert ADVISOR_PAYLOAD in body
        assert pg.evaluate("() => window.__xss === undefined")
        assert pg.evaluate("(s) => document.querySelectorAll(s).length", INJECTED) == 0
        assert not dialogs
        assert {u.split('/')[2] for u in requested} == {base.split('/')[2]}  # own origin only
    finally:
        context.close()
