"""The vector side of memory: SimHash prefilter in ``memories_vec``, exact rescoring.

sqlite-vec's ``vec0`` is a brute-force index, and its top-k selection costs
O(rows x k), so the cheapest useful scan is over short codes with a small k.
Each embedding is stored twice in one ``memories_vec`` row: as ``bits``, the
signs of its projections on 1024 fixed random directions (a SimHash; the
Hamming distance between two codes estimates the angle between the vectors),
and as ``vector``, the float32 embedding. A query finds the ``CANDIDATES`` nearest
codes by Hamming distance (in the copy of the codes this process holds,
``resident_codes``, or by vec0's scan on a process's first recall) and
ranks those by exact cosine. docs/memory.md has the measurements behind the numbers.

The codes depend on the embedder's vector space, so ``meta`` records which space
(embedder name, dimension, code scheme) the table holds; a different one empties
it and re-embeds every memory once (:func:`sync`).
"""

from __future__ import annotations

import functools
import logging
from typing import Any, cast

import apsw
import numpy as np

from ...store import write_transaction
from . import resident_codes

BITS = 1024
SEED = 0x5EED_2026
CANDIDATES = 100  # Hamming neighbours rescored exactly (and reranked by recall)
FILTERED_CANDIDATES = 256  # when tags or a date also filter: many candidates will drop out
_SPACE_KEY = "memory_vector_space"
_BATCH = 1000

log = logging.getLogger("llm_session_manager.memory")


def space(embedder: Any) -> str:
    return f"{embedder.name}|{embedder.dim}|simhash{BITS}:{SEED:x}"


@functools.lru_cache(maxsize=4)
def _planes(dim: int) -> np.ndarray:
    return np.random.default_rng(SEED).standard_normal((dim, BITS), dtype=np.float32)


def codes(vectors: np.ndarray) -> np.ndarray:
    """The SimHash codes of rows of ``vectors``: (n, BITS / 8) uint8."""
    return np.packbits(vectors @ _planes(vectors.shape[1]) > 0, axis=1)


def partition(project: str | None) -> str:
    return project or ""


def insert(conn: apsw.Connection, rid: int, project: str | None, vector: np.ndarray, code: np.ndarray) -> None:
    """Index one memory's vector (inside the caller's transaction). Zero vectors
    (nothing to embed) are left to full-text search: their cosine is undefined."""
    if not vector.any():
        return
    conn.execute(
        "INSERT INTO memories_vec (rowid, project, bits, vector) VALUES (?, ?, vec_bit(?), ?)",
        (rid, partition(project), code.tobytes(), vector.astype(np.float32).tobytes()),
    )


def embed(embedder: Any, texts: list[str]) -> np.ndarray | None:
    """Vectors for ``texts``, or None (with a one-line warning) if the embedder fails."""
    try:
        out = np.asarray(embedder.embed(texts), dtype=np.float32)
    except Exception as e:  # noqa: BLE001 - memory keeps working on words alone
        log.warning("warning: cannot embed with %s (%s); memories are searched by words only",
                    getattr(embedder, "name", "the embedder"), _one_line(e))
        return None
    if out.shape[0] != len(texts) or out.ndim != 2:
        log.warning("warning: %s returned %s vectors for %d texts; searching by words only",
                    embedder.name, out.shape, len(texts))
        return None
    return out


