"""``llmSession/status``: the session of a workspace and a count by health, for a status bar."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import apsw
import msgspec

from ....core.config import Config
from ....core.models import Session
from .. import params as p
from ..feature import Feature

METHOD = "llmSession/status"
_EMOJI = {"healthy": "✅", "warning": "⚠️", "critical": "🔴"}


class Status(Feature):
    def register(self) -> None:
        self.on(METHOD, self.status)

    async def status(self, params: Any) -> dict[str, Any]:
        """Params ``{sessionId?, cwd?}`` -> ``{session, summary, label}``."""
        f = p.fields(params, METHOD)
        sid = p.text(f.get("sessionId"), "sessionId")
        cwd = p.path(f.get("cwd"), "cwd")
        return await self.server.engine.call(status, sid, cwd)


def status(conn: apsw.Connection, config: Config, sid: str | None, cwd: str | None,
           *, now: float | None = None) -> dict[str, Any]:
    """The session named by ``sid`` (else the one in ``cwd``) and the current sessions' health.

    ``summary`` counts the sessions that matter now -- running, or active in
    the last 24 hours -- in ``cwd`` and below when it is given, else everywhere.
    """
    from ....services import recommend, sessions  # in the worker thread (see sessions.py)

    now = time.time() if now is None else now
    found = sessions.list_sessions(conn, config, sessions.Filters(cwd=cwd), now=now)
    session: Session | None = None
    if sid is not None:
        session = sessions.get_session(conn, config, sid, now=now)
    elif cwd is not None:
        session = sessions.for_cwd(conn, config, cwd, now=now)
    else:  # the running one, if any (the list is newest first)
        session = next((s for s in found if s.active), None)
    current = [s for s in found if s.active or now - _ts(s.last_activity) <= recommend.RECENT_S]
    summary = {"count": len(current)}
    for state in ("healthy", "warning", "critical"):
        summary[state] = sum(s.health.status == state for s in current)
    return {
        "session": msgspec.to_builtins(session),
        "summary": summary,
        "label": label(summary, emoji=config.dashboard.show_emoji),
    }


def label(summary: dict[str, int], *, emoji: bool = True) -> str:
    """``LLM: 3 sessions ✅2 ⚠️1`` (states with no session left out).

    With none running or recent, ``LLM: none active``: the sessions exist, and
    "no sessions" read as if the logs had not been found.
    """
    n = summary["count"]
    if not n:
        return "LLM: none active"
    head = f"LLM: {n} session{'s' if n != 1 else ''}"
    states = [(state, summary[state]) for state in ("healthy", "warning", "critical") if summary[state]]
    if emoji:
        return head + " " + " ".join(f"{_EMOJI[state]}{k}" for state, k in states)
    return head + " (" + ", ".join(f"{k} {state}" for state, k in states) + ")"


def _ts(iso: str | None) -> float:
    return datetime.fromisoformat(iso).timestamp() if iso else 0.0
