"""The memories' words, held in this process: FTS5's BM25 ranking from numpy postings.

FTS5 ranks a query by scoring, one by one, every memory that holds any of its
words: at 100k memories, where a common word is in 5-9k of them, 18 ms (p50,
bench/memory.py). Held as postings -- for each term, the memories it is in and
at which token positions -- the same scores take a few array operations over
those memories: 0.6 ms. Loading them costs 0.8 s at 100k (tokenizing every
text), about 45 FTS5 queries: ``resident`` says when a process holds them.

The same ranking as FTS5, exactly:

* texts and query phrases are tokenized by the tokenizer ``memories_fts``
  declares (read from the table, so a migration that changes it changes this);
* a phrase of several tokens (``max_retries`` is ``max retries``) matches
  where they stand next to each other, and is counted once per match;
* scores are FTS5's ``bm25()`` (fts5_aux.c), in the same double arithmetic:
  sum over phrases of idf * f * (k1 + 1) / (f + k1 * (1 - b + b * D / avgdl)),
  k1 = 1.2, b = 0.75, idf = ln((N - n + 0.5) / (n + 0.5)) floored at 1e-6,
  n the memories matching the phrase, D a memory's token count;
* equal scores go to the lower rid first, as FTS5's ``ORDER BY rank`` gives them.

tests/test_memory_words.py compares the two on real stores. New memories are
inserted into the postings (each term's run gets them at its end); anything
else loads them again (``resident``).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from typing import NamedTuple, cast

import apsw
import apsw.fts5
import numpy as np

from . import resident

K1 = 1.2
B = 0.75
IDF_FLOOR = 1e-6  # FTS5's: a phrase in more than half the memories would score negative
_SPAN = 1 << 32  # memory number * _SPAN + position: one int64 key per token
_SAMPLE = 20  # a cutoff for the best ``depth`` from ``_SAMPLE * depth`` matches (see _best)
_CHUNK = 5000  # memories tokenized at a time while loading


class _Words(NamedTuple):
    marks: resident.Marks
    tokenizer: tuple[str, ...]  # memories_fts's tokenize option: name, then arguments
    rids: np.ndarray  # (n,) int64, ascending: memory number -> rid
    lengths: np.ndarray  # (n,) float64: tokens in each memory (FTS5's column size)
    saturation: np.ndarray  # (n,) float64: k1 * (1 - b + b * D / avgdl), BM25's length term
    created: np.ndarray  # (n,) float64: created_at
    projects: np.ndarray  # (n,) int32, into ``names``
    names: dict[str | None, int]
    tagged: dict[str, np.ndarray]  # tag -> numbers of the memories that carry it, ascending
    terms: dict[str, int]
    starts: np.ndarray  # (len(terms) + 1,) int64: term t's tokens are [starts[t], starts[t + 1])
    docs: np.ndarray  # int32: the memory number of each token, ordered by (term, memory, position)
    positions: np.ndarray  # int32: its position in that memory


def ranked(
    conn: apsw.Connection,
    phrases: Sequence[str],
    *,
    depth: int,
    project: str | None = None,
    tags: Sequence[str] = (),
    since: float | None = None,
) -> list[int]:
    """The rids of the ``depth`` memories FTS5 ranks best for ``"p1" OR "p2" ...``
    (``ORDER BY rank``), best first, among those the filters keep."""
    words = resident.current(conn, "words", _update)
    n = len(words.rids)
    tokenize = conn.fts5_tokenizer(words.tokenizer[0], list(words.tokenizer[1:]))
    scores = np.zeros(n)
    for phrase in phrases:
        tokens = cast("list[str]", tokenize(  # without offsets or colocated tokens: plain strings
            phrase.encode(), apsw.FTS5_TOKENIZE_QUERY, None, include_offsets=False, include_colocated=False))
        docs, freq = _matches(words, tokens)
        if not len(docs):
            continue
        idf = math.log((n - len(docs) + 0.5) / (len(docs) + 0.5))
        idf = idf if idf > 0 else IDF_FLOOR
        scores[docs] += idf * ((freq * (K1 + 1.0)) / (freq + words.saturation[docs]))
    found = _filtered(words, np.flatnonzero(scores > 0), project, tags, since)
    return words.rids[_best(scores, found, depth)].tolist()


def created(conn: apsw.Connection, rids: Sequence[int]) -> dict[int, float]:
    """created_at of the memories ``rids`` that exist: the words hold every memory."""
    words = resident.current(conn, "words", _update)
    if not len(words.rids):
        return {}
    wanted = np.asarray(rids, np.int64)
    numbers = np.searchsorted(words.rids, wanted).clip(0, len(words.rids) - 1)
    here = words.rids[numbers] == wanted  # one forgotten meanwhile is not
    return dict(zip(wanted[here].tolist(), words.created[numbers[here]].tolist(), strict=True))


def _best(scores: np.ndarray, found: np.ndarray, depth: int) -> np.ndarray:
    """The ``depth`` of ``found`` that score highest, best first, ties to the lower number."""
    if len(found) > _SAMPLE * depth:
        # The depth-th best of a sample cannot beat the depth-th best of all: a safe
        # cutoff that leaves about 1 / _SAMPLE of them to sort.
        sample = np.sort(scores[found[:: len(found) // (_SAMPLE * depth)]])
        found = found[scores[found] >= sample[-depth]]
    return found[np.lexsort((found, -scores[found]))][:depth]


def _matches(words: _Words, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(memory numbers, float64 match counts) of the memories where ``tokens`` stand in a row."""
    known = [words.terms.get(t) for t in tokens]
    if not known or None in known:
        return np.empty(0, np.int64), np.empty(0)
    ids = cast("list[int]", known)  # none is None: checked above
    if len(ids) == 1:
        docs = words.docs[words.starts[ids[0]]:words.starts[ids[0] + 1]]
    else:
        keys: np.ndarray | None = None
        for offset, term in enumerate(ids):
            run = slice(words.starts[term], words.starts[term + 1])
            at = words.docs[run].astype(np.int64) * _SPAN + (words.positions[run] - offset)
            keys = at if keys is None else np.intersect1d(keys, at, assume_unique=True)
        assert keys is not None  # two terms or more: the loop ran
        docs = keys // _SPAN
    if not len(docs):
        return np.empty(0, np.int64), np.empty(0)
    edges = np.flatnonzero(docs[1:] != docs[:-1]) + 1  # docs is sorted: one run per memory
    firsts = np.concatenate(([0], edges))
    return docs[firsts], np.diff(np.concatenate((firsts, [len(docs)]))).astype(np.float64)


