"""Each memory's word pieces in the bundled static model, stored when it is written.

Recall's reranker aligns the query with its best candidates word piece by word piece
(``rerank``). Tokenizing those candidates' texts at every recall was most of the
rerank's cost at 100k memories, where few texts repeat between queries; a memory's
pieces never change, so they are worked out once, in the transaction that stores it,
and kept in ``memory_pieces`` (migration 035) as little-endian uint16 vocabulary ids
(the vocabulary has 29,525 entries), all of its text: their number is also what
recall reports the memory costs in tokens. A memory stored before that migration, or
while the bundled model could not be read, has no row: its text is tokenized at recall.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import apsw
import numpy as np

from ...core.embed import EmbedderError
from . import rerank

_DTYPE = np.dtype("<u2")


def encode(text: str) -> bytes | None:
    """``text``'s pieces as stored, or None when the bundled model cannot be read."""
    try:
        ids = rerank.pieces().all_token_ids(text)
    except EmbedderError:
        return None
    return np.asarray(ids, _DTYPE).tobytes()


def store(conn: apsw.Connection, rows: Sequence[tuple[int, str]]) -> None:
    """Keep the pieces of (rid, text) ``rows`` (inside the caller's transaction)."""
    encoded = [(rid, blob) for rid, text in rows if (blob := encode(text)) is not None]
    conn.executemany("INSERT OR REPLACE INTO memory_pieces (rid, pieces) VALUES (?, ?)", encoded)


def forget(conn: apsw.Connection, rids: Sequence[int]) -> None:
    """Drop the pieces of deleted memories (inside the caller's transaction)."""
    conn.executemany("DELETE FROM memory_pieces WHERE rid = ?", [(rid,) for rid in rids])


def of(conn: apsw.Connection, candidates: Sequence[rerank.Candidate]) -> list[np.ndarray]:
    """The pieces of each candidate, stored or else tokenized now."""
    if not candidates:
        return []
    marks = ",".join("?" * len(candidates))
    stored = dict(conn.execute(f"SELECT rid, pieces FROM memory_pieces WHERE rid IN ({marks})",
                               [c.rid for c in candidates]))
    cut = rerank.pieces().max_tokens  # as the model embeds a text
    return [np.frombuffer(stored[c.rid], _DTYPE)[:cut] if c.rid in stored else _tokenized(c.text)
            for c in candidates]


def counts(conn: apsw.Connection, rids: Sequence[int]) -> dict[int, int]:
    """How many word pieces the stored memories ``rids`` have (those stored before
    migration 035 are left out)."""
    if not rids:
        return {}
    marks = ",".join("?" * len(rids))
    return dict(conn.execute(f"SELECT rid, length(pieces) / 2 FROM memory_pieces WHERE rid IN ({marks})", rids))


@functools.lru_cache(maxsize=4096)
def _tokenized(text: str) -> np.ndarray:
    return np.asarray(rerank.token_ids(text), np.int64)
