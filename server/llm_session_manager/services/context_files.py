"""What a session did with each file: read, edited or only named, how often, and what it cost then and now.

Definitions (docs/context.md says the same for users):

* **read / edited**: the session's tool calls (``file_refs``, filled at ingest).
* **mentioned**: a file name (a word with a source-file extension, or the name
  or path of a file the session touched) in a user prompt or the assistant's
  text, what the assistant itself injected (CLAUDE.md, reminders) left out.
  ``asked`` counts the user's prompts among them.
* **tokens then**: what the session's reads of the file put in its context --
  the text of each ``Read`` result, read back from the transcript (Claude Code,
  whose file references carry the tool call's id; unknown for other assistants)
  -- counted with our tokenizer.
* **tokens now**: the file as it is on disk, counted the same way.
* **referred to again**: after the file's first read, an edit or write of it,
  or a later prompt or assistant text naming its path, its name, or a symbol
  it defines (``def``/``class``/``function``/``const``... names of 4 characters
  or more, taken from the text the read returned, else from the file now).
  A file read and never referred to again took context and, by this measure,
  gave nothing back.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import apsw
import msgspec

from ..core.models import Session
from ..sources.claude_code import tool_results
from . import tokens
from .export import MAX_FILE_BYTES

_READS = ("read",)
_CHANGES = ("edit", "write")
# A word and its dotted or slashed continuations: ``src/auth.py``, ``AuthService.login``.
_WORD = re.compile(r"[A-Za-z0-9_$]+(?:[./\\-][A-Za-z0-9_$]+)*")
_SYMBOL = re.compile(
    r"\b(?:def|class|function|func|fn|interface|type|struct|enum|trait|const|let|var|module|impl)\s+"
    r"([A-Za-z_$][\w$]{3,})"
)
_EXTENSIONS = frozenset(
    "py pyi ts tsx js jsx mjs cjs go rs java kt kts rb php c h cc cpp hpp cs swift scala sh bash zsh sql md "
    "json yaml yml toml ini cfg html css scss vue svelte proto graphql tf ex exs erl hs ml lua dart zig ipynb "
    "txt rst lock env".split()
)
# Names that look like files and are products: "Node.js is installed" names no file.
_NOT_FILES = frozenset(
    "node.js next.js nuxt.js vue.js react.js express.js three.js d3.js chart.js ember.js angular.js "
    "backbone.js socket.io bun.sh".split()
)
_WALK_LIMIT = 20_000  # directory entries looked at to find a file named only by its name
_SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", "dist", "build", ".tox"})


class Said(msgspec.Struct, gc=False):
    """One prompt or assistant text: when, by whom, and the words it names."""

    ts: float
    role: str  # user | assistant
    words: frozenset[str]


class FileContext(msgspec.Struct):
    path: str
    actions: list[str]  # read | edit | write | search | list, as the tool calls were
    reads: int
    edits: int  # edits and writes
    mentions: int  # prompts and assistant texts naming it
    asked: int  # of those, the user's prompts
    tokens_then: int | None  # what its reads put in context; None: unknown (not read, or no transcript text)
    tokens_now: int | None  # the file on disk now; None: see ``state``
    token_source: str | None  # exact | estimated, of the counts
    state: str  # counted | gone | directory | too large | unreadable
    referred_again: bool | None  # None: never read
    score: float | None = None  # relevance to the query asked, 0..1


class MentionedFile(msgspec.Struct):
    """A file the conversation names that the session never read, edited or searched."""

    name: str  # as first written
    path: str | None  # found on disk under the session's directory
    mentions: int
    asked: int
    tokens_now: int | None
    token_source: str | None
    score: float | None = None


class FileFacts(msgspec.Struct):
    files: list[FileContext]  # every file the tool calls touched, in the order first touched
    mentioned: list[MentionedFile]  # named, never touched; most asked first
    texts: dict[str, str]  # path -> what its reads returned, else its text now (for ranking)


def conversation(conn: apsw.Connection, sid: str) -> list[Said]:
    """The session's prompts and assistant texts in order, injected text cut."""
    from .memory.extract import spoken  # here: the memory package brings numpy, which the LSP's start need not pay

    out = []
    for ts, role, text in conn.execute(
        """SELECT ts, role, lsm_open(text) FROM messages WHERE session_id = ? AND kind IN ('prompt', 'text')
           ORDER BY ts, rowid""",
        (sid,),
    ):
        said = spoken(text)
        if said:
            out.append(Said(ts, role, frozenset(_names_in(said))))
    return out


def _names_in(text: str) -> Iterable[str]:
    """Each word, and each of a slashed word's tails (``a/b/c.py`` gives ``b/c.py`` and ``c.py``)."""
    for word in _WORD.findall(text):
        yield word
        parts = re.split(r"[/\\]", word)
        for n in range(1, len(parts)):
            yield "/".join(parts[n:])


