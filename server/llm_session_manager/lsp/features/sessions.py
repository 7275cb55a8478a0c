"""``llmSession/sessions``: the sessions, exactly as ``llm-session list --json`` prints them.

Services are imported where they run, in the worker thread: the server
answers ``initialize`` before paying for them (as the CLI's commands do).
"""

from __future__ import annotations

from typing import Any

import apsw
import msgspec

from ...config import Config
from .. import params as p
from ..feature import Feature
from ..protocol import Encoded

METHOD = "llmSession/sessions"


class Sessions(Feature):
    def register(self) -> None:
        self.on(METHOD, self.sessions)

    async def sessions(self, params: Any) -> Encoded:
        """Params ``{provider?, project?, tag?, active?}``; most recently active first.

        Unlike ``list``, this does not scan first: ``llmSession.refresh`` does,
        and ``llmSession/didChangeSessions`` says when the store has news.
        """
        f = p.fields(params, METHOD)
        filters = dict(
            provider=p.provider(f.get("provider")),
            project=p.text(f.get("project"), "project"),
            tag=p.text(f.get("tag"), "tag"),
            active=p.flag(f.get("active"), "active"),
        )
        return await self.server.backend.call(list_sessions, filters)


def list_sessions(conn: apsw.Connection, config: Config, filters: dict[str, Any]) -> Encoded:
    """The list as JSON, encoded here in the worker thread (see ``protocol.Encoded``)."""
    from ...services import sessions

    return Encoded(msgspec.json.encode(sessions.list_sessions(conn, config, sessions.Filters(**filters))))
