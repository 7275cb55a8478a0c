"""What a person types into search, as an FTS5 query that cannot be malformed.

The grammar is small on purpose: bare words (all must match, in any order),
``"quoted phrases"`` (these words in this order) and a trailing ``*`` on a word
for a prefix (``migrat*``). Everything else is text: each word or phrase goes
to FTS5 as a quoted string, so quotes, ``AND``, ``NEAR``, colons or brackets in
a query are searched for, never parsed as FTS5 syntax, and no query can make
FTS5 raise a syntax error.

Words are tokenized by the index's own tokenizer (``porter unicode61``, through
apsw), so a query term is exactly the token the index holds: "failing" is
"fail", as in the text it finds. Common words (the recall stopwords) are left
out of the bare words when other words remain; a phrase keeps all of its words.
"""

from __future__ import annotations

import re
from typing import cast

import apsw
import msgspec

from ...core.errors import BadArgument
from ...core.stopwords import STOPWORDS

TOKENIZER = ("porter", ["unicode61", "remove_diacritics", "2"])  # as migrations/019.sql declares it
MAX_PHRASES = 12
MAX_QUERY_CHARS = 500

_PARTS = re.compile(r'"([^"]*)"?|(\S+)')


class Phrase(msgspec.Struct, frozen=True):
    """Words that must follow one another (the last may be a prefix): as typed, for FTS5
    to tokenize, and as the index's tokens, to find them again in a snippet."""

    text: str
    tokens: tuple[str, ...]
    prefix: bool = False

    def fts(self) -> str:
        """An FTS5 string: whatever it holds is text to match, never syntax."""
        return '"' + self.text.replace('"', '""') + '"' + (" *" if self.prefix else "")


class ParsedQuery(msgspec.Struct, frozen=True):
    phrases: tuple[Phrase, ...]

    def expression(self) -> str:
        """The FTS5 MATCH expression: every phrase, implicitly ANDed."""
        return " ".join(p.fts() for p in self.phrases)


def parse(conn: apsw.Connection, query: str) -> ParsedQuery:
    """``query`` as phrases of index tokens; a ``BadArgument`` naming ``query`` if it has no word to search."""
    if not query or not query.strip():
        raise BadArgument("query", "must not be empty")
    if len(query) > MAX_QUERY_CHARS:
        raise BadArgument("query", f"must be at most {MAX_QUERY_CHARS} characters, got {len(query):,}")
    tokenize = tokenizer(conn)
    words: list[Phrase] = []
    phrases: list[Phrase] = []
    for quoted, bare in _PARTS.findall(query):
        if quoted:
            tokens = tuple(_tokens(tokenize, quoted))
            if tokens:
                phrases.append(Phrase(quoted, tokens))
            continue
        prefix = bare.endswith("*")
        text = bare.rstrip("*")
        tokens = tuple(_tokens(tokenize, text))
        if tokens:  # "foo-bar" is two tokens in a row: a phrase, as the index sees it
            words.append(Phrase(text, tokens, prefix=prefix))
    kept = [w for w in words if w.prefix or len(w.tokens) > 1 or w.tokens[0] not in STOPWORDS]
    if len(kept) < len(words) and (kept or phrases):
        words = kept
    found = tuple({p.tokens + (('*',) if p.prefix else ()): p for p in phrases + words}.values())[:MAX_PHRASES]
    if not found:
        raise BadArgument("query", f"has no word to search for: {query.strip()!r}")
    return ParsedQuery(found)


def _tokens(tokenize: apsw.FTS5Tokenizer, text: str) -> list[str]:
    return [token for _, _, token in tokens_of(tokenize, text.encode(), apsw.FTS5_TOKENIZE_QUERY)]


def tokens_of(tokenize: apsw.FTS5Tokenizer, data: bytes, reason: int) -> list[tuple[int, int, str]]:
    """(start byte, end byte, token) of each token of UTF-8 ``data`` (no colocated tokens asked, so exactly three)."""
    return cast("list[tuple[int, int, str]]", tokenize(data, reason, None))


def tokenizer(conn: apsw.Connection) -> apsw.FTS5Tokenizer:
    """The index's tokenizer on ``conn``: a lookup, cheap to make per call."""
    name, args = TOKENIZER
    return conn.fts5_tokenizer(name, args)
