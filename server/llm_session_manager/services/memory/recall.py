"""Memories out: hybrid recall by words (FTS5 BM25) and meaning (vectors), reranked.

The best ``LIST_DEPTH`` of each ranking are the candidates; ``rerank`` scores them
again (their ranks in both lists, their cosine, a word-piece alignment with the
query, whether they are themselves a question) and picks the answer by maximal
marginal relevance. The score is then multiplied by a small recency prior, from
1.0 for a memory made now down to 1 - RECENCY_WEIGHT for old ones (halving the gap
every RECENCY_HALF_LIFE_DAYS): among equally relevant memories the newer wins, but
it cannot lift an irrelevant one over a relevant one. bench/recall_eval.py measures
the quality, docs/memory.md has the numbers.

Both rankings come from indexes this process holds in memory from its second
recall of a store on, and from SQLite (FTS5, vec0) before: the same results
either way (``resident`` says why and how).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import apsw
import numpy as np

from ...core import args
from ...core.errors import BadInput
from ...core.stopwords import STOPWORDS
from . import pieces, rerank, resident, resident_words, store, vectors
from .records import Recalled, recalled
from .remember import resolve_embedder

if TYPE_CHECKING:
    from ...core.config import Config
    from ...core.embed import Embedder

LIST_DEPTH = 100  # how many of each ranking the reranker scores
RECENCY_WEIGHT = 0.1
RECENCY_HALF_LIFE_DAYS = 30.0
MAX_QUERY_TERMS = 12

log = logging.getLogger("llm_session_manager.memory")

_WORD = re.compile(r"\w+")


def recall(
    conn: apsw.Connection,
    query: str,
    *,
    limit: int = 5,
    project: str | None = None,
    tags: Sequence[str] = (),
    since: float | None = None,
    embedder: Embedder | None = None,
    config: Config | None = None,
    now: float | None = None,
) -> list[Recalled]:
    """The ``limit`` memories that best match ``query``, best first, with their score and
    their size in tokens.

    The embedder: ``embedder``, else the one ``config`` names, else the bundled model.
    """
    if not query or not query.strip():
        raise BadInput("recall needs a query")
    args.check(limit, args.RecallLimit, "limit")
    project = (project or "").strip() or None
    tags = store.clean_tags(tags)
    held = resident.worth_holding(conn)
    found = candidates(conn, query, project=project, tags=tags, since=since,
                       embedder=resolve_embedder(embedder, config), held=held)
    if not found:
        return []
    now = time.time() if now is None else now
    rids = [c.rid for c in found]
    created = resident_words.created(conn, rids) if held else _created(conn, rids)
    recency = np.array([_recency(now - created.get(rid, now)) for rid in rids])
    scored = [(score, rids[i]) for i, score in rerank.order(
        query_words(query), found, recency, limit, pieces_of=lambda chosen: pieces.of(conn, chosen))]
    rows = store.by_rids(conn, [rid for _, rid in scored])
    sizes = pieces.counts(conn, [rid for _, rid in scored])
    out = []
    for score, rid in scored:
        memory = rows.get(rid)
        if memory is not None:
            memory.score = round(min(max(score, 1e-4), 1.0), 4)
            out.append(recalled(memory, sizes.get(rid)))
    return out


def candidates(
    conn: apsw.Connection,
    query: str,
    *,
    project: str | None,
    tags: Sequence[str],
    since: float | None,
    embedder: Embedder,
    held: bool,
) -> list[rerank.Candidate]:
    """The best ``LIST_DEPTH`` of each ranking (words, meaning), each memory once, with its
    ranks, its cosine and its text: what the reranker scores."""
    by_words = _by_words(conn, query, project, tags, since, held=held)[:LIST_DEPTH]
    by_meaning = (_by_meaning(conn, query, project, tags, since, embedder, held=held) or [])[:LIST_DEPTH]
    words_rank = {rid: rank for rank, rid in enumerate(by_words, start=1)}
    meaning = {rid: (rank, cosine) for rank, (rid, cosine) in enumerate(by_meaning, start=1)}
    rids = list(dict.fromkeys([*by_words, *(rid for rid, _ in by_meaning)]))
    if not rids:
        return []
    marks = ",".join("?" * len(rids))
    texts = dict(conn.execute(f"SELECT rid, text FROM memories WHERE rid IN ({marks})", rids))
    return [rerank.Candidate(rid, texts[rid], words_rank.get(rid), *meaning.get(rid, (None, None)))
            for rid in rids if rid in texts]


def query_words(query: str) -> list[str]:
    """The words recall searches for: lower-cased, each once, stopwords dropped
    (unless nothing else is left), at most ``MAX_QUERY_TERMS``."""
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(query)))
    return ([w for w in words if w not in STOPWORDS] or words)[:MAX_QUERY_TERMS]


def match_expression(query: str) -> str | None:
    """An FTS5 query any text is safe in: its words, each quoted, joined by OR."""
    return " OR ".join(f'"{w}"' for w in query_words(query)) or None


def _filters(project: str | None, tags: Sequence[str], since: float | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if project is not None:
        clauses.append("m.project = ?")
        params.append(project)
    for tag in tags:
        clauses.append("EXISTS (SELECT 1 FROM json_each(m.tags) WHERE value = ?)")
        params.append(tag)
    if since is not None:
        clauses.append("m.created_at >= ?")
        params.append(since)
    return "".join(f" AND {c}" for c in clauses), params


def _by_words(
    conn: apsw.Connection, query: str, project: str | None, tags: Sequence[str], since: float | None, *, held: bool
) -> list[int]:
    """Rids by FTS5's BM25 rank of the query's words, best first."""
    if held:
        return resident_words.ranked(conn, query_words(query), depth=LIST_DEPTH, project=project, tags=tags,
                                     since=since)
    expression = match_expression(query)
    if expression is None:
        return []
    where, params = _filters(project, tags, since)
    if where:
        sql = (
            "SELECT f.rowid FROM memories_fts f JOIN memories m ON m.rid = f.rowid "
            f"WHERE memories_fts MATCH ?{where} ORDER BY f.rank LIMIT ?"
        )
    else:  # FTS5 alone can stop ranking early
        sql = "SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? ORDER BY rank LIMIT ?"
    return [r[0] for r in conn.execute(sql, [expression, *params, LIST_DEPTH])]


def _by_meaning(
    conn: apsw.Connection, query: str, project: str | None, tags: Sequence[str], since: float | None,
    embedder: Any, *, held: bool,
) -> list[tuple[int, float]] | None:
    """(rid, cosine) by cosine to the query, best first, or None when vectors cannot be used
    (with a warning)."""
    try:
        usable = vectors.sync(conn, embedder)
    except apsw.BusyError:
        usable = False
        log.warning("warning: the store is busy; searching by words only")
    if not usable:
        return None
    embedded = vectors.embed(embedder, [query])
    if embedded is None:
        return None
    candidates = vectors.FILTERED_CANDIDATES if (tags or since is not None) else vectors.CANDIDATES
    hits = vectors.search(conn, embedded[0], project=project, candidates=candidates, held=held)
    if not hits or not (tags or since is not None):
        return hits
    where, params = _filters(None, tags, since)
    marks = ",".join("?" * len(hits))
    allowed = {r[0] for r in conn.execute(
        f"SELECT m.rid FROM memories m WHERE m.rid IN ({marks}){where}", [rid for rid, _ in hits] + params)}
    return [(rid, cosine) for rid, cosine in hits if rid in allowed]


def _created(conn: apsw.Connection, rids: list[int]) -> dict[int, float]:
    marks = ",".join("?" * len(rids))
    return dict(conn.execute(f"SELECT rid, created_at FROM memories WHERE rid IN ({marks})", rids))


def _recency(age_seconds: float) -> float:
    days = max(0.0, age_seconds) / 86400.0
    return 1.0 - RECENCY_WEIGHT + RECENCY_WEIGHT * 0.5 ** (days / RECENCY_HALF_LIFE_DAYS)
