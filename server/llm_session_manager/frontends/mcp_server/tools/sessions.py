"""Tools about sessions: list them, the status of one, what to do, an export."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from ....core import args as shared
from ....core.models import Provenance, Recommendation, Session
from ..tool import Args, NonEmpty, to_json, tool

SessionId = Annotated[str, Meta(min_length=1, description="Session id or unique prefix.")]
Cwd = Annotated[str, Meta(min_length=1, description="Absolute working directory of the session.")]


class ListSessionsArgs(shared.SessionFilters, Args, frozen=True):  # frozen like Args: said again so type checkers see it
    limit: Annotated[int, Meta(ge=1, le=1000, description="At most this many, newest first.")] = 10
    detail: Annotated[bool, Meta(description="Every field of each session (cwd, model, token kinds, health parts, tags).")] = False


class TokensBrief(msgspec.Struct):
    total: int
    source: str  # exact | estimated


class ContextBrief(msgspec.Struct):
    percent: float


class HealthBrief(msgspec.Struct):
    score: float
    status: str  # healthy | warning | critical


class SessionBrief(msgspec.Struct):
    """A session in a few fields; ``detail`` gives the whole ``Session``, of which these are a part."""

    id: str
    provider: str
    project: str | None
    title: str | None
    last_activity: str | None
    active: bool
    tokens: TokensBrief
    context: ContextBrief
    cost_usd: float | None  # None: none of its models has a price (as in Session)
    health: HealthBrief
    provenance: Provenance | msgspec.UnsetType = msgspec.UNSET  # where tokens, cost and context come from


class SessionsSummary(msgspec.Struct):
    """Over every session that matched, not only those listed."""

    active: int
    total_tokens: int
    cost_usd: float
    providers: dict[str, int]


class SessionList(msgspec.Struct):
    sessions: list[SessionBrief]
    count: int  # how many matched, before ``limit``
    truncated: bool
    summary: SessionsSummary


@tool(ListSessionsArgs, SessionList, title="List AI coding sessions", fresh=True)
def list_sessions(conn, config, a: ListSessionsArgs) -> dict[str, Any]:
    """AI coding sessions on this machine (Claude Code, Codex, ...), most recently active first, with a summary of all that matched.

    Tokens are exact (from the assistant's logs) or estimated; times ISO 8601 UTC;
    health 0-100. Filters combine with AND.
    """
    from ....services import sessions

    filters = sessions.Filters(
        provider=a.provider, tag=a.tag, project=a.project, active=a.active, since=a.since_time(),
    )
    found = sessions.list_sessions(conn, config, filters)
    shown = found[: a.limit]
    summary = SessionsSummary(
        active=sum(s.active for s in found),
        total_tokens=sum(s.tokens.total for s in found),
        cost_usd=round(sum(s.cost_usd or 0.0 for s in found), 4),  # the priced part: unpriced sessions are null
        providers=dict(Counter(s.provider for s in found).most_common()),
    )
    return {
        "sessions": to_json(shown if a.detail else [brief(s) for s in shown]),
        "count": len(found), "truncated": len(found) > a.limit, "summary": to_json(summary),
    }


def brief(s: Session) -> SessionBrief:
    return SessionBrief(
        id=s.id, provider=s.provider, project=s.project, title=s.title, last_activity=s.last_activity,
        active=s.active, tokens=TokensBrief(s.tokens.total, s.tokens.source),
        context=ContextBrief(s.context.percent), cost_usd=s.cost_usd,
        health=HealthBrief(s.health.score, s.health.status), provenance=s.provenance,
    )


class StatusArgs(Args, frozen=True):  # frozen like Args: said again so type checkers see it
    session_id: SessionId | None = None
    cwd: Cwd | None = None


class Status(msgspec.Struct):
    session: Session
    context_remaining: int  # tokens left in the context window
    recommendations: list[Recommendation]


@tool(StatusArgs, Status, title="Status of a session", fresh=True)
def session_status(conn, config, a: StatusArgs) -> Status:
    """How full a session's context window is, its health, and what to do about it.

    The session: `session_id`, else the latest in `cwd` (or the nearest directory
    above or below), else the latest of all. Pass your own cwd to learn about yours.
    """
    from ....services import recommend

    session = find_session(conn, config, a.session_id, a.cwd)
    return Status(
        session=session,
        context_remaining=max(0, session.context.limit - session.context.used),
        recommendations=recommend.for_sessions([session], config, only_recent=False),
    )


class RecommendArgs(Args, frozen=True):  # frozen like Args: said again so type checkers see it
    session_id: Annotated[NonEmpty | None, Meta(
        description="Session id or unique prefix; omit for all active in the last 24 hours.",
    )] = None
    limit: Annotated[int, Meta(ge=1, le=500, description="At most this many, most severe first.")] = 10


class Recommendations(msgspec.Struct):
    recommendations: list[Recommendation]  # the first ``limit``, most severe first
    count: int  # how many there are, before ``limit``
    truncated: bool


@tool(RecommendArgs, Recommendations, title="Recommendations", fresh=True)
def recommend(conn, config, a: RecommendArgs) -> Recommendations:
    """What to do about one session, or every session running or active in the last 24 hours.

    Rules: context, duration, idle, archive, merge, repeat, consolidate, health; most severe first.
    """
    from ....services import recommend as rec
    from ....services import sessions

    if a.session_id:
        found = [sessions.get_session(conn, config, a.session_id)]
    else:
        found = sessions.list_sessions(conn, config)
    recs = rec.for_sessions(found, config, only_recent=not a.session_id, conn=conn)
    return Recommendations(recs[: a.limit], count=len(recs), truncated=len(recs) > a.limit)


class ExportArgs(Args, frozen=True):  # frozen like Args: said again so type checkers see it
    session_id: SessionId
    format: Annotated[shared.ExportFormat, Meta(
        description="markdown for people; json/yaml as data; csv: a row per response.",
    )]


class Export(msgspec.Struct):
    session_id: str
    format: str
    text: str


@tool(ExportArgs, Export, title="Export a session", fresh=True)
def export_session(conn, config, a: ExportArgs) -> Export:
    """A session's report: summary, health, tokens and cost per model, files, recommendations; secrets redacted.

    Save what a session did before compacting or closing it.
    """
    from ....services import export, sessions

    sid = sessions.resolve_id(conn, a.session_id)
    return Export(session_id=sid, format=a.format, text=export.render(conn, config, sid, a.format))


# --- shared by the tools -----------------------------------------------------


def find_session(conn, config, session_id: str | None, cwd: str | None) -> Session:
    """The session named by id, else the one in ``cwd`` (or near it), else the latest of all."""
    from ....core.errors import NotFound
    from ....services import sessions

    if session_id:
        return sessions.get_session(conn, config, session_id)
    if cwd is not None:
        found = sessions.for_cwd(conn, config, cwd)
        if found is None:
            raise NotFound(f"no session has worked in {cwd} (see list_sessions)")
        return found
    latest = sessions.list_sessions(conn, config)  # newest first
    if not latest:
        raise NotFound("no sessions yet: nothing has been scanned from any assistant's logs")
    return latest[0]