def file_facts(conn: apsw.Connection, session: Session, said: list[Said]) -> FileFacts:
    refs: dict[str, list[tuple[str, float, str]]] = {}  # path -> [(key, ts, action)], in order
    for key, path, action, ts in conn.execute(
        "SELECT key, path, action, ts FROM file_refs WHERE session_id = ? ORDER BY ts, rowid", (session.id,)
    ):
        refs.setdefault(path, []).append((key, ts, action))
    read_keys = {key for uses in refs.values() for key, _ts, action in uses if action in _READS}
    returned = tool_results.result_texts(_claude_logs(conn, session), read_keys) if (
        read_keys and session.provider == "claude-code") else {}
    files, texts = [], {}
    for path, uses in refs.items():
        now_text, state = _read_now(path)
        then_texts = [returned[key] for key, _ts, action in uses if key in returned]
        text = "\n".join(then_texts) or now_text or ""
        texts[path] = text
        names = _names_of(path, session.cwd)
        counted = tokens.count_tokens(now_text, session.model, conn) if now_text is not None else None
        then = sum(tokens.count_tokens(t, session.model, conn).tokens for t in then_texts) if then_texts else None
        naming = [s for s in said if names & s.words]
        files.append(FileContext(
            path=path,
            actions=sorted({action for _k, _t, action in uses}),
            reads=sum(action in _READS for _k, _t, action in uses),
            edits=sum(action in _CHANGES for _k, _t, action in uses),
            mentions=len(naming),
            asked=sum(s.role == "user" for s in naming),
            tokens_then=then,
            tokens_now=counted.tokens if counted else None,
            token_source=counted.source if counted else ("estimated" if then is not None else None),
            state=state,
            referred_again=_referred_again(uses, names | _symbols(text), said),
        ))
    touched = {os.path.basename(p) for p in refs}
    return FileFacts(files, _mentioned(conn, session, said, touched), texts)


def _referred_again(uses: list[tuple[str, float, str]], names: set[str], said: list[Said]) -> bool | None:
    first = next((ts for _k, ts, action in uses if action in _READS), None)
    if first is None:
        return None
    if any(ts > first and action in _CHANGES for _k, ts, action in uses):
        return True
    return any(s.ts > first and names & s.words for s in said)


def _names_of(path: str, cwd: str | None) -> set[str]:
    names = {os.path.basename(path)}
    if cwd and path.startswith(cwd.rstrip("/") + "/"):
        names.add(os.path.relpath(path, cwd))
    return names


def _symbols(text: str) -> set[str]:
    return set(_SYMBOL.findall(text))


def _read_now(path: str) -> tuple[str | None, str]:
    """The file's text now and its state: counted, gone, directory, too large or unreadable."""
    try:
        if os.path.isdir(path):
            return None, "directory"
        if os.path.getsize(path) > MAX_FILE_BYTES:
            return None, "too large"
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(), "counted"
    except FileNotFoundError:
        return None, "gone"
    except OSError:
        return None, "unreadable"


def _claude_logs(conn: apsw.Connection, session: Session) -> list[Path]:
    """The session's transcript and its sub-agents' logs, as ingest found them."""
    sid = session.id
    return [Path(p) for (p,) in conn.execute(
        """SELECT path FROM source_files WHERE provider = 'claude-code'
           AND (path LIKE '%' || ? || '.jsonl' OR path LIKE '%' || ? || '/subagents/%')""",
        (sid, sid),
    )]


def _mentioned(conn: apsw.Connection, session: Session, said: list[Said], touched: set[str]) -> list[MentionedFile]:
    mentions: Counter[str] = Counter()
    asked: Counter[str] = Counter()
    first_seen: dict[str, str] = {}
    for s in said:
        named: dict[str, str] = {}
        for word in s.words:
            base = re.split(r"[/\\]", word)[-1]
            ext = base.rsplit(".", 1)[-1] if "." in base else ""
            # the longest spelling names it best: ``src/auth.py`` over ``auth.py``
            if ext.lower() in _EXTENSIONS and base not in touched and not base.startswith(".") \
                    and base.lower() not in _NOT_FILES and len(word) > len(named.get(base, "")):
                named[base] = word
        for base, word in named.items():
            mentions[base] += 1
            asked[base] += s.role == "user"
            if len(word) > len(first_seen.get(base, "")):
                first_seen[base] = word
    out = []
    for base in mentions:
        path = _find(first_seen[base], session.cwd)
        text, _state = _read_now(path) if path else (None, "gone")
        counted = tokens.count_tokens(text, session.model, conn) if text is not None else None
        out.append(MentionedFile(first_seen[base], path, mentions[base], asked[base],
                                 counted.tokens if counted else None, counted.source if counted else None))
    return sorted(out, key=lambda m: (-m.asked, -m.mentions, m.name))


def _find(name: str, cwd: str | None) -> str | None:
    """Where ``name`` is under ``cwd``: as a relative path, else the first file of that name (bounded search)."""
    if not cwd or not os.path.isdir(cwd):
        return None
    direct = os.path.join(cwd, name)
    if os.path.isfile(direct):
        return os.path.normpath(direct)
    if "/" in name:
        return None
    seen = 0
    for root, dirs, names in os.walk(cwd):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        if name in names:
            return os.path.join(root, name)
        seen += len(dirs) + len(names)
        if seen > _WALK_LIMIT:
            break
    return None
