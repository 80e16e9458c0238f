"""Chat widget: size on the wire and time from "send" to the rendered answer in the browser.

Starts the real stack (Rasa, action server, demo page) in a temporary var dir, opens the demo
page in headless Chromium (Debian's /usr/bin/chromium) and sends typed questions through the
widget. Each sample runs inside the page: from the Enter key until the bot's answer is in the
DOM (MutationObserver), so it includes the widget's own work, the network and Rasa.

Run: .venv/bin/python benchmarks/widget_latency.py [--messages 40] [--size-only]
Prints bytes (raw and gzipped) and p50/p95 in milliseconds; --size-only prints the bytes and
starts nothing. Nothing here runs in CI.
"""

from __future__ import annotations

import argparse
import gzip
import secrets
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from quartierslotse.settings import Settings, get_settings  # noqa: E402
from runtime import processes, training  # noqa: E402
from runtime.devserver import prepare_runtime  # noqa: E402
from runtime.services import default_services  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

QUESTIONS = [
    "Was ist ein Pflegegrad?",
    "Was ist eine Vorsorgevollmacht?",
    "Wo treffen sich ältere Menschen?",
    "Wer hilft mir, meine Wohnung umzubauen?",
    "Danke",
]
PER_CONVERSATION = 10  # below the per-conversation rate limit

SEND_AND_WAIT = """async (question) => {
  const root = document.getElementById('quartierslotse-widget').shadowRoot;
  const log = root.querySelector('[role=log]');
  const before = log.querySelectorAll('.msg.bot, .msg.system').length;
  const field = root.querySelector('textarea');
  const done = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (log.querySelectorAll('.msg.bot, .msg.system').length > before) {
        observer.disconnect();
        resolve(performance.now());
      }
    });
    observer.observe(log, {childList: true, subtree: true});
  });
  field.value = question;
  const started = performance.now();
  field.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));
  const ended = await Promise.race([done, new Promise((r) => setTimeout(() => r(-1), 30000))]);
  return ended < 0 ? -1 : ended - started;
}"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def widget_size() -> list[tuple[str, int, int]]:
    rows = []
    for name in ("quartierslotse.js", "quartierslotse.css"):
        body = (ROOT / "web" / "widget" / name).read_bytes()
        rows.append((name, len(body), len(gzip.compress(body, 9, mtime=0))))
    return rows


def start_conversation(page, url: str) -> None:  # noqa: ANN001
    page.goto(url)
    page.evaluate("() => localStorage.clear()")
    page.goto(url)
    page.get_by_role("button", name="Fragen? Hier chatten").click()
    page.get_by_role("button", name="Einverstanden – Chat beginnen").click()
    page.locator(".msg.bot").first.wait_for(timeout=60_000)


def measure(url: str, n: int) -> tuple[list[float], int]:
    from playwright.sync_api import sync_playwright

    samples: list[float] = []
    lost = 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        start_conversation(page, url)
        page.evaluate(SEND_AND_WAIT, "Hallo")  # warm-up: first prediction loads lazily
        for index in range(n):
            if index and index % PER_CONVERSATION == 0:
                start_conversation(page, url)
            elapsed = page.evaluate(SEND_AND_WAIT, QUESTIONS[index % len(QUESTIONS)])
            if elapsed < 0:
                lost += 1
            else:
                samples.append(float(elapsed))
            page.wait_for_timeout(200)  # a reader's pause; keeps the poll loop realistic
        browser.close()
    return samples, lost


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=40)
    parser.add_argument("--size-only", action="store_true",
                        help="only the widget's size: no Rasa, no browser")
    args = parser.parse_args()
    for name, raw, packed in widget_size():
        print(f"{name:<20} {raw:7d} bytes  {packed:6d} bytes gzipped")
    total = widget_size()
    print(f"{'widget total':<20} {sum(r[1] for r in total):7d} bytes  "
          f"{sum(r[2] for r in total):6d} bytes gzipped")
    if args.size_only:
        return

    base = get_settings()
    with tempfile.TemporaryDirectory() as var_dir:
        settings = Settings(var_dir=Path(var_dir), spacy_model_path=base.spacy_model_path,
                            model_dir=base.model_dir, rasa_port=free_port(),
                            action_port=free_port(), web_port=free_port(),
                            rasa_token=secrets.token_hex(8))
        model = training.ensure_trained(settings)
        files = prepare_runtime(settings)
        running = processes.start_all(default_services(settings, model, files), settings,
                                      settings.var_dir / "logs")
        try:
            samples, lost = measure(f"http://127.0.0.1:{settings.web_port}/", args.messages)
        finally:
            processes.stop_all(running)
    if not samples:
        print("Keine Messwerte: keine Antwort kam an.")
        sys.exit(1)
    print(f"send → rendered answer  n={len(samples)} (lost {lost})  "
          f"p50={percentile(samples, 0.5):6.0f} ms  p95={percentile(samples, 0.95):6.0f} ms  "
          f"max={max(samples):6.0f} ms  mean={statistics.mean(samples):6.0f} ms")


if __name__ == "__main__":
    main()
