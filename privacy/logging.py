"""Keeps personal data out of log files.

Two layers, both using `privacy.redaction.redact` (phone numbers, e-mail addresses, IBANs,
dates of birth, …):

* `RedactingFilter` – a `logging.Filter` for handlers: rewrites the record's message,
  exception text and stack text in place before any formatter sees them.
* `install_record_factory()` – wraps the LogRecord factory, so *every* record of the process is
  redacted when it is created, whatever handler (Sanic's own, coloredlogs, structlog's stdlib
  bridge) writes it later. The filter alone would miss handlers added after configuration.

How each process gets it:

* Rasa: `rasa run --logging-config-file <file>` (Rasa's documented option, applied with
  `logging.config.dictConfig`). `write_rasa_logging_config()` writes that file; its filter
  factory `rasa_filter` also installs the record factory.
* action server: `python -m security.action_server` calls `install()`.
* advisor console and other Sanic apps: call `install()` once at start-up.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import traceback
from pathlib import Path
from typing import Any

from privacy.redaction import redact

_INSTALLED_ATTR = "_quartierslotse_redacting"


# keys whose values identify a conversation (the web chat's id is the key to read or delete it)
SENDER_KEYS = {"sender", "sender_id", "conversation_id", "recipient_id", "chat_id"}
# keys that carry a whole environment of values: never written (structlog's dict tracebacks
# include every frame's local variables, i.e. message texts and sender ids)
DROPPED_KEYS = {"locals"}
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_SENDER_IN_TEXT = re.compile(
    r"((?:[?&]|\b)(?:sender|sender_id|conversation_id|recipient_id)(?:['\"]?\s{0,3}[=:]\s{0,3}['\"]?))"
    r"([A-Za-z0-9_.:@%-]{1,200})")
# SQLAlchemy appends the bound parameters of a failed statement (texts, sender ids)
_SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*\]?")


def pseudonym(value: str) -> str:
    """What a log shows instead of a conversation id: stable (lines can be related), short,
    not reversible for the random ids of the widget."""
    return "id#" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _sanitise(value: Any, key: str = "") -> Any:
    if key in SENDER_KEYS and isinstance(value, (str, int)) and value != "":
        return pseudonym(str(value))
    if isinstance(value, str):
        return sanitise_text(value)
    if isinstance(value, dict):
        return {k: _sanitise(v, str(k)) for k, v in value.items() if k not in DROPPED_KEYS}
    if isinstance(value, list):
        return [_sanitise(item) for item in value]
    return value


def sanitise_text(text: str) -> str:
    """The final text of a log line without personal data: JSON escapes ("M\\u00fcller") are
    decoded before redaction, SQL parameters removed, conversation ids pseudonymised. A line
    that is a JSON object (Rasa's structlog output) is redacted field by field and written
    again with ensure_ascii=False, without `locals`."""
    stripped = text.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return json.dumps(_sanitise(parsed), ensure_ascii=False)
    text = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    text = _SQL_PARAMETERS.sub("[parameters: entfernt]", text)
    text = _SENDER_IN_TEXT.sub(lambda m: m.group(1) + pseudonym(m.group(2)), text)
    return redact(text)


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact message, exception and stack text of `record` in place."""
    if getattr(record, _INSTALLED_ATTR, False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep the raw parts, redacted
        message = f"{record.msg} {record.args!r}"
    record.msg = sanitise_text(str(message))
    record.args = ()
    if record.exc_info and not record.exc_text:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    if record.exc_text:
        record.exc_text = sanitise_text(record.exc_text)
    if record.stack_info:
        record.stack_info = sanitise_text(record.stack_info)
    # Sanic's access log formats the request line from an extra attribute
    for name in ("request", "host"):
        if isinstance(getattr(record, name, None), str):
            setattr(record, name, sanitise_text(getattr(record, name)))
    setattr(record, _INSTALLED_ATTR, True)
    return record


class RedactingFilter(logging.Filter):
    """Never drops a record, only rewrites it."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install_record_factory() -> None:
    """Redact every log record of this process at creation time (idempotent)."""
    current = logging.getLogRecordFactory()
    if getattr(current, _INSTALLED_ATTR, False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(current(*args, **kwargs))

    setattr(factory, _INSTALLED_ATTR, True)
    logging.setLogRecordFactory(factory)


def install(logger: logging.Logger | None = None) -> RedactingFilter:
    """Install redaction for this process: record factory plus a filter on every handler
    of `logger` (default: the root logger)."""
    install_record_factory()
    target = logger or logging.getLogger()
    flt = RedactingFilter()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(flt)
    return flt


def rasa_filter() -> RedactingFilter:
    """Filter factory named in Rasa's logging config (`"()": privacy.logging.rasa_filter`)."""
    install_record_factory()
    return RedactingFilter()


RASA_LOGGING_CONFIG = """\
# Written by privacy.logging.write_rasa_logging_config – do not edit; used with
# `rasa run --logging-config-file`. Every record is redacted (phone numbers, e-mail
# addresses, IBANs, dates of birth …) before it is written.
version: 1
disable_existing_loggers: false
filters:
  redact_personal_data:
    (): privacy.logging.rasa_filter
formatters:
  plain:
    format: "%(asctime)s %(levelname)-8s %(name)s - %(message)s"
handlers:
  console:
    class: logging.StreamHandler
    stream: ext://sys.stdout
    formatter: plain
    filters: [redact_personal_data]
root:
  level: INFO
  handlers: [console]
"""


def write_rasa_logging_config(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(RASA_LOGGING_CONFIG)
    return path