def sync(conn: apsw.Connection, embedder: Any) -> bool:
    """Bring ``memories_vec`` up to date with ``embedder``; False if it cannot be used.

    A different vector space than the table holds empties it first; then every
    memory not yet embedded (stored while the embedder failed, or just reset) is
    embedded, a batch per transaction, so a killed sync resumes where it stopped.
    """
    try:
        want = space(embedder)
    except Exception as e:  # noqa: BLE001 - e.g. an HTTP embedder asked for its dim
        log.warning("warning: embedder unavailable (%s); searching by words only", _one_line(e))
        return False
    have = conn.execute("SELECT value FROM meta WHERE key = ?", (_SPACE_KEY,)).fetchone()
    if have is None or have[0] != want:
        # Never throw away the vectors we have for an embedder that does not work.
        if embed(embedder, ["probe"]) is None:
            return False
        with write_transaction(conn):
            have = conn.execute("SELECT value FROM meta WHERE key = ?", (_SPACE_KEY,)).fetchone()
            if have is None or have[0] != want:
                if have is not None:
                    log.warning("warning: the embedder changed (%s); re-embedding all memories once",
                                want.split("|")[0])
                conn.execute("DELETE FROM memories_vec")
                conn.execute("UPDATE memories SET embedded = 0 WHERE embedded != 0")
                conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_SPACE_KEY, want))
    while True:
        rows = cast("list[tuple[int, str | None, str]]", conn.execute(
            "SELECT rid, project, text FROM memories WHERE embedded = 0 ORDER BY rid LIMIT ?", (_BATCH,)
        ).fetchall())
        if not rows:
            return True
        vectors = embed(embedder, [r[2] for r in rows])
        if vectors is None:
            return False
        bits = codes(vectors)
        with write_transaction(conn):
            for (rid, project, _), vector, code in zip(rows, vectors, bits):
                # Another process may have embedded it meanwhile: claim it first.
                conn.execute("UPDATE memories SET embedded = 1 WHERE rid = ? AND embedded = 0", (rid,))
                if conn.changes():
                    conn.execute("DELETE FROM memories_vec WHERE rowid = ?", (rid,))
                    insert(conn, rid, project, vector, code)


def search(
    conn: apsw.Connection, query: np.ndarray, *, project: str | None, candidates: int, held: bool
) -> list[tuple[int, float]]:
    """(rid, cosine) of the nearest memories to ``query``, best first.

    The ``candidates`` Hamming-nearest codes come from the codes this process
    holds (``held``) or from vec0's scan; their float vectors are ranked by
    exact cosine.
    """
    if not query.any():
        return []
    code = codes(query[None, :])[0].tobytes()
    where = None if project is None else partition(project)
    if held:
        rids = resident_codes.nearest(conn, code, where, candidates)
    else:
        rids = _scan(conn, code, where, candidates)
    found = [(rid, v) for rid, v in stored(conn, rids) if v is not None and len(v) == query.nbytes]
    if not found:
        return []
    matrix = np.frombuffer(b"".join(v for _, v in found), dtype=np.float32).reshape(len(found), -1)
    cosines = matrix @ query
    order = np.argsort(-cosines, kind="stable")
    return [(found[i][0], float(cosines[i])) for i in order]


def stored(conn: apsw.Connection, rids: list[int]) -> list[tuple[int, bytes | None]]:
    """(rid, float32 vector) of ``rids``, in any order.

    vec0 keeps an auxiliary column in a plain rowid table of its own,
    ``memories_vec_auxiliary (rowid, value00)`` (sqlite-vec's ARCHITECTURE.md):
    one ``IN`` query there reads 64 vectors in 0.03 ms, where 64 vec0 point
    queries take 0.5-0.9 ms (vec0 answers ``rowid IN (...)`` by a full scan).
    A sqlite-vec that lays its tables out otherwise gets the point queries.
    """
    if not rids:
        return []
    try:
        marks = ",".join("?" * len(rids))
        return cast("list[tuple[int, bytes | None]]", conn.execute(
            f"SELECT rowid, value00 FROM memories_vec_auxiliary WHERE rowid IN ({marks})", rids).fetchall())
    except apsw.SQLError:
        return list(conn.executemany("SELECT rowid, vector FROM memories_vec WHERE rowid = ?", [(r,) for r in rids]))


def _scan(conn: apsw.Connection, code: bytes, where: str | None, k: int) -> list[int]:
    """The rids of the ``k`` codes nearest ``code``, by vec0's scan of the table (or of one project's partition)."""
    sql, params = "SELECT rowid FROM memories_vec WHERE bits MATCH vec_bit(?) AND k = ?", [code, k]
    if where is not None:
        sql += " AND project = ?"
        params.append(where)
    return [r[0] for r in conn.execute(sql + " ORDER BY distance", params)]


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or e.__class__.__name__
