"""Tools about sessions: list them, the status of one, what to do, an export."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from ...models import PROVIDERS, Recommendation, Session
from ..tool import Args, NonEmpty, tool

SessionId = Annotated[str, Meta(min_length=1, description="A session id, or a unique prefix of one (as in `list_sessions`).")]
Cwd = Annotated[str, Meta(min_length=1, description="An absolute directory: the assistant's working directory.")]


class ListSessionsArgs(Args):
    provider: Annotated[Literal[PROVIDERS] | None, Meta(description="Only sessions of this assistant.")] = None
    project: Annotated[str | None, Meta(description="Only sessions in this project (by name).")] = None
    tag: Annotated[str | None, Meta(description="Only sessions carrying this tag.")] = None
    active: Annotated[bool, Meta(description="Only sessions whose assistant process is running now.")] = False
    since: Annotated[str | None, Meta(
        description="Only sessions active since a local date (2025-01-31), an ISO time, or an age (30m, 12h, 7d, 2w).",
    )] = None
    limit: Annotated[int, Meta(ge=1, le=1000, description="At most this many sessions, newest first.")] = 50


class SessionList(msgspec.Struct):
    sessions: list[Session]
    count: int  # how many matched, before ``limit``
    truncated: bool


@tool(ListSessionsArgs, SessionList, title="List AI coding sessions", fresh=True)
def list_sessions(conn, config, a: ListSessionsArgs) -> SessionList:
    """List the AI coding sessions on this machine (Claude Code, Codex, ...), most recently active first.

    Each session has its id, provider, project, working directory, title, model,
    start and last-activity times (ISO 8601 UTC), whether its assistant is running,
    token totals (exact from the assistant's own logs, or estimated), how full its
    context window is, cost in USD, health (score 0-100 and status
    healthy|warning|critical) and tags. Filters combine with AND.
    """
    from ...services import sessions

    filters = sessions.Filters(
        provider=a.provider, tag=a.tag, project=a.project, active=a.active,
        since=sessions.parse_since(a.since) if a.since else None,
    )
    found = sessions.list_sessions(conn, config, filters)
    return SessionList(sessions=found[: a.limit], count=len(found), truncated=len(found) > a.limit)


class StatusArgs(Args):
    session_id: SessionId | None = None
    cwd: Cwd | None = None


class Status(msgspec.Struct):
    session: Session
    context_remaining: int  # tokens left in the context window
    recommendations: list[Recommendation]


@tool(StatusArgs, Status, title="Status of a session", fresh=True)
def session_status(conn, config, a: StatusArgs) -> Status:
    """How full a session's context window is, how healthy it is, and what to do about it.

    Names the session by `session_id`; else by `cwd`: the most recently active
    session working in that directory (or, failing that, in the nearest directory
    above or below it). With neither, the most recently active session. Call it
    with your own working directory to learn about the session you are in.
    """
    from ...services import recommend

    session = find_session(conn, config, a.session_id, a.cwd)
    return Status(
        session=session,
        context_remaining=max(0, session.context.limit - session.context.used),
        recommendations=recommend.for_sessions([session], config, only_recent=False),
    )


class RecommendArgs(Args):
    session_id: Annotated[NonEmpty | None, Meta(
        description="One session (id or unique prefix); omit for every session active in the last 24 hours.",
    )] = None


class Recommendations(msgspec.Struct):
    recommendations: list[Recommendation]


@tool(RecommendArgs, Recommendations, title="Recommendations", fresh=True)
def recommend(conn, config, a: RecommendArgs) -> Recommendations:
    """What to do about one session, or about every session that matters now (running or active in the last 24 hours).

    Each recommendation has a rule (context, duration, idle, consolidate, health),
    a severity (critical, warning, info; most severe first), a message saying what
    is wrong and an action saying what to do.
    """
    from ...services import recommend as rec
    from ...services import sessions

    if a.session_id:
        found = [sessions.get_session(conn, config, a.session_id)]
    else:
        found = sessions.list_sessions(conn, config)
    return Recommendations(rec.for_sessions(found, config, only_recent=not a.session_id))


class ExportArgs(Args):
    session_id: SessionId
    format: Annotated[Literal["json", "yaml", "markdown", "csv"], Meta(
        description="markdown: a report for people; json/yaml: the same report as data; csv: one row per model response.",
    )]


class Export(msgspec.Struct):
    session_id: str
    format: str
    text: str


@tool(ExportArgs, Export, title="Export a session", fresh=True)
def export_session(conn, config, a: ExportArgs) -> Export:
    """A session's report as text: summary, health, tokens and cost per model, files touched and recommendations.

    Secrets (API keys, tokens, passwords, private keys) are redacted. Use it to save
    what a session did before compacting or closing it.
    """
    from ...services import export, sessions

    sid = sessions.resolve_id(conn, a.session_id)
    return Export(session_id=sid, format=a.format, text=export.render(conn, config, sid, a.format))


# --- shared by the tools -----------------------------------------------------


def find_session(conn, config, session_id: str | None, cwd: str | None) -> Session:
    """The session named by id, else the one in ``cwd`` (or near it), else the latest of all."""
    from ...errors import NotFound
    from ...services import sessions

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