def _filtered(words: _Words, found: np.ndarray, project: str | None, tags: Sequence[str],
              since: float | None) -> np.ndarray:
    if project is not None:
        found = found[words.projects[found] == words.names.get(project, -1)]
    for tag in tags:
        found = found[np.isin(found, words.tagged.get(tag, np.empty(0, np.int64)), assume_unique=True)]
    if since is not None:
        found = found[words.created[found] >= since]
    return found


def _update(conn: apsw.Connection, held: _Words | None, marks: resident.Marks) -> _Words:
    if (held is None or held.marks.store != marks.store or held.marks.reset != marks.reset
            or (held.marks.words != marks.words and held.marks.added == marks.added)):
        return _add(conn, _empty(conn, marks), 0, marks)
    if held.marks.added != marks.added:  # new memories (an empty text leaves the FTS5 index as it was)
        return _add(conn, held, int(held.rids[-1]) if len(held.rids) else 0, marks)
    return held


def _empty(conn: apsw.Connection, marks: resident.Marks) -> _Words:
    tokenizer = apsw.fts5.Table(conn, "memories_fts").structure.tokenize
    none_i, none_f = np.empty(0, np.int64), np.empty(0)
    return _Words(marks, tuple(tokenizer), none_i, none_f, none_f, none_f, np.empty(0, np.int32), {}, {}, {},
                  np.zeros(1, np.int64), np.empty(0, np.int32), np.empty(0, np.int32))


class _New(NamedTuple):
    """Memories read for adding, as arrays; their tokens, memory after memory, as
    (term id, memory number, position)."""

    rids: np.ndarray
    created: np.ndarray
    projects: np.ndarray
    lengths: np.ndarray
    ids: np.ndarray
    docs: np.ndarray
    positions: np.ndarray
    names: dict[str | None, int]
    terms: dict[str, int]
    tagged: dict[str, np.ndarray]


