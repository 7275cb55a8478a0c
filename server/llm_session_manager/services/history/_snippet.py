"""A match's snippet: the redacted text around its matched words, with their places.

Redaction comes first, over the whole message, and everything after works on
the redacted text: a secret cut in two by a snippet's edge is no longer
recognisable, so cutting first could leak half of one; and a row stored before
ingest redacted (or under older rules) is redacted here all the same. The
matched words are found again in the redacted text with the index's own
tokenizer, so a highlight is exactly what FTS5 matched ("fails" for
"failing"). A message whose match lay only inside a secret has none left: it
is not a hit (``None``), so a search cannot confirm a secret's value.
"""

from __future__ import annotations

import re

import apsw
import msgspec

from ...core import redact
from ._query import ParsedQuery, Phrase, tokens_of

SNIPPET_CHARS = 160  # around the matches, each side
_MARKER = re.compile(rb"\[REDACTED:[\w-]+\]")


class Snippet(msgspec.Struct, frozen=True):
    text: str
    highlights: list[tuple[int, int]]  # [start, end) in ``text``


def snippet(tokenize: apsw.FTS5Tokenizer, text: str, query: ParsedQuery) -> Snippet | None:
    """The snippet of ``text`` (stored, maybe unredacted) for ``query``; ``None`` if no match survives redaction."""
    clean = redact.redact_text(text)
    spans = matched_spans(tokenize, clean, query)
    if spans is None:
        return None
    start, end = _window(spans, len(clean))
    return _cut(clean, start, end, [s for s in spans if s[0] >= start and s[1] <= end])


def matched_spans(tokenize: apsw.FTS5Tokenizer, text: str, query: ParsedQuery) -> list[tuple[int, int]] | None:
    """Character spans of every phrase's matches in ``text``, in order; ``None`` if a phrase has none.

    The words of a redaction marker (``[REDACTED:github-token]``) match nothing: they
    say what was there, they are not what was written."""
    data = text.encode()
    tokens = tokens_of(tokenize, data, apsw.FTS5_TOKENIZE_DOCUMENT)
    hidden = [(m.start(), m.end()) for m in _MARKER.finditer(data)]
    words = [t if not any(a <= start < b for a, b in hidden) else "" for start, _, t in tokens]
    spans: set[tuple[int, int]] = set()
    for phrase in query.phrases:
        found = [i for i in range(len(words) - len(phrase.tokens) + 1) if _at(words, i, phrase)]
        if not found:
            return None
        for i in found:
            spans.update((tokens[j][0], tokens[j][1]) for j in range(i, i + len(phrase.tokens)))
    if len(data) == len(text):  # ASCII: a byte is a character
        return sorted(spans)
    return sorted((_chars(data, a), _chars(data, b)) for a, b in spans)


def _at(words: list[str], i: int, phrase: Phrase) -> bool:
    last = len(phrase.tokens) - 1
    for k, token in enumerate(phrase.tokens):
        word = words[i + k]
        if not (word == token or (phrase.prefix and k == last and word.startswith(token))):
            return False
    return True


def _chars(data: bytes, offset: int) -> int:
    """The character index of byte ``offset`` of UTF-8 ``data``."""
    return len(data[:offset].decode(errors="ignore"))


def _window(spans: list[tuple[int, int]], length: int) -> tuple[int, int]:
    """The stretch of about 2 x SNIPPET_CHARS holding the most matched words."""
    width = 2 * SNIPPET_CHARS
    best, best_at = -1, 0
    for i, (a, _) in enumerate(spans):
        held = sum(1 for s, e in spans[i:] if e <= a + width)
        if held > best:
            best, best_at = held, i
    first = spans[best_at][0]
    last = max(e for s, e in spans[best_at:] if e <= first + width) if spans else first
    slack = max(0, width - (last - first)) // 2
    start = max(0, first - slack)
    end = min(length, max(last, start + width))
    return start, end


def _cut(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> Snippet:
    """``text[start:end]`` with runs of whitespace made one space, ellipses at cut ends, spans moved to match."""
    prefix = "…" if start > 0 else ""
    out = [prefix]
    at = len(prefix)
    moved: dict[int, int] = {}
    i = start
    while i < end:
        moved[i] = at
        if text[i].isspace():
            j = i
            while j < end and text[j].isspace():
                j += 1
            out.append(" ")
            at, i = at + 1, j
        else:
            out.append(text[i])
            at, i = at + 1, i + 1
    moved[end] = at
    body = "".join(out).rstrip()
    highlights = [(moved[a], moved[b]) for a, b in spans if a in moved and b in moved]
    return Snippet(body + ("…" if end < len(text) else ""), highlights)
