"""A session asking again what another session already found: ``recommend``'s ``repeat`` rule.

For each session at work now (active within ``idle_minutes``), its latest
prompts are the query: memory recall (words and meaning, services/memory)
finds the memories that answer it, and those learned in *another* session
whose text is at least ``repeat_similarity`` alike to the prompts (cosine, the
memory embedder's) are what to recall instead of working it out again.

Recall loads the embedder, so this runs only when there is something to find:
a session at work and a memory learned in another session.
"""

from __future__ import annotations

import time
from datetime import datetime

import apsw

from ..core.config import Config
from ..core.models import RecalledMemory, Recommendation, Session, short_id

RECENT_PROMPTS = 3
QUERY_CHARS = 1000
CANDIDATES = 5
EXCERPT_CHARS = 200


def repeats(conn: apsw.Connection, sessions: list[Session], config: Config, *,
            now: float | None = None) -> list[Recommendation]:
    """A ``repeat`` recommendation per working session whose prompts another session's memory answers."""
    now = time.time() if now is None else now
    idle_s = config.recommendations.idle_minutes * 60
    working = [s for s in sessions if s.last_activity and now - datetime.fromisoformat(s.last_activity).timestamp()
               <= idle_s]
    if not working or conn.execute("SELECT 1 FROM memories WHERE session_id IS NOT NULL LIMIT 1").fetchone() is None:
        return []
    from .memory import recall
    from .memory.recall import query_words
    from .memory.remember import resolve_embedder

    embedder = resolve_embedder(None, config)
    out = []
    for s in working:
        query = _recent_prompts(conn, s.id)
        if not query:
            continue
        found = [m for m in recall(conn, query, limit=CANDIDATES, embedder=embedder, now=now)
                 if m.session_id and m.session_id != s.id]
        if not found:
            continue
        vectors = embedder.embed([query, *(m.text for m in found)])
        alike = sorted(((float(vectors[0] @ vectors[i + 1]), m) for i, m in enumerate(found)),
                       key=lambda pair: -pair[0])
        close = [(cos, m) for cos, m in alike if cos >= config.recommendations.repeat_similarity]
        if not close:
            continue
        best_cos, best = close[0]
        origin = short_id(best.session_id) if best.session_id else "another session"
        out.append(Recommendation(
            s.id, "repeat", "info",
            f"repeats what session {origin} already found: \"{_excerpt(best.text, 80)}\" "
            f"(similarity {best_cos:.2f})",
            f"recall it instead of working it out again (llm-session recall '{' '.join(query_words(query)[:6])}' "
            f"--import-to {short_id(s.id)})",
            similarity=round(best_cos, 3),
            memories=[RecalledMemory(m.id, _excerpt(m.text, EXCERPT_CHARS), m.session_id, round(cos, 3))
                      for cos, m in close],
        ))
    return out


def _recent_prompts(conn: apsw.Connection, session_id: str) -> str:
    rows = conn.execute(
        "SELECT lsm_open(text) FROM messages WHERE session_id = ? AND role = 'user' AND kind = 'prompt'"
        " ORDER BY ts DESC LIMIT ?", (session_id, RECENT_PROMPTS)).fetchall()
    return "\n".join(text for (text,) in reversed(rows))[-QUERY_CHARS:].strip()


def _excerpt(text: str, chars: int) -> str:
    one_line = " ".join(text.split()).replace('"', "'")
    return one_line if len(one_line) <= chars else one_line[: chars - 1].rstrip() + "…"