def _add(conn: apsw.Connection, held: _Words, above: int, marks: resident.Marks) -> _Words:
    """``held`` with the memories whose rid is above ``above`` (and all held) added."""
    new = _read(conn, held, above)
    if not len(new.rids):
        return held._replace(marks=marks)
    order = np.argsort(new.ids, kind="stable")  # by term, and within a term still by (memory, position)
    ids, docs, positions = new.ids[order], new.docs[order], new.positions[order]
    del order
    old_counts = np.diff(held.starts)
    if len(held.docs):
        # Each new token goes at the end of its term's run (the new memories come after
        # all held ones); a term not held before gets a run after all others.
        at = np.where(ids < len(old_counts), held.starts[np.minimum(ids, len(old_counts) - 1) + 1],
                      len(held.docs))
        docs, positions = np.insert(held.docs, at, docs), np.insert(held.positions, at, positions)
    counts = np.bincount(ids, minlength=len(new.terms))
    counts[:len(old_counts)] += old_counts
    lengths = np.concatenate((held.lengths, new.lengths.astype(np.float64)))
    avgdl = float(lengths.sum()) / len(lengths)
    return _Words(
        marks=marks,
        tokenizer=held.tokenizer,
        rids=np.concatenate((held.rids, new.rids)),
        lengths=lengths,
        saturation=K1 * ((1 - B) + (B * lengths) / avgdl),
        created=np.concatenate((held.created, new.created)),
        projects=np.concatenate((held.projects, new.projects)),
        names=new.names,
        tagged=new.tagged,
        terms=new.terms,
        starts=np.concatenate(([0], np.cumsum(counts))),
        docs=docs,
        positions=positions,
    )


def _read(conn: apsw.Connection, held: _Words, above: int) -> _New:
    """The memories above rid ``above``, tokenized ``_CHUNK`` at a time: all 100k
    texts' token strings at once would take ~200 MB, for a moment."""
    tokenize = conn.fts5_tokenizer(held.tokenizer[0], list(held.tokenizer[1:]))
    names, terms = dict(held.names), dict(held.terms)
    parsed: dict[str, list[str]] = {}  # most memories share a handful of tag lists
    tags: dict[str, list[int]] = {}  # new memories' numbers, by tag
    rids: list[int] = []
    created, projects, lengths = [], [], []
    ids, docs, positions = [], [], []  # an array per chunk
    rows = conn.execute("SELECT rid, text, project, tags, created_at FROM memories WHERE rid > ? ORDER BY rid",
                        (above,))
    while chunk := list(itertools.islice(rows, _CHUNK)):
        start = len(held.rids) + len(rids)  # the number of the chunk's first memory
        tokens: list[str] = []
        counts = np.empty(len(chunk), np.int32)
        for i, (rid, text, project, tag_list, at) in enumerate(chunk):
            got = cast("list[str]", tokenize(  # without offsets or colocated tokens: plain strings
                text.encode(), apsw.FTS5_TOKENIZE_DOCUMENT, None, include_offsets=False, include_colocated=False))
            tokens.extend(got)
            counts[i] = len(got)
            rids.append(rid)
            created.append(at)
            projects.append(names.setdefault(project, len(names)))
            if (found := parsed.get(tag_list)) is None:
                found = parsed[tag_list] = json.loads(tag_list)
            for tag in found:
                tags.setdefault(tag, []).append(start + i)
        ids.append(np.fromiter((terms.setdefault(t, len(terms)) for t in tokens), np.int32, len(tokens)))
        docs.append(np.repeat(np.arange(start, start + len(chunk), dtype=np.int32), counts))
        firsts = np.cumsum(counts, dtype=np.int32) - counts  # of each memory's tokens
        positions.append(np.arange(len(tokens), dtype=np.int32) - np.repeat(firsts, counts))
        lengths.append(counts)
    none = np.empty(0, np.int32)
    return _New(
        rids=np.array(rids, np.int64), created=np.array(created, np.float64),
        projects=np.array(projects, np.int32), lengths=np.concatenate(lengths) if lengths else none,
        ids=np.concatenate(ids) if ids else none, docs=np.concatenate(docs) if docs else none,
        positions=np.concatenate(positions) if positions else none, names=names, terms=terms,
        tagged=_tagged(held.tagged, tags),
    )


def _tagged(held: dict[str, np.ndarray], more: dict[str, list[int]]) -> dict[str, np.ndarray]:
    out = dict(held)
    for tag, numbers in more.items():
        new = np.array(numbers, np.int64)
        out[tag] = np.concatenate((out[tag], new)) if tag in out else new
    return out
