"""Recall's second stage: the candidates of both rankings, scored again on what they say.

Reciprocal rank fusion only sees ranks. A memory that says the same thing as the
query in other words ("DB pool" for "database connection pool") is often in one
list only, low down, and a distractor that repeats the query's words is high in the
word list. So the union of both lists' candidates (about 100) is scored again by
a weighted sum (weights in ``WEIGHTS``, chosen on the tuning split of
bench/recall_eval.py and reported on its held-out split):

* ``words``, ``meaning``: each list's reciprocal rank 1 / (RRF_K + rank), as in RRF;
* ``cosine``: the memory's cosine to the query (the vector half's own measure);
* ``match``: word-by-word alignment with the bundled static model's word-piece
  vectors: for each word piece of the query (stopwords dropped) its best cosine to
  any piece of the memory, averaged with the pieces' weights. The model's rows are
  SIF-weighted (frequent pieces are short), so a row's length is how much a piece
  says. A whole-text mean vector blurs a paraphrase among the other words of a long
  turn; aligning piece by piece finds "thumbnailer" in "thumbnail service" and
  "DB" near "database" wherever they stand.

The word-piece table is the bundled model's whatever embedder recall uses for its
vector half: it is in the package and memory-mapped, and only a few thousand of its
rows are read per query.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ...core.embed import StaticEmbedder

RRF_K = 60
# Chosen by bench/recall_eval.py --tune on the tune split (conversations 0, 2, 4...).
WEIGHTS = {"words": 2.0, "meaning": 4.0, "cosine": 1.0, "match": 0.5, "sentence": 0.0, "asks": -0.8}
FEATURES = tuple(WEIGHTS)
_BEST = (1.0 / (RRF_K + 1), 1.0 / (RRF_K + 1), 1.0, 1.0, 1.0, 0.0)  # each feature's best value
_SENTENCE = re.compile(r"(?<=[.!?;:])\s+")

_lock = threading.Lock()
_table: StaticEmbedder | None = None


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


def features(query_words: Sequence[str], candidates: Sequence[Candidate]) -> np.ndarray:
    """(len(candidates), len(FEATURES)) float64: each candidate's features, in FEATURES' order."""
    out = np.zeros((len(candidates), len(FEATURES)))
    for i, c in enumerate(candidates):
        out[i, 0] = 0.0 if c.words_rank is None else 1.0 / (RRF_K + c.words_rank)
        out[i, 1] = 0.0 if c.meaning_rank is None else 1.0 / (RRF_K + c.meaning_rank)
        out[i, 2] = max(0.0, c.cosine or 0.0)
        out[i, 5] = float(c.text.rstrip().endswith("?"))
    out[:, 3], out[:, 4] = alignments(query_words, [c.text for c in candidates])
    return out


def scores(feats: np.ndarray, weights: dict[str, float] | None = None) -> np.ndarray:
    """The weighted sum, scaled so a candidate best on every feature scores 1."""
    w = weights or WEIGHTS
    vector = np.array([w[name] for name in FEATURES])
    return (feats @ vector) / float(np.array(_BEST) @ vector)


def alignments(query_words: Sequence[str], texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """For each text: ``match`` (the weighted mean over the query's word pieces of their
    best cosine to one of the text's pieces) and ``sentence`` (the best cosine of the
    query's mean vector to one of the text's sentences' mean vectors); 0 where the text
    or the query has no known piece."""
    table = pieces()
    ids_of = table.token_ids
    matched, sentence = np.zeros(len(texts)), np.zeros(len(texts))
    query_ids = list(dict.fromkeys(i for w in query_words for i in ids_of(w)))
    if not query_ids or not texts:
        return matched, sentence
    vectors, scales = table.rows()
    q = vectors[query_ids].astype(np.float32) * scales[query_ids, None]
    weight = np.linalg.norm(q, axis=1)  # SIF-weighted rows: a frequent piece is short
    if not weight.any():
        return matched, sentence
    q_mean = q.sum(axis=0)
    q_mean /= np.linalg.norm(q_mean)
    q_unit = q[weight > 0] / weight[weight > 0, None]
    weight = weight[weight > 0]
    owners, ids = [], []  # per sentence: its text; its pieces
    for n, text in enumerate(texts):
        for part in _SENTENCE.split(text):
            if got := ids_of(part):
                owners.append(n)
                ids.append(got)
    if not ids:
        return matched, sentence
    lengths = np.array([len(i) for i in ids])
    rows = vectors[np.fromiter((i for g in ids for i in g), np.int64, int(lengths.sum()))].astype(np.float32)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    sums = np.add.reduceat(rows * scales[np.concatenate(ids), None], starts, axis=0)
    cos_sentence = (sums @ q_mean) / np.maximum(np.linalg.norm(sums, axis=1), 1e-12)
    rows /= np.maximum(np.linalg.norm(rows, axis=1), 1e-12)[:, None]
    best = np.maximum.reduceat(q_unit @ rows.T, starts, axis=1)  # (query pieces, sentences)
    owner = np.array(owners)
    per_text = np.full((len(weight), len(texts)), -1.0, np.float32)
    np.maximum.at(per_text.T, owner, best.T)
    has = np.zeros(len(texts), bool)
    has[owner] = True
    matched[has] = (weight @ np.clip(per_text[:, has], 0.0, 1.0)) / float(weight.sum())
    np.maximum.at(sentence, owner, cos_sentence)
    return matched, np.clip(sentence, 0.0, 1.0)
