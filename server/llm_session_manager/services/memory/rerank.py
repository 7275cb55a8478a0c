"""Recall's second stage: the candidates of both rankings, scored again on what they say.

Reciprocal rank fusion only sees ranks. A memory that says the same thing as the
query in other words ("DB pool" for "database connection pool") is often in one
list only, low down, while turns that repeat the query's words without answering
it fill the top of the word list. So the union of both lists' candidates (up to
200) is scored again by a weighted sum (``WEIGHTS``, chosen on the tuning split of
bench/recall_eval.py and reported on its held-out split):

* ``words``, ``meaning``: each list's reciprocal rank 1 / (RRF_K + rank), as in RRF;
* ``cosine``: the memory's cosine to the query (the vector half's own measure);
* ``asks``: the memory is itself a question, which rarely answers one;
* ``match``, for the best ``DEPTH`` by the others: word-by-word alignment with the
  bundled static model's word-piece vectors -- for each word piece of the query
  (stopwords dropped) its best cosine to any piece of the memory, averaged with the
  pieces' weights. The model's rows are SIF-weighted (frequent pieces are short), so
  a row's length is how much a piece says. A whole-text mean vector blurs a
  paraphrase among the other words of a long turn; aligning piece by piece finds
  "thumbnailer" in "thumbnail service" and "DB" near "database" wherever they stand.

Then maximal marginal relevance picks the answer from those ``DEPTH`` (``pick``).

The word-piece table is the bundled model's whatever embedder recall uses for its
vector half: it is in the package and memory-mapped, and only a few thousand of its
rows are read per query.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ...core.embed import EmbedderError, StaticEmbedder

RRF_K = 60
# Chosen by bench/recall_eval.py --tune on the tune split (conversations 0, 2, 4...).
WEIGHTS = {"words": 2.0, "meaning": 4.0, "cosine": 1.0, "match": 0.5, "asks": -0.8}
DIVERSITY = 0.2
DEPTH = 30  # candidates aligned word by word, and picked from
FEATURES = tuple(WEIGHTS)
_BEST = (1.0 / (RRF_K + 1), 1.0 / (RRF_K + 1), 1.0, 1.0, 0.0)  # each feature's best value

_lock = threading.Lock()
_table: StaticEmbedder | None = None
_IDS_HELD = 8192  # texts whose word-piece ids are kept: tokenizing is most of a rerank's cost


class Candidate(NamedTuple):
    rid: int
    text: str
    words_rank: int | None  # 1-based, in the word ranking
    meaning_rank: int | None  # 1-based, in the vector ranking
    cosine: float | None  # to the query, where the vector half gave one


def pieces() -> StaticEmbedder:
    """The bundled static model, one per process: its word-piece table is what ``match`` aligns."""
    global _table
    with _lock:
        if _table is None:
            _table = StaticEmbedder()
        return _table


@functools.lru_cache(maxsize=_IDS_HELD)
def _token_ids(text: str) -> tuple[int, ...]:
    return tuple(pieces().token_ids(text))


def order(query_words: Sequence[str], candidates: Sequence[Candidate], recency: np.ndarray, limit: int,
          weights: dict[str, float] | None = None, diversity: float | None = None) -> list[tuple[int, float]]:
    """(index into ``candidates``, score) of the ``limit`` to answer with, best first.

    The cheap features rank every candidate; the best ``DEPTH`` are aligned word piece
    by word piece (``match``) and ranked again; then maximal marginal relevance picks
    the answer from them: each next memory is the one with the best
    ``(1 - diversity) * score - diversity * (its highest cosine to one already picked)``,
    so five turns saying the same thing about the query's words do not push out the
    one that answers it.
    """
    w = weights or WEIGHTS
    lam = DIVERSITY if diversity is None else diversity
    feats = features(candidates)
    vector = np.array([w[name] for name in FEATURES])
    scale = float(np.array(_BEST) @ vector)
    first = (feats @ vector) * recency
    top = np.lexsort((np.arange(len(first)), -first))[:max(DEPTH, limit)]
    try:
        matched, unit = alignments(query_words, [candidates[i].text for i in top])
    except EmbedderError:  # the package's own model unreadable: rank by the rest, as words-only recall does
        matched, unit = np.zeros(len(top)), np.zeros((len(top), 1), np.float32)
    score = (first[top] + w["match"] * matched * recency[top]) / scale
    return [(int(top[j]), float(score[j])) for j in pick(score, unit, limit, lam)]


def pick(score: np.ndarray, unit: np.ndarray, limit: int, diversity: float) -> list[int]:
    """Maximal marginal relevance: ``limit`` positions of ``score``, each next the best
    ``(1 - diversity) * relevance - diversity * (highest cosine of its ``unit`` row to those
    picked)``, where relevance is the score relative to the best one."""
    order = [int(j) for j in np.argsort(-score, kind="stable")]
    if not diversity or not len(score):
        return order[:limit]
    score = score / max(float(np.abs(score).max()), 1e-12)
    picked: list[int] = []
    closest = np.zeros(len(score))
    while order and len(picked) < limit:
        best = max(order, key=lambda j: (1 - diversity) * score[j] - diversity * closest[j])
        order.remove(best)
        picked.append(best)
        np.maximum(closest, unit @ unit[best], out=closest)
    return picked


def features(candidates: Sequence[Candidate]) -> np.ndarray:
    """(len(candidates), len(FEATURES)) float64: the cheap features, in FEATURES' order
    (``match`` is left 0: ``alignments`` gives it for the best few)."""
    out = np.zeros((len(candidates), len(FEATURES)))
    for i, c in enumerate(candidates):
        out[i, 0] = 0.0 if c.words_rank is None else 1.0 / (RRF_K + c.words_rank)
        out[i, 1] = 0.0 if c.meaning_rank is None else 1.0 / (RRF_K + c.meaning_rank)
        out[i, 2] = max(0.0, c.cosine or 0.0)
        out[i, 4] = float(c.text.rstrip().endswith("?"))
    return out


def alignments(query_words: Sequence[str], texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """For each text: ``match``, the weighted mean over the query's word pieces of their
    best cosine to one of the text's pieces (0 where the text or the query has no known
    piece), and the text's unit mean vector in the bundled model (for diversity)."""
    ids_of = _token_ids
    vectors, scales = pieces().rows()
    matched, unit = np.zeros(len(texts)), np.zeros((len(texts), vectors.shape[1]), np.float32)
    ids = [ids_of(t) for t in texts]
    lengths = np.array([len(i) for i in ids])
    has = lengths > 0
    if not has.any():
        return matched, unit
    flat = np.fromiter((i for g in ids for i in g), np.int64, int(lengths.sum()))
    rows = vectors[flat].astype(np.float32) * scales[flat, None]
    starts = np.concatenate(([0], np.cumsum(lengths[has])[:-1]))
    sums = np.add.reduceat(rows, starts, axis=0)
    unit[has] = sums / np.maximum(np.linalg.norm(sums, axis=1), 1e-12)[:, None]
    query_ids = list(dict.fromkeys(i for w in query_words for i in ids_of(w)))
    q = vectors[query_ids].astype(np.float32) * scales[query_ids, None]
    weight = np.linalg.norm(q, axis=1)  # SIF-weighted rows: a frequent piece is short
    if not weight.any():
        return matched, unit
    q, weight = q[weight > 0] / weight[weight > 0, None], weight[weight > 0]
    rows /= np.maximum(np.linalg.norm(rows, axis=1), 1e-12)[:, None]
    best = np.maximum.reduceat(q @ rows.T, starts, axis=1)  # (query pieces, texts with pieces)
    matched[has] = (weight @ np.clip(best, 0.0, 1.0)) / float(weight.sum())
    return matched, unit
