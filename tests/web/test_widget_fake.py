"""Widget behaviour in headless Chromium against a fake of the webchat contract (no model):
fast checks of details a senior notices, independent of the dialogue model."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def start_chat(page, url: str) -> None:  # noqa: ANN001
    page.goto(url)
    page.get_by_role("button", name="Fragen? Hier chatten").click()
    page.get_by_role("button", name="Einverstanden – Chat beginnen").click()
    page.locator(".msg.bot", has_text="kein Mensch").wait_for(timeout=10_000)


def test_privacy_first_then_greeting_without_a_user_bubble(fpage, fake_site, fake) -> None:  # noqa: ANN001
    fpage.goto(fake_site)
    fpage.get_by_role("button", name="Fragen? Hier chatten").click()
    assert fpage.get_by_text("Nach 30 Tagen werden sie gelöscht").is_visible()
    assert not fpage.locator("textarea").is_visible()
    count = len(fake.received)
    fpage.get_by_role("button", name="Einverstanden – Chat beginnen").click()
    fpage.locator(".msg.bot", has_text="kein Mensch").wait_for(timeout=10_000)
    assert fpage.locator(".msg.user").count() == 0
    assert len(fake.received) == count + 1  # nothing is sent before the notice is accepted
    metadata = fake.received[-1]["metadata"]
    assert metadata["municipality"] == "Dortmund"
    assert set(metadata) == {"municipality", "message_id"}  # and an id per message (retries)
    assert re.fullmatch(r"[A-Za-z0-9_-]{8,64}", metadata["message_id"])


def test_typing_indicator_and_clickable_links(fpage, fake_site) -> None:  # noqa: ANN001
    start_chat(fpage, fake_site)
    fpage.get_by_role("group", name="Antwort auswählen").get_by_role(
        "button", name="Vorsorge"
    ).click()
    status = fpage.get_by_role("status")
    status.filter(has_text="schreibt").wait_for(timeout=2_000)  # shown while the bot works
    answer = fpage.locator(".msg.bot", has_text="Vorsorgevollmacht")
    answer.wait_for()
    assert (
        answer.locator("a[href='tel:0231500']").get_attribute("aria-label") == "Anrufen: 0231 50-0"
    )
    link = answer.locator("a[href='https://www.dortmund.de/senioren']")
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert status.inner_text().strip() == ""
    # the user's bubble is the button title, shown once (optimistic bubble and server echo merge)
    fpage.wait_for_timeout(800)
    assert fpage.locator(".msg.user .text").all_inner_texts() == ["Vorsorge"]


def test_advisor_message_arrives_by_long_poll(fpage, fake_site, fake) -> None:  # noqa: ANN001
    start_chat(fpage, fake_site)
    fpage.get_by_role("button", name="Mit einem Menschen sprechen").click()
    fpage.locator(".handoff", has_text="Sie warten").wait_for()
    sender = fpage.evaluate(
        "() => Object.entries(localStorage).find(([k]) => k.endsWith(':sender'))[1]"
    )
    fake.advisor(sender, "Hier ist Herr Yilmaz vom Seniorenbüro.")
    advisor = fpage.locator(".msg.advisor")
    advisor.wait_for(timeout=5_000)
    assert advisor.inner_text().startswith("Beraterin/Berater")
    fpage.locator(".handoff", has_text="ist jetzt für Sie da").wait_for()


def test_server_error_is_shown_in_german(fpage, fake_site) -> None:  # noqa: ANN001
    start_chat(fpage, fake_site)
    fpage.get_by_label("Ihre Frage").fill("   ")
    fpage.keyboard.press("Enter")
    assert fpage.locator(".msg.user").count() == 0  # nothing to send
    fpage.get_by_label("Ihre Frage").fill("Hallo")
    fpage.get_by_role("button", name="Senden").click()
    fpage.locator(".msg.bot", has_text="Sie haben geschrieben: Hallo").wait_for()
    assert fpage.errors == []
    assert {r.split("/")[2].split(":")[0] for r in fpage.requests} == {"127.0.0.1"}


def test_escape_closes_and_focus_returns_to_launcher(fpage, fake_site) -> None:  # noqa: ANN001
    start_chat(fpage, fake_site)
    fpage.keyboard.press("Escape")
    launcher = fpage.get_by_role("button", name="Fragen? Hier chatten")
    assert launcher.is_visible()
    assert launcher.evaluate("b => b.getRootNode().activeElement === b")
    assert launcher.get_attribute("aria-expanded") == "false"


def test_no_serious_axe_violations_at_three_sizes(fpage, fake_site, fake, axe) -> None:  # noqa: ANN001
    from tests.web.conftest import SCREENSHOT_DIR, run_axe

    fpage.goto(fake_site)
    fpage.get_by_role("button", name="Fragen? Hier chatten").click()
    assert run_axe_serious(fpage, axe, run_axe) == []  # privacy notice
    fpage.get_by_role("button", name="Einverstanden – Chat beginnen").click()
    fpage.locator(".msg.bot", has_text="kein Mensch").wait_for(timeout=10_000)
    fpage.get_by_role("button", name="Vorsorge").first.click()
    fpage.locator(".msg.bot", has_text="Vorsorgevollmacht").wait_for()
    sender = fpage.evaluate(
        "() => Object.entries(localStorage).find(([k]) => k.endsWith(':sender'))[1]"
    )
    fake.advisor(
        sender, "Hier ist Frau Schulz vom Seniorenbüro. Sie erreichen mich unter 0231 50-0."
    )
    fpage.locator(".msg.advisor").wait_for()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    fpage.get_by_role("button", name="Einstellungen").click()  # sizes and deletion live there
    sizes = ["A normale Schrift", "A+ große Schrift", "A++ sehr große Schrift"]
    for index, name in enumerate(sizes):
        fpage.get_by_role("button", name=name, exact=True).click()
        fpage.wait_for_timeout(100)
        fpage.screenshot(path=str(SCREENSHOT_DIR / f"fake-widget-size-{index}.png"))
        assert run_axe_serious(fpage, axe, run_axe) == []


def run_axe_serious(page, axe, run_axe) -> list[dict]:  # noqa: ANN001
    return [v for v in run_axe(page, axe) if v["impact"] in ("serious", "critical")]


def test_reply_while_closed_is_announced_on_the_launcher(fpage, fake_site, fake) -> None:  # noqa: ANN001
    start_chat(fpage, fake_site)
    fpage.get_by_role("button", name="Chat schließen").click()
    sender = fpage.evaluate(
        "() => Object.entries(localStorage).find(([k]) => k.endsWith(':sender'))[1]"
    )
    fake.advisor(sender, "Sind Sie noch da?")
    launcher = fpage.get_by_role("button", name="Neue Nachricht – Chat öffnen")
    launcher.wait_for(timeout=5_000)
    launcher.click()
    assert fpage.locator(".msg.advisor", has_text="Sind Sie noch da?").is_visible()
    assert fpage.locator(".launcher").text_content() == "Fragen? Hier chatten"  # reset


def sender_of(page) -> str:  # noqa: ANN001
    return page.evaluate(
        "() => Object.entries(localStorage).find(([k]) => k.endsWith(':sender'))[1]"
    )


def is_focused(locator) -> bool:  # noqa: ANN001
    return locator.evaluate("b => b.getRootNode().activeElement === b")


def test_failed_deletion_keeps_everything_and_escape_cancels(fpage, fake_site, fake) -> None:  # noqa: ANN001
    start_chat(fpage, fake_site)
    fpage.get_by_label("Ihre Frage").fill("Hallo")
    fpage.keyboard.press("Enter")
    answer = fpage.locator(".msg.bot", has_text="Sie haben geschrieben: Hallo")
    answer.wait_for()
    sender = sender_of(fpage)
    fpage.get_by_role("button", name="Einstellungen").click()  # sizes and deletion live there
    forget = fpage.get_by_role("button", name="Gespräch löschen")
    dialog = fpage.get_by_role("alertdialog", name="Möchten Sie das ganze Gespräch löschen?")

    # Escape cancels the question; the chat stays open, focus returns to the button
    forget.click()
    assert dialog.is_visible() and forget.get_attribute("aria-expanded") == "true"
    fpage.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert fpage.locator("#ql-panel").is_visible() and is_focused(forget)

    fake.fail_delete = True
    try:
        forget.click()
        dialog.get_by_role("button", name="Ja, löschen").click()
        notice = fpage.locator(".msg.system.error", has_text="konnte gerade nicht gelöscht")
        notice.wait_for()
    finally:
        fake.fail_delete = False
    # the menu closes (it would lie over the message), the focus waits on "Einstellungen"
    assert not dialog.is_visible() and not forget.is_visible()
    assert is_focused(fpage.get_by_role("button", name="Einstellungen"))
    assert "Sie können auch anrufen: " in notice.inner_text()
    # nothing was removed locally: same conversation, same messages
    assert answer.is_visible() and sender_of(fpage) == sender
    assert sender not in fake.deleted and fake.messages[sender]
    assert fpage.errors == []


def test_deletion_starts_a_new_conversation(fpage, fake_site, fake) -> None:  # noqa: ANN001
    start_chat(fpage, fake_site)
    fpage.get_by_role("button", name="Mit einem Menschen sprechen").click()
    fpage.locator(".handoff", has_text="Sie warten").wait_for()
    old = sender_of(fpage)
    fpage.get_by_role("button", name="Einstellungen").click()  # sizes and deletion live there
    fpage.get_by_role("button", name="Gespräch löschen").click()
    fpage.get_by_role("button", name="Ja, löschen").click()
    done = fpage.locator(".msg.system", has_text="Ihr Gespräch wurde gelöscht.")
    done.wait_for()
    assert is_focused(done)
    assert fake.deleted[-1] == old
    assert fpage.locator(".msg.bot, .msg.user, .msg.advisor").count() == 0
    assert not fpage.locator(".handoff").is_visible()
    new = sender_of(fpage)
    assert new != old
    # no long poll for the old conversation after the deletion
    fpage.requests.clear()
    fake.advisor(old, "Diese Nachricht darf nicht mehr erscheinen.")
    fpage.wait_for_timeout(1_500)
    assert not any(old in r for r in fpage.requests)
    assert fpage.locator(".msg.advisor").count() == 0
    # a new start as on a first visit: privacy notice, then the greeting
    assert not fpage.get_by_role("button", name="Gespräch löschen").is_visible()
    fpage.get_by_role("button", name="Einverstanden – Chat beginnen").click()
    fpage.locator(".msg.bot", has_text="kein Mensch").wait_for(timeout=10_000)
    assert fake.received[-1]["sender"] == new and fake.received[-1]["message"] == "/greet"
    assert fpage.errors == []


def test_deletion_reaches_a_second_tab(fpage, fake_site, fake) -> None:  # noqa: ANN001
    start_chat(fpage, fake_site)
    other = fpage.context.new_page()  # same browser: same local storage, same conversation
    other.goto(fake_site)
    other.locator(".msg.bot", has_text="kein Mensch").wait_for(state="attached", timeout=10_000)
    fpage.get_by_role("button", name="Einstellungen").click()  # sizes and deletion live there
    fpage.get_by_role("button", name="Gespräch löschen").click()
    fpage.get_by_role("button", name="Ja, löschen").click()
    fpage.locator(".msg.system", has_text="Ihr Gespräch wurde gelöscht.").wait_for()
    other.locator(".msg.system", has_text="Ihr Gespräch wurde gelöscht.").wait_for(
        state="attached", timeout=5_000
    )
    assert other.locator(".msg.bot").count() == 0
    # the second tab writes under the new conversation id, not the deleted one
    assert other.evaluate("() => document.getElementById('quartierslotse-widget') !== null")
    assert sender_of(other) == sender_of(fpage) != fake.deleted[-1]
