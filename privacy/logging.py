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

import logging
import traceback
from pathlib import Path
from typing import Any

from privacy.redaction import redact

_INSTALLED_ATTR = "_quartierslotse_redacting"


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact message, exception and stack text of `record` in place."""
    if getattr(record, _INSTALLED_ATTR, False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep the raw parts, redacted
        message = f"{record.msg} {record.args!r}"
    record.msg = redact(str(message))
    record.args = ()
    if record.exc_info and not record.exc_text:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
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
