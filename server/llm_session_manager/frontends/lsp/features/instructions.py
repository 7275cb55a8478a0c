"""What an assistant's instruction file costs: hover, code lens and a budget diagnostic.

CLAUDE.md, AGENTS.md, GEMINI.md, .cursorrules and .github/copilot-instructions.md
are sent with every turn of every session in their project, so each token in
them is paid again and again. The count uses the tokenizer of the model the
assistant actually runs here: the model of that assistant's latest session in
the file's project (else anywhere), else a default per assistant
(``services.tokens`` says whether the count is exact or estimated).

* hover: the file's cost, its budget, and the cost of the section under the cursor;
* code lens: the file's cost on line 1 and each section's on its heading;
* a Warning diagnostic while the file is over ``DEFAULT_BUDGET_TOKENS``.

Section costs split the file's count in proportion to their o200k counts, so
the file needs one exact count (one API call, for Claude with a key), not one
per section.
"""

from __future__ import annotations

import hashlib
import os
from typing import NamedTuple

import apsw
import trio
from lsprotocol import types
from pygls.workspace import TextDocument

from ....services import context_instructions, context_report, tokens
from ....services.context_instructions import Section
from ..feature import Feature

# Tokens an instruction file may cost per turn before it is flagged. The config
# will own this (and per-assistant overrides); until then, this default.
DEFAULT_BUDGET_TOKENS = 2_000
DEBOUNCE_S = 0.2  # while typing, count once the edits pause
SOURCE = "llm-session"


class Assistant(NamedTuple):
    name: str
    provider: str
    default_model: str | None  # its usual model, when no session says which one


# File name -> the assistant that sends it with every turn.
ASSISTANTS = {
    "CLAUDE.md": Assistant("Claude Code", "claude-code", "claude-sonnet-4-5"),
    "AGENTS.md": Assistant("Codex", "codex", "gpt-5-codex"),
    "GEMINI.md": Assistant("Gemini CLI", "gemini", "gemini-2.5-pro"),
    ".cursorrules": Assistant("Cursor", "cursor", None),
    "copilot-instructions.md": Assistant("GitHub Copilot", "copilot", "gpt-4.1"),  # in .github/
}


class Cost(NamedTuple):
    assistant: Assistant
    counted: tokens.TokenCount  # not `count`, which would shadow tuple.count
    budget: int
    sections: list[Section]
    # Whether each section (by line) was relevant to the latest session of the
    # assistant here, and that session's id; empty without one (context_instructions).
    relevant: dict[int, bool]
    session: str | None

    @property
    def over(self) -> int:
        return self.counted.tokens - self.budget


def assistant_for(path: str) -> Assistant | None:
    """The assistant whose instruction file ``path`` is, if it is one."""
    name = os.path.basename(path)
    if name == "copilot-instructions.md":
        return ASSISTANTS[name] if os.path.basename(os.path.dirname(path)) == ".github" else None
    return ASSISTANTS.get(name)


