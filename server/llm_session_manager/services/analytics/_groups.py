"""The window's usage regrouped: per project, model and provider, the top sessions,
the most active projects. Pure Python over the per-session sums, which are few
(one per session), never over responses.
"""

from __future__ import annotations

import heapq
import json
from typing import NamedTuple, cast

import apsw

from ...core.models import ProjectActivity, SessionCost, UsageShare
from ..sessions import iso
from ..unpriced_models import known_cost
from ._sessions import Facts
from ._usage import COST, RESPONSES, UNPRICED, Rollup, Sums, add_sums, token_fields, total_tokens

OTHER = "(other)"
NONE = "(none)"

# The title ``list`` shows: the latest summary Claude Code wrote, else the first prompt.
_TITLES = """
SELECT s.id, coalesce((SELECT lsm_peek(text) FROM messages m WHERE m.session_id = s.id AND m.kind = 'summary'
                       ORDER BY m.ts DESC LIMIT 1), s.title)
FROM sessions s WHERE s.id IN (SELECT value FROM json_each(:ids))
"""


class Regrouped(NamedTuple):
    by_project: list[UsageShare]
    by_provider: list[UsageShare]
    most_active: list[ProjectActivity]


def regroup(usage: Rollup, found: dict[str, Facts], top: int) -> Regrouped:
    """Usage per project and per provider, and the most active projects."""
    projects: dict[str, Sums] = {}
    providers: dict[str, Sums] = {}
    project_sessions: dict[str, int] = {}
    provider_sessions: dict[str, int] = {}
    for sid, s in usage.sessions.items():
        f = found.get(sid)
        project, provider = (f.project or NONE, f.provider) if f else (NONE, NONE)
        if project in projects:
            add_sums(projects[project], s)
            project_sessions[project] += 1
        else:
            projects[project], project_sessions[project] = list(s), 1
        if provider in providers:
            add_sums(providers[provider], s)
            provider_sessions[provider] += 1
        else:
            providers[provider], provider_sessions[provider] = list(s), 1
    return Regrouped(
        ranked(projects, project_sessions, top), ranked(providers, provider_sessions, None),
        most_active(usage, found, top),
    )


def ranked(sums: dict[str, Sums], sessions: dict[str, int], top: int | None) -> list[UsageShare]:
    """Dearest first; past ``top`` (None: never) summed as one ``(other)`` row, so the rows add up."""
    order = sorted(sums, key=lambda k: (-sums[k][COST], -total_tokens(sums[k]), k))
    rows = [_share(k, sessions[k], sums[k]) for k in order[:top]]
    rest = order[top:] if top is not None else []
    if rest:
        other = [0, 0, 0, 0, 0, 0.0, 0]
        for k in rest:
            add_sums(other, sums[k])
        rows.append(_share(OTHER, sum(sessions[k] for k in rest), other))
    return rows


def top_sessions(conn: apsw.Connection, usage: Rollup, found: dict[str, Facts], top: int) -> list[SessionCost]:
    """The dearest sessions of the window, with the title ``list`` gives them."""
    spent = usage.sessions
    ids = heapq.nsmallest(top, spent, key=lambda sid: (-spent[sid][COST], -total_tokens(spent[sid]), sid))
    titles: dict[str, str | None] = dict(
        cast("list[tuple[str, str | None]]", conn.execute(_TITLES, {"ids": json.dumps(ids)}).fetchall())) if ids else {}
    out = []
    for sid in ids:
        f, s = found.get(sid), usage.sessions[sid]
        out.append(SessionCost(
            id=sid,
            provider=f.provider if f else NONE,
            project=f.project if f else None,
            title=titles.get(sid),
            model=f.model if f else None,
            started_at=iso(f.started_at) if f else None,
            last_activity=iso(f.last_activity) if f else None,
            total_tokens=total_tokens(s),
            cost_usd=known_cost(s[COST], s[UNPRICED]),
            cost_complete=not s[UNPRICED],
        ))
    return out


def most_active(usage: Rollup, found: dict[str, Facts], top: int) -> list[ProjectActivity]:
    """Projects by the days they were worked on, then sessions, then responses."""
    acc: dict[str, list] = {}  # project -> [sessions, days, responses, cost, last activity, unpriced]
    for f in found.values():
        a = acc.setdefault(f.project or NONE, [0, set(), 0, 0.0, None, 0])
        a[0] += 1
        a[1] |= usage.session_days.get(f.id, set())
        s = usage.sessions.get(f.id)
        if s:
            a[2] += s[RESPONSES]
            a[3] += s[COST]
            a[5] += s[UNPRICED]
        if f.last_activity is not None and (a[4] is None or f.last_activity > a[4]):
            a[4] = f.last_activity
    order = sorted(acc, key=lambda p: (-len(acc[p][1]), -acc[p][0], -acc[p][2], p))
    return [
        ProjectActivity(project=p, sessions=acc[p][0], active_days=len(acc[p][1]), responses=acc[p][2],
                        cost_usd=known_cost(acc[p][3], acc[p][5]), last_activity=iso(acc[p][4]),
                        cost_complete=not acc[p][5])
        for p in order[:top]
    ]


def _share(key: str, sessions: int, s: Sums) -> UsageShare:
    return UsageShare(key=key, sessions=sessions, **token_fields(s))
