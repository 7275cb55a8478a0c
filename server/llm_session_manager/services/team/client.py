"""HTTP to the team server: JSON in and out, with its errors as one line each.

The standard library's ``urllib`` is enough for a request per batch, and it
keeps the client free of another HTTP stack. An unreachable server (refused,
timed out, a 5xx from it or its proxy) is ``TeamUnreachable``: the push stops
and the next one resumes. A 4xx is the server's word (bad token, not allowed):
``TeamError`` with its message.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import TypeVar

import msgspec

from ...core.errors import TeamError, TeamUnreachable
from .link import Link

T = TypeVar("T")
TIMEOUT = 60.0


def request(link: Link, path: str, answer: type[T], *, body: bytes | None = None,
            query: dict[str, str] | None = None, method: str | None = None, timeout: float = TIMEOUT) -> T:
    """POST ``body`` (GET without one; or ``method``) to ``path`` and decode the answer as ``answer``."""
    url = link.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
    headers = {"Authorization": f"Bearer {link.token}", "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=body, headers=headers, method=method or ("POST" if body is not None else "GET"))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            data = response.read()
    except urllib.error.HTTPError as e:
        message = _error_text(e)
        if e.code >= 500:
            raise TeamUnreachable(f"the team server at {link.url} cannot take it now ({e.code}): {message}") from e
        raise TeamError(f"the team server at {link.url} refused ({e.code}): {message}") from e
    except (TimeoutError, urllib.error.URLError, ConnectionError, http.client.HTTPException) as e:
        reason = getattr(e, "reason", e)
        raise TeamUnreachable(f"cannot reach the team server at {link.url}: {reason}") from e
    try:
        return msgspec.json.decode(data, type=answer)
    except msgspec.DecodeError as e:
        raise TeamError(f"the team server at {link.url} answered something else than expected: {e}") from e


def _error_text(error: urllib.error.HTTPError) -> str:
    try:
        body = error.read()
        found = json.loads(body).get("error")
        return str(found) if found else body.decode(errors="replace")[:200]
    except (OSError, ValueError, AttributeError):
        return error.reason if isinstance(error.reason, str) else "no reason given"