class InstructionFiles(Feature):
    def __init__(self, server) -> None:
        super().__init__(server)
        self._costs: dict[str, tuple[str, Cost]] = {}  # uri -> (text digest, cost)
        self._pending: dict[str, trio.CancelScope] = {}  # uri -> its debounced publish

    def register(self) -> None:
        self.on(types.TEXT_DOCUMENT_HOVER, self.hover)
        self.on(types.TEXT_DOCUMENT_CODE_LENS, self.code_lens)

    # --- diagnostics -----------------------------------------------------------

    async def document_changed(self, document: TextDocument) -> None:
        if assistant_for(document.path) is None:
            return
        if (old := self._pending.pop(document.uri, None)) is not None:
            old.cancel()
        scope = self._pending[document.uri] = trio.CancelScope()
        self.server.spawn(self._publish_later, document.uri, scope)

    async def document_closed(self, uri: str) -> None:
        if (old := self._pending.pop(uri, None)) is not None:
            old.cancel()
        if self._costs.pop(uri, None) is not None:
            self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    async def _publish_later(self, uri: str, scope: trio.CancelScope) -> None:
        with scope:
            await trio.sleep(DEBOUNCE_S)
            document = self.server.workspace.get_text_document(uri)
            cost = await self.cost(document)
            diagnostics = [] if cost.over <= 0 else [_over_budget(document, cost)]
            self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=uri, version=document.version, diagnostics=diagnostics,
            ))
        if self._pending.get(uri) is scope:
            del self._pending[uri]

    # --- hover and code lens ---------------------------------------------------

    async def hover(self, params: types.HoverParams) -> types.Hover | None:
        document = self.server.workspace.get_text_document(params.text_document.uri)
        if assistant_for(document.path) is None:
            return None
        cost = await self.cost(document)
        line = params.position.line
        lines = [f"**{document.filename}: {_describe(cost)}**", "", _budget_line(cost)]
        section = next((s for s in cost.sections if s.line <= line < s.end), None)
        if section is not None and section.heading is not None:
            lines += ["", f"This section (`{section.heading}`): about {section.tokens:,} tokens{_relevance(cost, section)}."]
        lines += ["", f"Sent by {cost.assistant.name} with every turn; counted with `{cost.counted.method}`."]
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n".join(lines)))

    async def code_lens(self, params: types.CodeLensParams) -> list[types.CodeLens] | None:
        document = self.server.workspace.get_text_document(params.text_document.uri)
        if assistant_for(document.path) is None:
            return None
        cost = await self.cost(document)
        title = f"{_describe(cost)} · budget {cost.budget:,}"
        # Each section's cost on its heading; a heading on line 1 has the file's lens.
        idle = [s for s in cost.sections if cost.relevant.get(s.line) is False]
        if idle and cost.session:
            title += f" · {len(idle)} of {len(cost.sections)} sections never relevant in session {cost.session[:8]}"
        lenses = [_lens(0, title)]
        lenses += [_lens(s.line, f"about {s.tokens:,} tokens" + _relevance(cost, s))
                   for s in cost.sections if s.heading and s.line]
        return lenses

    # --- counting ----------------------------------------------------------------

    async def cost(self, document: TextDocument) -> Cost:
        """The document's cost, counted again only when its text changed."""
        text = document.source
        digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()
        cached = self._costs.get(document.uri)
        if cached is not None and cached[0] == digest:
            return cached[1]
        assistant = assistant_for(document.path)
        assert assistant is not None
        root = _project_root(document.path)
        cost = await self.server.engine.run(self._measure, text, assistant, root)
        self._costs[document.uri] = (digest, cost)
        return cost

    def _measure(self, text: str, assistant: Assistant, root: str) -> Cost:
        """In a worker thread. The store is optional: it only helps choose the model."""
        conn = self.server.engine.connection_or_none()
        model = (_model_in_use(conn, assistant.provider, root) if conn else None) or assistant.default_model
        count = tokens.count_tokens(text, model, conn)
        found = context_instructions.sections(text, count.tokens)
        try:
            latest = context_report.latest_words(conn, assistant.provider, root) if conn else None
        except apsw.Error:
            latest = None  # a damaged store: the costs still show, without relevance
        if latest is None:
            return Cost(assistant, count, DEFAULT_BUDGET_TOKENS, found, {}, None)
        lines = text.splitlines()
        relevant = {s.line: context_instructions.is_relevant("\n".join(lines[s.line:s.end]), latest[1]) for s in found}
        return Cost(assistant, count, DEFAULT_BUDGET_TOKENS, found, relevant, latest[0])


def _model_in_use(conn: apsw.Connection, provider: str, root: str) -> str | None:
    """The model of the assistant's latest session in ``root`` (else anywhere)."""
    under = root.rstrip("/").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"
    try:
        row = conn.execute(
            """SELECT model FROM sessions
               WHERE provider = ? AND model IS NOT NULL AND model NOT LIKE '<%'
               ORDER BY (cwd = ? OR cwd LIKE ? ESCAPE '\\') DESC, last_activity DESC LIMIT 1""",
            (provider, root, under),
        ).fetchone()
    except apsw.Error:
        return None
    return row[0] if row else None


def _project_root(path: str) -> str:
    parent = os.path.dirname(path)
    return os.path.dirname(parent) if os.path.basename(parent) == ".github" else parent


def _describe(cost: Cost) -> str:
    exact = "exact" if cost.counted.source == "exact" else "estimated"
    model = cost.counted.model or "o200k"
    return f"{cost.counted.tokens:,} tokens every turn ({exact}, {model})"


def _budget_line(cost: Cost) -> str:
    if cost.over > 0:
        return f"Over the {cost.budget:,}-token budget by {cost.over:,} tokens."
    return f"Within the {cost.budget:,}-token budget ({cost.budget - cost.counted.tokens:,} to spare)."


def _over_budget(document: TextDocument, cost: Cost) -> types.Diagnostic:
    first = document.lines[0].rstrip("\r\n") if document.lines else ""
    end = document.position_codec.client_num_units(first)
    return types.Diagnostic(
        range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=end)),
        severity=types.DiagnosticSeverity.Warning,
        source=SOURCE,
        code="instruction-budget",
        message=(
            f"{document.filename} costs {cost.counted.tokens:,} tokens with every turn "
            f"({cost.counted.source}, {cost.counted.model or 'o200k'}), {cost.over:,} over the "
            f"{cost.budget:,}-token budget. Move what is needed only sometimes into files "
            f"{cost.assistant.name} can read on demand."
        ),
    )


def _relevance(cost: Cost, section: Section) -> str:
    """What the lens adds about a section whose words the latest session never used (a heuristic)."""
    if cost.session and cost.relevant.get(section.line) is False:
        return f" · never relevant in session {cost.session[:8]}"
    return ""


def _lens(line: int, title: str) -> types.CodeLens:
    at = types.Position(line=line, character=0)
    # No command id: the lens is a label, there is nothing to run.
    return types.CodeLens(range=types.Range(start=at, end=at), command=types.Command(title=title, command=""))

