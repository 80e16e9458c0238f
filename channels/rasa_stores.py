"""Rasa stores that survive what stock Rasa 3.6 does not (store types in endpoints.yml).

`AtomicRedisLockStore`
    Rasa's RedisLockStore with atomic ticket issuance: stock Rasa 3.6 can hand the same
    ticket to two replicas, so two messages of one conversation are processed at once and
    one of them is lost from the tracker store (see the class).

`ResilientSQLTrackerStore`
    Rasa's SQLTrackerStore with `pool_pre_ping` and a short retry on lost connections, so a
    PostgreSQL restart costs at most a few seconds of delay instead of failed turns with
    stale pooled connections; it publishes a turn's new events to the broker once they are
    stored, from the COUNT the save makes anyway, without reading the conversation back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- tracker store


class ResilientSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that survives a database restart without manual action."""

    RETRY_SECONDS = 20.0
    engine: Engine  # set in SQLTrackerStore.__init__, which leaves it unannotated

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        import sqlalchemy as sa

        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        # sender -> the events the running `save` stores (the lock store serialises a sender)
        self._unpublished: dict[str, list[Any]] = {}

    async def _with_retry(self, operation: Callable[[], Awaitable[Any]]) -> Any:
        import sqlalchemy.exc

        deadline = time.monotonic() + self.RETRY_SECONDS
        delay = 0.2
        while True:
            try:
                return await operation()
            except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError,
                    sqlalchemy.exc.DBAPIError) as error:
                disconnect = getattr(error, "connection_invalidated", False) or isinstance(
                    error, sqlalchemy.exc.OperationalError)
                if not disconnect or time.monotonic() > deadline:
                    raise
                logger.warning("Tracker store: database unavailable (%s); retrying", error)
                self.engine.dispose()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def retrieve(self, sender_id: str) -> Any:
        parent = super().retrieve
        return await self._with_retry(lambda: parent(sender_id))

    async def retrieve_full_tracker(self, conversation_id: str) -> Any:
        parent = super().retrieve_full_tracker
        return await self._with_retry(lambda: parent(conversation_id))

    async def stream_events(self, tracker: Any) -> None:
        """Done in `save`, once the new events are stored (never twice, never unstored ones)."""

    def _additional_events(self, session: Any, tracker: Any) -> Iterator[Any]:
        """Rasa's events of `tracker` not stored yet, also kept for the broker.

        Rasa's `TrackerStore.stream_events` retrieves and replays the whole conversation only
        to learn how many of its events are stored: a second full read on every turn. The
        COUNT that `save` makes anyway, in its own database session, gives the same events.
        """
        events = list(super()._additional_events(session, tracker))
        self._unpublished[tracker.sender_id] = events
        return iter(events)

    async def save(self, tracker: Any) -> None:
        parent = super().save
        try:
            await self._with_retry(lambda: parent(tracker))
            events = self._unpublished.get(tracker.sender_id, [])
        finally:
            self._unpublished.pop(tracker.sender_id, None)
        if self.event_broker is not None and events:
            await self._stream_new_events(self.event_broker, events, tracker.sender_id)


# --------------------------------------------------------------------------- lock store


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's RedisLockStore with atomic ticket handling (lock store type in endpoints.yml).

    Rasa 3.6 issues and returns tickets with an unguarded read-modify-write of one Redis key
    (`get_lock` → change → `save_lock`). When two messages of one conversation reach two
    replicas at the same moment, both can read the same lock, both draw the same ticket and
    both process at once; the later tracker save then silently drops the other message's
    events (tests/production/test_faults.py shows this with the stock store). Here every
    read-modify-write of a conversation's lock runs under a short Redis mutex (SET NX PX),
    so tickets are unique and the turns of one conversation are processed one after another
    on any number of replicas.
    """

    MUTEX_SECONDS = 5.0

    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        super().__init__(**kwargs)

    def _mutex(self, conversation_id: str) -> Any:
        return self.red.lock(
            f"{self.key_prefix}{conversation_id}:mutex", timeout=self.MUTEX_SECONDS,
            blocking_timeout=self.MUTEX_SECONDS, sleep=0.002)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            with self._mutex(conversation_id):
                lock = self.get_or_create_lock(conversation_id)
                ticket = lock.issue_ticket(lock_lifetime)
                self.save_lock(lock)
                return ticket
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        with self._mutex(conversation_id):
            super().finish_serving(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        with self._mutex(conversation_id):
            lock = self.get_lock(conversation_id)
            if lock is None:
                return
            lock.remove_ticket_for(ticket_number)
            if lock.is_someone_waiting():
                self.save_lock(lock)
            else:
                self.delete_lock(conversation_id)
