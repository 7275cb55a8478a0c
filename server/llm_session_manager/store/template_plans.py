"""Sessions a template planned, and the real sessions that adopt them.

``create-from-template`` cannot tag sessions that do not exist yet: an
assistant writes its log only once it runs. So it stores a plan per session
(``template_plans``, migration 022), and every scan that stored something asks
``adopt`` whether a new session fits an open plan: the same assistant, started
in the planned directory no earlier than ``EARLY_S`` before the plan was made
and no later than ``OPEN_S`` after. The session then gets the plan's tags and
the plan is closed. Plans are matched oldest first and each session adopts at
most one plan, so a template with two Claude Code sessions in one directory
tags the first two Claude Code sessions started there.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

import apsw
import msgspec

from .connection import write_transaction

EARLY_S = 60.0  # a session started just before its plan (the user ran the command first)
OPEN_S = 24 * 3600.0  # a plan nobody adopted within a day is stale


class Plan(msgspec.Struct):
    """One session a template planned; ``session_id`` is set once a session adopted it."""

    id: int
    template: str
    position: int
    provider: str
    role: str | None
    model: str | None
    command: str
    cwd: str
    tags: list[str]
    created_at: float
    session_id: str | None = None


def add(conn: apsw.Connection, plans: list[Plan]) -> list[Plan]:
    """Store ``plans`` (their ``id`` is ignored) and return them with their ids."""
    out = []
    with write_transaction(conn):
        for p in plans:
            conn.execute(
                "INSERT INTO template_plans (template, position, provider, role, model, command, cwd, tags,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (p.template, p.position, p.provider, p.role, p.model, p.command, p.cwd, msgspec.json.encode(p.tags).decode(),
                 p.created_at),
            )
            out.append(msgspec.structs.replace(p, id=conn.last_insert_rowid()))
    return out


def of_template(conn: apsw.Connection, template: str) -> list[Plan]:
    """Every plan of ``template``, oldest first."""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM template_plans WHERE template = ? ORDER BY created_at, position",
                        (template,))
    return [_plan(r) for r in rows]


def adopt(conn: apsw.Connection, session_ids: Iterable[str], *, now: float | None = None) -> list[Plan]:
    """Let the sessions among ``session_ids`` that fit an open plan adopt it; the plans adopted.

    Cheap when nothing is planned: one indexed look at the open plans.
    """
    now = time.time() if now is None else now
    open_plans = [_plan(r) for r in conn.execute(
        f"SELECT {_COLUMNS} FROM template_plans WHERE session_id IS NULL AND created_at >= ?"
        " ORDER BY created_at, position", (now - OPEN_S,))]
    ids = list(session_ids)
    if not open_plans or not ids:
        return []
    marks = ",".join("?" * len(ids))
    candidates: list[tuple[str, str, str | None, float | None]] = [
        (str(sid), str(provider), cwd if isinstance(cwd, str) else None,
         float(started) if isinstance(started, int | float) else None)
        for sid, provider, cwd, started in conn.execute(
            f"SELECT id, provider, cwd, started_at FROM sessions WHERE id IN ({marks})"
            " AND id NOT IN (SELECT session_id FROM template_plans WHERE session_id IS NOT NULL)"
            " ORDER BY started_at", ids)]
    adopted = []
    taken: set[str] = set()
    with write_transaction(conn):
        for plan in open_plans:
            for sid, provider, cwd, started in candidates:
                if sid in taken or provider != plan.provider or not cwd or started is None:
                    continue
                if _real(cwd) != plan.cwd or not plan.created_at - EARLY_S <= started <= plan.created_at + OPEN_S:
                    continue
                taken.add(sid)
                conn.execute("UPDATE template_plans SET session_id = ? WHERE id = ?", (sid, plan.id))
                conn.executemany("INSERT OR IGNORE INTO tags (session_id, tag) VALUES (?, ?)",
                                 [(sid, t) for t in plan.tags])
                adopted.append(msgspec.structs.replace(plan, session_id=sid))
                break
    return adopted


_COLUMNS = "id, template, position, provider, role, model, command, cwd, tags, created_at, session_id"


def _plan(row: tuple) -> Plan:
    pid, template, position, provider, role, model, command, cwd, tags, created_at, session_id = row
    return Plan(pid, template, position, provider, role, model, command, cwd, msgspec.json.decode(tags, type=list[str]), created_at,
                session_id)


def _real(path: str) -> str:
    """A logged working directory as plans store theirs: absolute, links resolved."""
    return os.path.realpath(os.path.expanduser(path))
