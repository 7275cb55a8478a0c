"""Searching the team's memory pool within what the caller may read.

The caller reads their own memories of every scope, the ``project`` memories of
projects one of their devices pushed sessions of, and every ``team`` memory;
never another user's ``personal`` ones. With a query vector (the client embeds
the query with its own model, named by ``embedder``: only vectors of that model
are compared), pgvector orders by cosine distance where the server has it; where
it does not (or ``LLM_SESSION_TEAM_EXACT_SEARCH=1`` says not to use it) the
candidates' vectors are read and the exact cosine computed here, which is what
pgvector's exact scan computes: a team's few thousand memories take
milliseconds. Without a vector, memories holding the query's words come first.
"""

from __future__ import annotations

import base64
import os
import re
from typing import TYPE_CHECKING

import numpy as np

from ..core.errors import BadArgument
from ..core.team_share_wire import MemorySearch, TeamMemory
from .auth import Caller

if TYPE_CHECKING:
    import psycopg

EXACT_ENV = "LLM_SESSION_TEAM_EXACT_SEARCH"
MAX_LIMIT = 100
_COLUMNS = "m.id, m.text, m.scope, m.project, m.session_id, m.tags, m.created_at, u.name, d.name"
_READABLE = """
FROM memories m JOIN devices d ON d.id = m.device_id JOIN users u ON u.id = d.user_id
WHERE (d.user_id = %(me)s OR m.scope = 'team'
       OR (m.scope = 'project' AND m.project IN (
           SELECT s.project FROM sessions s JOIN devices md ON md.id = s.device_id
           WHERE md.user_id = %(me)s AND s.project IS NOT NULL)))
  AND (%(project)s::text IS NULL OR m.project = %(project)s OR m.scope = 'team')
"""


def decode_vector(text: str) -> np.ndarray:
    """A query vector as the client sends it: base64 of little-endian float32s."""
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError as e:
        raise BadArgument("vector", "must be base64 of float32 values") from e
    if not raw or len(raw) % 4:
        raise BadArgument("vector", "must be base64 of float32 values")
    return np.frombuffer(raw, dtype="<f4")


def encode_vector(vector: np.ndarray) -> str:
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode()


def search(conn: psycopg.Connection, who: Caller, query: str, *, limit: int = 5, vector: np.ndarray | None = None,
           embedder: str | None = None, project: str | None = None) -> MemorySearch:
    """The ``limit`` memories ``who`` may read nearest ``vector`` (else holding ``query``'s words)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise BadArgument("limit", f"must be from 1 to {MAX_LIMIT}, got {limit}")
    params: dict[str, object] = {"me": who.user_id, "project": project, "limit": limit}
    if vector is None or not embedder:
        return _by_words(conn, query, params)
    params["embedder"] = embedder
    if has_pgvector(conn):
        params["vector"] = "[" + ",".join(repr(float(x)) for x in vector) + "]"
        rows = conn.execute(
            f"SELECT {_COLUMNS}, 1 - (m.embedding_vec <=> %(vector)s::vector) {_READABLE} "
            "AND m.embedder = %(embedder)s AND array_length(m.embedding, 1) = %(dim)s "
            "ORDER BY m.embedding_vec <=> %(vector)s::vector, m.created_at DESC, m.id LIMIT %(limit)s".encode(),
            {**params, "dim": len(vector)}).fetchall()
        return MemorySearch([_memory(r[:-1], float(r[-1])) for r in rows], "pgvector")
    rows = conn.execute(f"SELECT {_COLUMNS}, m.embedding {_READABLE} AND m.embedder = %(embedder)s".encode(),
                        params).fetchall()
    rows = [r for r in rows if len(r[-1]) == len(vector)]
    if not rows:
        return MemorySearch([], "exact")
    matrix = np.asarray([r[-1] for r in rows], dtype=np.float64)
    q = np.asarray(vector, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(q) or 1.0)
    scores = matrix @ q / np.where(norms == 0, 1.0, norms)
    order = sorted(range(len(rows)), key=lambda i: (-scores[i], -rows[i][6], rows[i][0]))[:limit]
    return MemorySearch([_memory(rows[i][:-1], float(scores[i])) for i in order], "exact")


def has_pgvector(conn: psycopg.Connection) -> bool:
    """Whether searches go through pgvector: the column exists and no one asked for the exact fallback."""
    if os.environ.get(EXACT_ENV, "").strip() not in ("", "0"):
        return False
    row = conn.execute("SELECT 1 FROM information_schema.columns WHERE table_name = 'memories' "
                       "AND column_name = 'embedding_vec' AND table_schema = current_schema()").fetchone()
    return row is not None


def _by_words(conn: psycopg.Connection, query: str, params: dict[str, object]) -> MemorySearch:
    words = [w for w in re.findall(r"\w+", query.lower()) if len(w) > 1][:16]
    if not words:
        return MemorySearch([], "words")
    hits = " + ".join(f"(position(%(w{i})s IN lower(m.text)) > 0)::int" for i in range(len(words)))
    params.update({f"w{i}": w for i, w in enumerate(words)})
    rows = conn.execute(f"SELECT {_COLUMNS}, ({hits})::float8 / {len(words)} AS score {_READABLE} "
                        f"AND ({hits}) > 0 ORDER BY score DESC, m.created_at DESC, m.id LIMIT %(limit)s".encode(),
                        params).fetchall()
    return MemorySearch([_memory(r[:-1], float(r[-1])) for r in rows], "words")


def _memory(row: tuple, score: float) -> TeamMemory:
    i, text, scope, project, session_id, tags, created, user, device = row
    return TeamMemory(i, text, round(score, 6), scope, project, session_id, list(tags), created, user, device)
