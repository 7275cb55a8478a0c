"""Recall's second stage: the candidates of both rankings, scored again on what they say.

Reciprocal rank fusion only sees ranks. A memory that says the same thing as the
query in other words ("DB pool" for "database connection pool") is often in one
list only, low down, while turns that repeat the query's words without answering
it fill the top of the word list. So the union of both lists' candidates (up to
200) is scored again by a weighted sum (``WEIGHTS``, chosen on the tuning split of
bench/recall_eval.py and reported on its held-out split):

* ``words``, ``meaning``: each list's reciprocal rank 1 / (RRF_K + rank), as in RRF;
* ``cosine``: the memory's cosine to the query (the vector half's own measure);
* ``asks``: the memory's *point* -- the sentence of it that holds most of the query's
  words (``point``) -- is a question, which rarely answers one, however many of its
  words it repeats ("I pushed the branch. Is there a faster way to recompile the UI
  bundle? ..."); a whole text ending in ``?`` missed those in the middle of a turn;
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
import re
import threading
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from ...core.embed import EmbedderError, StaticEmbedder

RRF_K = 60
# Chosen by bench/recall_eval.py --tune on the tune split (conversations 0, 2, 4...); no step of it gains on the
# tune splits of seeds 7 and 8 since `asks` reads the point without losing on bench/memory_eval.
WEIGHTS = {"words": 2.0, "meaning": 8.0, "cosine": 0.5, "match": 0.25, "asks": -0.8}
DIVERSITY = 0.3
DEPTH = 30  # candidates aligned word by word, and picked from
FEATURES = tuple(WEIGHTS)
_BEST = (1.0 / (RRF_K + 1), 1.0 / (RRF_K + 1), 1.0, 1.0, 0.0)  # each feature's best value
_SENTENCE_END = re.compile(r"([.!?])\s+")

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
def token_ids(text: str) -> tuple[int, ...]:
    """``text``'s word pieces in the bundled model (a query's words repeat: cached)."""
    return tuple(pieces().token_ids(text))


def order(query_words: Sequence[str], candidates: Sequence[Candidate], recency: np.ndarray, limit: int,
          weights: dict[str, float] | None = None, diversity: float | None = None,
          pieces_of: Callable[[Sequence[Candidate]], list[np.ndarray]] | None = None) -> list[tuple[int, float]]:
    """(index into ``candidates``, score) of the ``limit`` to answer with, best first.

    The cheap features rank every candidate; the best ``DEPTH`` are aligned word piece
    by word piece (``match``) and ranked again; then maximal marginal relevance picks
    the answer from them: each next memory is the one with the best
    ``(1 - diversity) * score - diversity * (its highest cosine to one already picked)``,
    so five turns saying the same thing about the query's words do not push out the
    one that answers it. ``pieces_of`` gives candidates' word pieces (recall reads the
    stored ones, services/memory/pieces.py); by default their texts are tokenized.
    """
    w = weights or WEIGHTS
    lam = DIVERSITY if diversity is None else diversity
    feats = features(candidates, query_words)
    vector = np.array([w[name] for name in FEATURES])
    scale = float(np.array(_BEST) @ vector)
    first = (feats @ vector) * recency
    top = np.lexsort((np.arange(len(first)), -first))[:max(DEPTH, limit)]
    chosen = [candidates[i] for i in top]
    try:
        ids = pieces_of(chosen) if pieces_of else [np.asarray(token_ids(c.text), np.int64) for c in chosen]
        matched, unit = alignments(query_words, ids)
    except EmbedderError:  # the package's own model unreadable: rank by the rest, as words-only recall does
        matched, unit = np.zeros(len(top)), np.zeros((len(top), 1), np.float32)
    score = (first[top] + w["match"] * matched * recency[top]) / scale
    return [(int(top[j]), float(score[j])) for j in pick(score, unit, limit, lam)]


def pick(score: np.ndarray, unit: np.ndarray, limit: int, diversity: float) -> list[int]:
    """Maximal marginal relevance: ``limit`` positions of ``score``, each next the best
    ``(1 - diversity) * relevance - diversity * (highest cosine of its ``unit`` row to those
    picked)``, where relevance is the score relative to the best one; ties go to the
    better score, then the lower position."""
    ranked = np.argsort(-score, kind="stable")
    if not diversity or not len(score):
        return [int(j) for j in ranked[:limit]]
    relevance = (1 - diversity) * score[ranked] / max(float(np.abs(score).max()), 1e-12)
    similar = unit[ranked] @ unit[ranked].T  # (n, n): a few dozen candidates
    closest = np.zeros(len(score))
    free = np.ones(len(score), bool)
    picked: list[int] = []
    for _ in range(min(limit, len(score))):
        value = np.where(free, relevance - diversity * closest, -np.inf)
        best = int(np.argmax(value))  # the first of equals: the better-scored one
        free[best] = False
        picked.append(int(ranked[best]))
        np.maximum(closest, similar[best], out=closest)
    return picked


def features(candidates: Sequence[Candidate], query_words: Sequence[str]) -> np.ndarray:
    """(len(candidates), len(FEATURES)) float64: the cheap features, in FEATURES' order
    (``match`` is left 0: ``alignments`` gives it for the best few)."""
    n = len(candidates)
    out = np.zeros((n, len(FEATURES)))
    words = np.fromiter((c.words_rank or 0 for c in candidates), np.float64, n)
    meaning = np.fromiter((c.meaning_rank or 0 for c in candidates), np.float64, n)
    out[:, 0] = np.where(words > 0, 1.0 / (RRF_K + words), 0.0)
    out[:, 1] = np.where(meaning > 0, 1.0 / (RRF_K + meaning), 0.0)
    out[:, 2] = np.maximum(np.fromiter((c.cosine or 0.0 for c in candidates), np.float64, n), 0.0)
    asked = [w.lower() for w in query_words]
    out[:, 4] = np.fromiter(("?" in c.text and point(c.text, asked).endswith("?") for c in candidates), np.float64, n)
    return out


def point(text: str, query_words: Sequence[str]) -> str:
    """The sentence of ``text`` (lower-cased, with its closing mark) holding most of the
    lower-case ``query_words``, as substrings (so "test" is in "tests"), the first of
    equals: what the memory says about what was asked. Plain loops and substring tests:
    this runs for every candidate with a ``?`` in it, up to 200 per recall."""
    parts = _SENTENCE_END.split(text.lower().strip())  # sentence, mark, sentence, mark, ..., sentence
    best, at = -1, 0
    for j in range(0, len(parts), 2):
        held = 0
        for word in query_words:
            if word in parts[j]:
                held += 1
        if held > best:
            best, at = held, j
    return parts[at] + (parts[at + 1] if at + 1 < len(parts) else "")


def alignments(query_words: Sequence[str], ids: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """For each text, given by its word-piece ``ids``: ``match``, the weighted mean over the
    query's word pieces of their best cosine to one of the text's pieces (0 where the text
    or the query has no known piece), and the text's unit mean vector in the bundled model
    (for diversity). Each distinct piece is read and compared once."""
    vectors, scales = pieces().rows()
    matched, unit = np.zeros(len(ids)), np.zeros((len(ids), vectors.shape[1]), np.float32)
    lengths = np.fromiter(map(len, ids), np.int64, len(ids))
    has = lengths > 0
    if not has.any():
        return matched, unit
    flat = np.concatenate([i for i in ids if len(i)]).astype(np.int64)
    distinct, where = np.unique(flat, return_inverse=True)
    rows = vectors[distinct].astype(np.float32)
    norms = np.maximum(np.linalg.norm(rows, axis=1), 1e-12)  # of the int8 row; its scale cancels
    starts = np.concatenate(([0], np.cumsum(lengths[has])[:-1]))
    sums = np.add.reduceat((rows * scales[distinct, None])[where], starts, axis=0)
    unit[has] = sums / np.maximum(np.linalg.norm(sums, axis=1), 1e-12)[:, None]
    query_ids = list(dict.fromkeys(i for w in query_words for i in token_ids(w)))
    q = vectors[query_ids].astype(np.float32) * scales[query_ids, None]
    weight = np.linalg.norm(q, axis=1)  # SIF-weighted rows: a frequent piece is short
    if not weight.any():
        return matched, unit
    q, weight = q[weight > 0] / weight[weight > 0, None], weight[weight > 0]
    cosines = (q @ (rows / norms[:, None]).T)[:, where]  # (query pieces, all pieces of the texts)
    best = np.maximum.reduceat(cosines, starts, axis=1)  # (query pieces, texts with pieces)
    matched[has] = (weight @ np.clip(best, 0.0, 1.0)) / float(weight.sum())
    return matched, unit
