"""Pinning sessions and pruning old conversations (``record``, ``unrecord``, ``prune``).

The store keeps everything unless ``retention.conversation_days`` says
otherwise; then a scan (at most hourly) or ``llm-session prune`` empties message
bodies older than that, except in pinned sessions. ``store/retention.py`` holds
the SQL and what exactly is kept.
"""

from __future__ import annotations

import time

import apsw
import msgspec

from ..core.config import Config
from ..core.errors import BadInput
from ..store import retention
from . import sessions


class PinResult(msgspec.Struct):
    id: str
    pinned: bool
    changed: bool  # False: it already was (or was not) pinned


class PruneResult(msgspec.Struct):
    dry_run: bool
    days: float
    before: str  # ISO 8601 UTC: bodies of messages older than this
    sessions: int
    messages: int
    chars: int
    pinned_kept: int  # pinned sessions with messages that old, kept whole


def pin(conn: apsw.Connection, ref: str) -> PinResult:
    sid = sessions.resolve_id(conn, ref)
    return PinResult(sid, True, retention.pin(conn, sid))


def unpin(conn: apsw.Connection, ref: str) -> PinResult:
    sid = sessions.resolve_id(conn, ref)
    return PinResult(sid, False, retention.unpin(conn, sid))


def prune(conn: apsw.Connection, config: Config, *, days: float | None = None, dry_run: bool = False,
          now: float | None = None) -> PruneResult:
    """Empty (or with ``dry_run`` count) the bodies older than ``days`` (default: the config's)."""
    days = config.retention.conversation_days if days is None else days
    if days is None:
        raise BadInput("no retention set: give --days N, or set retention.conversation_days in the config "
                       "(docs/conversations.md)")
    before = (time.time() if now is None else now) - days * 86400
    done = retention.plan(conn, before) if dry_run else retention.prune(conn, before)
    return PruneResult(dry_run, days, sessions.iso(before), done.sessions, done.messages, done.chars,
                       done.pinned_kept)
