"""What a member's machine sends its team server, and what it answers (docs/team.md).

One ``PushBatch`` per request. A usage row is keyed by the provider's own
identity of the response (the store's ``dedup_key``: for Claude Code
``message.id:requestId``), so a batch sent twice, or the same response pushed
by two devices, is stored once; a better copy of it (the whole of a response
whose streaming snapshot came first, as a store keeps it) replaces the one stored. ``client_id`` is the pushing data dir's own id:
the server binds a device's token to the first one it sees.
"""

from __future__ import annotations

import msgspec

PUSH_PATH = "/api/push"
USAGE_PATH = "/api/usage"


class PushSession(msgspec.Struct, array_like=True):
    id: str
    provider: str
    project: str | None
    cwd: str | None
    title: str | None
    model: str | None
    started_at: float | None
    last_activity: float | None
    # Added later, so at the end with defaults: an older client's push (without them) still decodes.
    # The session's health and context fill as ``list`` shows them on the pushing machine at push time.
    health_status: str | None = None  # healthy | warning | critical
    health_score: float | None = None  # 0-100
    context_used: int | None = None  # tokens in the context window now
    context_limit: int | None = None  # the window
    context_percent: float | None = None
    context_source: str | None = None  # the fill's provenance: exact | estimated | unknown


class PushUsage(msgspec.Struct, array_like=True):
    dedup_key: str
    session_id: str
    provider: str
    ts: float
    model: str
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int
    cache_creation_1h_tokens: int  # the part of cache_creation_tokens written with a one-hour TTL
    cost_usd: float
    priced: int  # as the store's usage.priced (core/pricing.py)
    exact: bool
    sidechain: bool


class PushBatch(msgspec.Struct):
    client_id: str
    sessions: list[PushSession] = []
    usage: list[PushUsage] = []


class PushResult(msgspec.Struct):
    sessions: int  # sessions stored or brought up to date
    usage_new: int  # responses the team had not seen from anyone
    usage_seen: int  # responses already stored (a replay, or another device's copy)
