"""Sessions on the knowledge base (engines: storage.engine; schema: storage.schema)."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.orm import Session, sessionmaker

from storage.engine import session_factory as storage_session_factory


@lru_cache(maxsize=16)
def session_factory(url: str) -> sessionmaker:
    """One factory per URL; it owns the look-up cache of the knowledge base (knowledge.lookup)
    and hands it to every session it makes in Session.info."""
    from knowledge.lookup import SESSION_INFO_KEY, LookupCache

    return storage_session_factory(url, info={SESSION_INFO_KEY: LookupCache()})


def open_session(url: str | None = None) -> Session:
    """A new session on `url` (default: settings.database_url)."""
    if url is None:
        from quartierslotse.settings import get_settings

        url = get_settings().database_url
    return session_factory(url)()
