"""Rasa's event classes looked up in a table instead of walking the class tree per event.

Rasa 3.6 turns every stored event back into an object with `Event.resolve_by_type`, which
calls `all_subclasses(Event)` - a recursive walk over 23 classes with an `isabstract` check each
- for every single event. A turn reads the whole conversation from the tracker store, so the
walk ran for every event of the conversation on every turn: 6.3 % of the Rasa process's CPU at
20 concurrent conversations (py-spy, benchmarks/load.py; issue 21 notes).

`install()` (called by security.rasa_run before Rasa starts) replaces it by a lookup in a
table built from the same walk, in the same order (the first class with the name wins, as
before). A name the table does not know rebuilds it once, so an Event subclass imported later
is found too; unknown names end as before (None for the old "topic", the default, or
ValueError).
"""

from __future__ import annotations

from typing import Any

from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

_TABLE: dict[str, type[Event]] = {}


def event_table() -> dict[str, type[Event]]:
    """type name -> class, the first of Rasa's own walk for each name."""
    table: dict[str, type[Event]] = {}
    for cls in all_subclasses(Event):
        table.setdefault(cls.type_name, cls)
    return table


def resolve_by_type(type_name: str, default: Any = None) -> type[Event] | None:
    """Rasa's `Event.resolve_by_type`, answered from the table."""
    found = _TABLE.get(type_name)
    if found is None:
        _TABLE.clear()
        _TABLE.update(event_table())
        found = _TABLE.get(type_name)
    if found is not None:
        return found
    if type_name == "topic":
        return None  # Rasa: backwards compatibility for old TopicSet events
    if default is not None:
        return default  # type: ignore[no-any-return]
    raise ValueError(f"Unknown event name '{type_name}'.")


def install() -> None:
    """Rasa resolves event types from the table from now on in this process."""
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign,assignment]
