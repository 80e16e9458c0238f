"""Rasa's requests to its HTTP endpoints over one kept-alive client session, JSON by ujson.

Rasa 3.6 (`EndpointConfig.request`) opens a new aiohttp client session - and so a new TCP
connection - for every request and encodes the body with the standard json module. Its most
frequent request is a custom-action call: the whole conversation as JSON to the action guard,
twice in an office turn. Encoding and connecting were 8.3 % of the Rasa process's CPU at 20
concurrent conversations (py-spy under benchmarks/load.py, issue 21 notes), the encoding alone
5.5 %.

`install()` (called by security.rasa_run before Rasa starts) replaces the method by one with the
same arguments, headers, query parameters, TLS and error behaviour that sends over one session
per event loop (connections are kept alive well below the keep-alive time of Rasa's own server,
the guard's host) and encodes with ujson, which Rasa already depends on; a value ujson cannot
encode goes to the json module, which then raises as before.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
from typing import Any

import aiohttp
import ujson
from aiohttp.client_exceptions import ContentTypeError
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.shared.exceptions import FileNotFoundException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

# seconds an idle connection is kept; Rasa's server closes idle ones after 120 s
KEEPALIVE_SECONDS = 15.0

_SESSIONS: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}


def dumps(value: Any) -> str:
    """JSON text of `value`: ujson's, or the json module's (and its errors) where ujson fails."""
    try:
        text: str = ujson.dumps(value, ensure_ascii=False, escape_forward_slashes=False)
        return text
    except (TypeError, OverflowError, ValueError):
        return json.dumps(value)


def shared_session() -> aiohttp.ClientSession:
    """The kept-alive client session of the running event loop (closed loops are forgotten)."""
    loop = asyncio.get_running_loop()
    session = _SESSIONS.get(loop)
    if session is None or session.closed:
        for stale in [known for known in _SESSIONS if known.is_closed()]:
            del _SESSIONS[stale]
        session = aiohttp.ClientSession(
            json_serialize=dumps,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(limit=100, keepalive_timeout=KEEPALIVE_SECONDS),
        )
        _SESSIONS[loop] = session
    return session


def _ssl_context(cafile: str | None) -> ssl.SSLContext | None:
    if not cafile:
        return None
    try:
        return ssl.create_default_context(cafile=cafile)
    except FileNotFoundError as missing:
        raise FileNotFoundException(
            f"Failed to find certificate file, '{os.path.abspath(cafile)}' does not exist."
        ) from missing


async def request(
    self: EndpointConfig,
    method: str = "post",
    subpath: str | None = None,
    content_type: str | None = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Any:
    """Rasa's `EndpointConfig.request`: the JSON answer of the endpoint, or None if it has none."""
    headers = {"Content-Type": content_type} if content_type else {}
    headers.update(kwargs.pop("headers", None) or {})
    headers.update(self.headers or {})
    auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
            if self.basic_auth else None)
    async with shared_session().request(
        method, concat_url(self.url, subpath), headers=headers, auth=auth,
        params=self.combine_parameters(kwargs), compress=compress,
        ssl=_ssl_context(self.cafile), **kwargs,
    ) as response:
        if response.status >= 400:
            raise ClientResponseError(response.status, response.reason,
                                      await response.content.read())
        try:
            return await response.json()
        except ContentTypeError:
            return None


def install() -> None:
    """Rasa's endpoint requests use the shared session from now on in this process."""
    EndpointConfig.request = request  # type: ignore[method-assign,assignment]
