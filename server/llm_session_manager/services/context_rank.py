"""How relevant each of a session's files is to a question: its words (BM25) and its meaning (vectors).

A file's document is its path and its text (what its reads returned, else the
file now; the first ``TEXT_CHARS`` characters). Words: BM25 (k1 1.2, b 0.75)
over the session's files, query words lower-cased with stopwords dropped, and
path words split at ``/ . _ -`` and camelCase so ``auth`` finds ``authService.ts``.
Meaning: the cosine of the bundled static embedder's vectors (core/embed.py;
offline, the same model recall uses by default). The score is the mean of the
two, BM25 scaled by the best file's: 0 to 1, comparable within one answer only.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import TYPE_CHECKING

from ..core.stopwords import STOPWORDS

if TYPE_CHECKING:  # both bring numpy: imported on a first ranking, not by the LSP's start
    import numpy as np

    from ..core.embed import StaticEmbedder

TEXT_CHARS = 20_000
K1, B = 1.2, 0.75
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")

_embedder: StaticEmbedder | None = None


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text) if w.lower() not in STOPWORDS]


def scores(query: str, docs: list[tuple[str, str]]) -> list[float]:
    """Per ``(path, text)`` in ``docs``, its relevance to ``query`` in [0, 1]."""
    if not docs:
        return []
    bodies = [f"{path}\n{text[:TEXT_CHARS]}" for path, text in docs]
    lexical = _bm25(words(query), [words(b) for b in bodies])
    top = max(lexical) or 1.0
    vectors = _vectors([query, *bodies])
    cosines = (vectors[1:] @ vectors[0]).clip(0.0, 1.0)
    return [round(0.5 * (w / top) + 0.5 * float(c), 4) for w, c in zip(lexical, cosines)]


def _bm25(query: list[str], docs: list[list[str]]) -> list[float]:
    n = len(docs)
    average = sum(map(len, docs)) / n or 1.0
    having = Counter(w for d in docs for w in set(d))
    out = []
    for d in docs:
        counts = Counter(d)
        score = 0.0
        for w in set(query):
            f = counts.get(w, 0)
            if f:
                idf = math.log(1 + (n - having[w] + 0.5) / (having[w] + 0.5))
                score += idf * f * (K1 + 1) / (f + K1 * (1 - B + B * len(d) / average))
        out.append(score)
    return out


def _vectors(texts: list[str]) -> np.ndarray:
    global _embedder
    if _embedder is None:
        from ..core.embed import StaticEmbedder

        _embedder = StaticEmbedder()
    return _embedder.embed(texts)
