"""A command's answer from the local store: the same services ``list``, ``usage``, ``recall``,
``show`` and ``limits`` answer the CLI with, drawn into the answer model.

Each runs in one of the engine's worker threads on that thread's connection
(``Engine.call(answer, command)``). Errors a user can cause (an unknown or
ambiguous session id, an empty query) come back as a ``refused`` answer with
the one-line message, never as a failure of the request.
"""

from __future__ import annotations

import datetime as dt
import time

import apsw

from ...core import when
from ...core.config import Config
from ...core.errors import LlmSessionError
from ...core.models import Session, UsageReport
from .. import limits as limits_service
from .. import sessions as sessions_service
from .. import usage as usage_service
from ..memory.recall import recall as recall_memories
from .answers import Answer, Fact, Item, Tone, dollars, tokens
from .commands import USAGE, Command

SESSIONS_SHOWN = 8
MEMORIES_SHOWN = 5
MEMORY_CHARS = 280  # a memory's text in a chat line; the rest is a `recall` away


def answer(conn: apsw.Connection, config: Config, command: Command, now: float | None = None) -> Answer:
    """What ``command`` answers from this store (every session in it: the local mode's scope)."""
    now = time.time() if now is None else now
    try:
        match command.name:
            case "sessions":
                return _sessions(conn, config, command.arg, now)
            case "usage":
                return _usage(conn, command.arg, now)
            case "recall":
                return _recall(conn, config, command.arg, now)
            case "health":
                return _health(conn, config, command.arg, now)
            case "limits":
                return _limits(conn, now)
            case "link":
                return Answer("No team server here", "This bot answers from one machine's store, which has no team "
                              "accounts to link: ask its owner to add your chat user id to the config "
                              "(chat.<platform>.allowed_users).", tone="refused")
            case _:
                return help_answer(command.problem)
    except LlmSessionError as e:
        return Answer("Cannot answer that", str(e), tone="refused")


def help_answer(problem: str = "") -> Answer:
    return Answer("llm-session commands", (f"{problem}.\n" if problem else "") + USAGE,
                  tone="refused" if problem else "info")


def _sessions(conn: apsw.Connection, config: Config, project: str, now: float) -> Answer:
    shown = sessions_service.list_sessions(conn, config, sessions_service.Filters(project=project or None),
                                           now=now, limit=SESSIONS_SHOWN)
    where = f" in {project}" if project else ""
    if not shown:
        return Answer(f"No sessions{where}", "Nothing in the store matches." if project else "The store is empty.")
    short = sessions_service.short_ids(conn, [s.id for s in shown])
    items = tuple(_session_item(s, short[s.id]) for s in shown)
    worst = min(shown, key=lambda s: s.health.score).health.status
    return Answer(f"Recent sessions{where}", f"The {len(shown)} most recently active.", items=items,
                  tone=_tone(worst))


def _session_item(s: Session, short: str) -> Item:
    facts = (Fact("Tokens", tokens(s.tokens.total)), Fact("Cost", dollars(s.cost_usd, s.cost_complete)),
             Fact("Context", f"{s.context.percent:.0f}%"),
             Fact("Health", f"{s.health.score:.0f} {s.health.status}"))
    text = f"{s.provider} · {s.project or 'no project'} · {short}" + (" · active" if s.active else "")
    return Item((s.title or "(untitled)")[:120], text, facts, ask=f"health {short}")


def _usage(conn: apsw.Connection, period: str, now: float) -> Answer:
    today = when.local_date(now, None)
    first = today if period == "today" else today - dt.timedelta(days=6)
    report = usage_service.report(conn, "day", since=first.isoformat(), until=today.isoformat())
    return usage_answer(report, period, first, today)


def usage_answer(report: UsageReport, period: str, first: dt.date, last: dt.date) -> Answer:
    """A usage report per day as an answer: the totals, and for a week each day (the team server's too)."""
    title = "Usage today" if period == "today" else "Usage, the last 7 days"
    items = () if period == "today" else tuple(
        Item(row.key, facts=(Fact("Tokens", tokens(row.total_tokens)),
                             Fact("Cost", dollars(row.cost_usd, row.cost_complete)))) for row in report.rows)
    return Answer(title, f"{first.isoformat()} to {last.isoformat()}, local time.", _totals(report), items)


def _totals(report: UsageReport) -> tuple[Fact, ...]:
    t = report.totals
    return (Fact("Total tokens", tokens(t.total_tokens)), Fact("Cost", dollars(t.cost_usd, t.cost_complete)),
            Fact("Input", tokens(t.input_tokens)), Fact("Output", tokens(t.output_tokens)),
            Fact("Cache write", tokens(t.cache_creation_tokens)), Fact("Cache read", tokens(t.cache_read_tokens)))


def _recall(conn: apsw.Connection, config: Config, query: str, now: float) -> Answer:
    found = recall_memories(conn, query, limit=MEMORIES_SHOWN, config=config, now=now)
    if not found:
        return Answer(f"Nothing remembered about “{query}”")
    items = tuple(Item(m.text[:MEMORY_CHARS] + ("…" if len(m.text) > MEMORY_CHARS else ""), facts=(
        Fact("Score", f"{m.score or 0:.2f}"), Fact("Project", m.project or "–"), Fact("Id", m.id[:8])))
        for m in found)
    return Answer(f"Memories for “{query}”", items=items)


def _health(conn: apsw.Connection, config: Config, ref: str, now: float) -> Answer:
    s = sessions_service.get_session(conn, config, ref, now=now)
    parts = tuple(Fact(name.replace("_", " ").capitalize(), f"{value:.0f}")
                  for name, value in s.health.components.items())
    facts = (Fact("Health", f"{s.health.score:.0f} ({s.health.status})"),
             Fact("Context", f"{tokens(s.context.used)} of {tokens(s.context.limit)} ({s.context.percent:.0f}%)"),
             Fact("Tokens", tokens(s.tokens.total)), Fact("Cost", dollars(s.cost_usd, s.cost_complete)),
             Fact("Last activity", s.last_activity or "–"), *parts)
    text = f"{s.provider} · {s.project or 'no project'} · {s.model or 'model unknown'}"
    return Answer(s.title or s.id, text, facts, tone=_tone(s.health.status))


def _limits(conn: apsw.Connection, now: float) -> Answer:
    shown = limits_service.report(conn, now)
    if not shown.assistants:
        return Answer("No plan limits known", "No assistant with a plan meter has usage in the store.")
    items = []
    worst = 0.0
    for a in shown.assistants:
        facts = []
        for w in a.windows:
            label = "5-hour" if w.window == "five_hour" else "Weekly"
            used = "unknown" if w.used_percent is None else f"{w.used_percent:.0f}%"
            worst = max(worst, w.used_percent or 0.0)
            resets = "" if w.resets_in_seconds is None else f", resets in {_duration(w.resets_in_seconds)}"
            facts.append(Fact(label, f"{used} used ({tokens(w.tokens)} tokens){resets}"))
        items.append(Item(a.provider, a.weekly_pacing.basis if a.weekly_pacing.runs_out_before_reset else "",
                          tuple(facts)))
    tone: Tone = "critical" if worst >= 95 else "warning" if worst >= 80 else "info"
    return Answer("Plan limits", "Used percentages are the assistants' own meters.", items=tuple(items), tone=tone)


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours // 24}d {hours % 24}h" if hours >= 24 else f"{hours}h {rest // 60:02d}m"


_TONES: dict[str, Tone] = {"healthy": "good", "warning": "warning", "critical": "critical"}


def _tone(status: str) -> Tone:
    return _TONES.get(status, "info")
