"""A session's context, measured: its files, its instruction files and MCP tools, and what to cut.

Gathers ``context_files`` (what each file cost then and now, which were never
referred to again, which were asked about but never loaded),
``context_instructions`` (what is paid on every turn, section by section) and,
with a query, ``context_rank`` (relevance by words and vectors); then says
what to do, each suggestion with the tokens it saves. Every figure from our
tokenizer is ``estimated`` (``services.tokens`` says when a count is exact).
``llm-session context ID``, the MCP ``optimize_context`` tool and the LSP
code lens on instruction files all read this.
"""

from __future__ import annotations

from pathlib import Path

import apsw
import msgspec

from ..core.config import Config
from ..core.models import Context
from . import context_files, context_instructions, context_rank, sessions
from .context_files import FileContext, MentionedFile
from .context_instructions import InstructionFile, McpServer

ASKED_AT_LEAST = 2  # prompts naming a file never loaded before it is worth a suggestion


class Suggestion(msgspec.Struct):
    kind: str  # unused_reads | asked_not_in_context | irrelevant_sections
    message: str
    paths: list[str]
    saving_tokens: int | None  # what acting on it saves; None: it costs (``adds_tokens``)
    adds_tokens: int | None  # what loading the file would cost
    per: str  # session (once) | turn (on every turn)
    source: str  # estimated | exact


class ContextReport(msgspec.Struct):
    session_id: str
    provider: str
    model: str | None
    cwd: str | None
    context: Context
    turns: int  # main-chain responses
    query: str | None
    files: list[FileContext]  # costliest first; with a query, most relevant first
    mentioned: list[MentionedFile]  # named but never loaded, most asked first
    instructions: list[InstructionFile]
    mcp_servers: list[McpServer]
    suggestions: list[Suggestion]  # biggest saving first


def build(conn: apsw.Connection, config: Config, ref: str, *, query: str | None = None,
          own_tools: tuple[int, int] | None = None, home: Path | None = None) -> ContextReport:
    """The report for session ``ref`` (id or unique prefix).

    ``own_tools``: (tools, tokens) of this server's MCP tool list, which the
    MCP frontend measures; without it our server's cost is ``unknown``.
    """
    session = sessions.get_session(conn, config, ref)
    said = context_files.conversation(conn, session.id)
    facts = context_files.file_facts(conn, session, said)
    used = _used(said, [f.path for f in facts.files])
    turns: int = next(iter(conn.execute(
        "SELECT count(*) FROM usage WHERE session_id = ? AND NOT sidechain", (session.id,))))[0]
    instructions = context_instructions.instruction_files(session, used, turns, conn, home)
    files = sorted(facts.files, key=lambda f: (_cost(f) is None, -(_cost(f) or 0), f.path))
    mentioned = facts.mentioned
    if query:
        docs = [(f.path, facts.texts.get(f.path, "")) for f in files]
        docs += [(m.path or m.name, _text(m.path)) for m in mentioned]
        ranked = context_rank.scores(query, docs)
        for f, score in zip(files, ranked):
            f.score = score
        for m, score in zip(mentioned, ranked[len(files):]):
            m.score = score
        files.sort(key=lambda f: -(f.score or 0.0))
        mentioned.sort(key=lambda m: -(m.score or 0.0))
    return ContextReport(
        session_id=session.id,
        provider=session.provider,
        model=session.model,
        cwd=session.cwd,
        context=session.context,
        turns=turns,
        query=query,
        files=files,
        mentioned=mentioned,
        instructions=instructions,
        mcp_servers=context_instructions.mcp_servers(session, own_tools, home),
        suggestions=suggest(files, mentioned, instructions, turns),
    )


def suggest(files: list[FileContext], mentioned: list[MentionedFile],
            instructions: list[InstructionFile], turns: int) -> list[Suggestion]:
    """What to do, the biggest saving over the session first (a per-turn saving counts once per turn)."""
    out = []
    unused = [f for f in files if f.referred_again is False]
    if unused:
        saving = sum(_cost(f) or 0 for f in unused)
        out.append(Suggestion(
            "unused_reads",
            f"{_n(len(unused), 'file')} read and never referred to again: {saving:,} tokens",
            [f.path for f in unused], saving, None, "session", "estimated"))
    for m in mentioned:
        if m.asked >= ASKED_AT_LEAST:
            where = f" ({m.path}, {m.tokens_now:,} tokens to add)" if m.path and m.tokens_now is not None else (
                " (not found on disk)" if not m.path else "")
            out.append(Suggestion(
                "asked_not_in_context",
                f"{m.name.rsplit('/', 1)[-1]} asked about {_n(m.asked, 'time')} but not in context{where}",
                [m.path or m.name], None, m.tokens_now, "session", m.token_source or "estimated"))
    for doc in instructions:
        idle = [s for s in doc.sections if not s.relevant]
        if doc.applies and idle:
            saving = sum(s.tokens for s in idle)
            names = ", ".join(f"{s.heading or '(top)'} ({s.tokens:,})" for s in idle)
            out.append(Suggestion(
                "irrelevant_sections",
                f"{Path(doc.path).name} costs {doc.tokens_per_turn:,} tokens on every turn; "
                f"these sections were never relevant: {names}",
                [doc.path], saving, None, "turn", "estimated"))
    return sorted(out, key=lambda s: -(s.saving_tokens or 0) * (turns if s.per == "turn" else 1))


def _cost(f: FileContext) -> int | None:
    """What the file cost the session: its reads' text when known, else the file now."""
    return f.tokens_then if f.tokens_then is not None else f.tokens_now


def _text(path: str | None) -> str:
    if not path:
        return ""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(context_rank.TEXT_CHARS)
    except OSError:
        return ""


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def latest_words(conn: apsw.Connection, provider: str, root: str) -> tuple[str, set[str]] | None:
    """The latest ``provider`` session working in ``root`` (or below it), and the keywords it used.

    What an instruction file's sections are judged against in an editor
    (``context_instructions.is_relevant``); None when no such session is stored.
    """
    under = root.rstrip("/").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"
    row = conn.execute(
        """SELECT id FROM sessions WHERE provider = ? AND (cwd = ? OR cwd LIKE ? ESCAPE '\\')
           ORDER BY last_activity DESC LIMIT 1""",
        (provider, root, under),
    ).fetchone()
    if row is None:
        return None
    said = context_files.conversation(conn, row[0])
    paths = [p for (p,) in conn.execute("SELECT DISTINCT path FROM file_refs WHERE session_id = ?", row)]
    return row[0], _used(said, paths)


def _used(said: list[context_files.Said], paths: list[str]) -> set[str]:
    """The keywords of a session's prompts, assistant texts and file paths."""
    return context_instructions.keywords(" ".join(w for s in said for w in s.words) + " " + " ".join(paths))
