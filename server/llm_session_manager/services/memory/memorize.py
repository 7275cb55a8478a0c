"""``memorize``: turn one stored session into memories, offline (heuristics in extract.py)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import apsw

from ..sessions import resolve_id
from . import extract, store
from .records import Memory
from .remember import resolve_embedder

if TYPE_CHECKING:
    from ...core.config import Config
    from ...core.embed import Embedder


def memorize(
    conn: apsw.Connection, config: Config | None, session_ref: str, *, writer: str | None = None,
    embedder: Embedder | None = None,
) -> list[Memory]:
    """The new memories taken from session ``session_ref`` (id or unique prefix).

    ``writer`` names the program that asked (an MCP client), as ``remember`` does;
    the embedder is ``embedder``, else the one ``config`` names.

    Memories already stored (from an earlier run, or the same sentence in
    another session of the project) are skipped, so running it twice adds nothing.
    """
    sid = resolve_id(conn, session_ref)
    project, cwd, last_activity = conn.execute(
        "SELECT project, cwd, last_activity FROM sessions WHERE id = ?", (sid,)).get
    messages = [extract.Message(*r) for r in conn.execute(
        "SELECT key, role, kind, lsm_open(text) FROM messages WHERE session_id = ? ORDER BY ts, rowid", (sid,))]
    refs = [extract.FileRef(*r) for r in conn.execute(
        "SELECT path, action FROM file_refs WHERE session_id = ? ORDER BY ts, rowid", (sid,))]
    times = dict(conn.execute("SELECT key, ts FROM messages WHERE session_id = ?", (sid,)))
    pending = []
    for c in extract.candidates(messages, refs, cwd):
        pending.append(store.prepare(
            c.text, project=project, tags=[c.tag], session_id=sid, message_key=c.message_key,
            source="memorize", writer=writer,
            created_at=times.get(c.message_key, last_activity) if c.message_key else last_activity,
        ))
    unique = _new_facts(conn, project, pending)
    written = store.write(conn, unique, resolve_embedder(embedder, config))
    return [memory for memory, created in written if created]


def _new_facts(conn: apsw.Connection, project: str | None, pending: list[store.Pending]) -> list[store.Pending]:
    """``pending`` less what says the same as a memory already stored in the project, or
    as one earlier in ``pending``: the same words give the same fact, whatever the
    punctuation, markup or a word or two changed (``NEAR`` of their words shared).

    The store already refuses the same text twice; this catches the same rule
    written again with a backtick or a full stop more, which sessions do all the time.
    A list of files is compared whole (two sessions on the same files in other roles
    differ), and so is a short sentence, where one word is a different fact.
    """
    kept: list[store.Pending] = []
    kept_words: list[frozenset[str]] = []
    for p in pending:
        words = _words(p.text)
        if "files" not in p.tags and len(words) >= NEAR_MIN_WORDS and (
                any(_near(words, w) for w in kept_words) or _stored_near(conn, project, p.text, words)):
            continue
        kept.append(p)
        kept_words.append(words)
    return kept


NEAR = 0.8  # Jaccard similarity of two texts' words from which they say the same
NEAR_MIN_WORDS = 6  # words (stopwords aside) a text needs to be compared loosely
_NEIGHBOURS = 5  # stored memories compared, the best word matches


def _words(text: str) -> frozenset[str]:
    from ...core.stopwords import STOPWORDS

    return frozenset(w for w in re.findall(r"\w+", text.casefold()) if w not in STOPWORDS)


def _near(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool(a and b) and len(a & b) / len(a | b) >= NEAR


def _stored_near(conn: apsw.Connection, project: str | None, text: str, words: frozenset[str]) -> bool:
    from .recall import match_expression

    expression = match_expression(text)
    if expression is None:
        return False
    rows = conn.execute(
        "SELECT m.text FROM memories_fts f JOIN memories m ON m.rid = f.rowid"
        " WHERE memories_fts MATCH ? AND m.project IS ? ORDER BY f.rank LIMIT ?",
        (expression, project, _NEIGHBOURS),
    )
    return any(_near(words, _words(stored)) for (stored,) in rows)
