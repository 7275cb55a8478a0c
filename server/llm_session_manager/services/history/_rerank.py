"""The best BM25 candidates re-ordered by meaning too, with vectors made at query time.

Embedding every message at ingest would cost a vector per message (a million
messages: 1 GB of float32 at 256 dimensions, and minutes of CPU per scan of a
big history) for a ranking that words already do well. Instead the ``RERANK``
best candidates by BM25 are embedded when asked, with the bundled static model
(never an HTTP embedder the memory config may name: a search must not wait on
a network), their first ``EMBED_TOKENS`` word pieces each: about 5 ms for 40
messages. The two orders are fused as recall fuses its lists (reciprocal rank,
``RRF_K``), so a message both rankings like comes first; the rest keep their
BM25 order below them. Scores are scaled so that first in both is 1.0.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

RERANK = 40
EMBED_TOKENS = 128
RRF_K = 60


def fuse(query: str, ranked: list[int], text_of: Callable[[list[int]], dict[int, str]]) -> list[tuple[int, float]]:
    """``ranked`` (rowids, best BM25 first) re-ordered by BM25 and meaning, each with its score in (0, 1]."""
    head, tail = ranked[:RERANK], ranked[RERANK:]
    if not head:
        return []
    texts = text_of(head)
    vectors = _embedder().embed([query] + [texts.get(r, "") for r in head])
    cosine = dict(zip(head, (vectors[1:] @ vectors[0]).tolist(), strict=True))
    by_meaning = {rowid: rank for rank, rowid in enumerate(sorted(head, key=lambda r: -cosine[r]), 1)}
    best = 2.0 / (RRF_K + 1)
    fused = sorted(((1 / (RRF_K + rank) + 1 / (RRF_K + by_meaning[rowid])) / best, rowid)
                   for rank, rowid in enumerate(head, 1))
    fused.reverse()
    floor = fused[-1][0]
    out = [(rowid, round(score, 4)) for score, rowid in fused]
    # below the fused head, in BM25 order, each a little under the last
    out += [(rowid, round(floor * RERANK / (RERANK + i + 1), 4)) for i, rowid in enumerate(tail)]
    return out


@functools.cache
def _embedder():
    from ...core.embed import StaticEmbedder

    return StaticEmbedder(max_tokens=EMBED_TOKENS)
