"""What each response did, for ``usage --by tool|agent|mcp-server|skill``.

Read with the conversation (never by the usage-only pass), from the blocks it
has already decoded: each ``tool_use`` block is a call of the response whose
usage row it belongs to; each ``tool_result`` block the text that call put into
the context. The results of MCP tools, sub-agents and skills, whose footprint is
the question, are kept (secrets redacted) for our tokenizer, which a report runs
(store/attribution.py): loading it here would cost every status line that reads
a transcript. A built-in tool's output (files, command output: most of a
transcript's bytes) is estimated from its length, four bytes a token. A result
whose call an earlier chunk read is kept for the tokenizer when it is in text
parts, as MCP tools and sub-agents answer. A sidechain response ran in a
sub-agent: its log line names it (``agentId``, 2.x), a parent's ``progress`` line
relays it with the Task call that started it (``parentToolUseID``), the Task's
``toolUseResult`` names it too; a 1.x inline sidechain names nothing, and belongs
to the session's latest Task call (in the same chunk). Every row is keyed by the
log's own ids, so reading a log again adds nothing (store/migrations/018.sql).

The same blocks make the conversation's tool calls (``use``, migration 033):
every ``tool_use`` block, billed or not, with its input in a few words
(``sources/tool_input``) and the size of its result as logged.
"""

from __future__ import annotations

import msgspec

from ...core.models import Attribution
from ..base import DECODE_ERRORS
from ..tool_input import summary
from ._lines import AGENT_RESULT, CALL_INPUT, TOOL_OUTPUT, AgentResult, Block, Line

# The tools that start a sub-agent (``Agent`` is the later name of ``Task``) and the one that loads a skill.
AGENT_TOOLS = frozenset({"Task", "Agent"})
SKILL_TOOL = "Skill"


class Calls:
    """The attribution rows of one chunk."""

    __slots__ = ("at", "counted", "open_task", "rows", "seq", "used")

    def __init__(self, rows: Attribution) -> None:
        self.rows = rows
        self.seq: dict[str, int] = {}  # dedup key -> calls of that response seen so far
        self.counted: dict[str, bool] = {}  # call id -> its result is tokenized (an MCP tool, sub-agent or skill)
        self.at: dict[str, int] = {}  # call id -> where in ``rows.calls`` it is, for its result's tokens
        self.open_task: dict[str, str] = {}  # session -> its latest main-chain Task call (for 1.x sidechains)
        self.used: dict[str, int] = {}  # call id -> where in ``rows.uses`` it is, for its result's size

    def sidechain(self, line: Line, key: str, session_id: str) -> None:
        """A sidechain response: the sub-agent it ran in, if the log says or a Task call is open."""
        agent = line.agentId or self.open_task.get(session_id)
        if agent is not None:
            if not line.agentId:
                self.rows.runs.append((agent, agent, None))  # a 1.x sidechain: named after its Task call
            self.rows.agents.append((key, agent))

    def call(self, line: Line, block: Block, key: str, session_id: str) -> None:
        """A ``tool_use`` block of the response keyed ``key``."""
        call, name = block.id, block.name
        if not call or not name:
            return
        detail = None
        special = name in AGENT_TOOLS or name == SKILL_TOOL
        self.counted[call] = special or name.startswith("mcp__")
        if special:
            detail = _detail(block)
            if name in AGENT_TOOLS and not line.isSidechain:
                self.open_task[session_id] = call
        seq = self.seq.get(key, 0)
        self.seq[key] = seq + 1
        self.at[call] = len(self.rows.calls)
        self.rows.calls.append((key, call, session_id, seq, name, detail, None))

    def use(self, block: Block, session_id: str, when: float, seq: int, message_key: str | None) -> None:
        """A ``tool_use`` block as the conversation shows it, made by the response whose text is
        ``message_key``. A row is a list: its result's size is filled in when the result comes."""
        call, name = block.id, block.name
        if not call or not name or call in self.used:  # a response written again (streamed) repeats its calls
            return
        self.used[call] = len(self.rows.uses)
        self.rows.uses.append([session_id, call, when, seq, name, summary(block.input), None, message_key])

    def relayed(self, key: str, agent_id: str | None, task_id: str | None) -> None:
        """A sub-agent's response as a parent's ``progress`` line relays it."""
        if agent_id:
            self.rows.agents.append((key, agent_id))
            if task_id:
                self.rows.runs.append((agent_id, task_id, None))

    def result(self, line: Line, block: Block, session_id: str) -> None:
        """A tool_result block: the tokens its text added, and the sub-agent a Task result names."""
        call = block.tool_use_id
        if not call:
            return
        used = self.used.get(call)
        if used is None:
            self.rows.outputs.append((len(block.content), session_id, call))
        else:
            self.rows.uses[used][6] = len(block.content)
        counted = self.counted.get(call)  # None: called in an earlier chunk
        at = self.at.get(call)
        if counted or (counted is None and _looks_counted(block.content)):
            self.rows.results.append((call, session_id, None, _text(block.content)))  # counted by a report
        elif at is None:
            self.rows.results.append((call, session_id, _estimate(block.content), None))
        else:
            calls = self.rows.calls
            calls[at] = (*calls[at][:6], _estimate(block.content))
        raw = line.toolUseResult
        if raw and counted is not False and b'"agentId"' in bytes(raw):
            try:
                record = AGENT_RESULT.decode(raw)
            except msgspec.DecodeError:
                return
            if isinstance(record, AgentResult) and record.agentId:
                self.rows.runs.append((record.agentId, call, record.agentType))


def _detail(block: Block) -> str | None:
    """A Skill call's skill, or a Task/Agent call's sub-agent type."""
    if not block.input:
        return None
    try:
        given = CALL_INPUT.decode(block.input)
    except msgspec.DecodeError:
        return None
    return given.skill if block.name == SKILL_TOOL else given.subagent_type


def _estimate(raw: msgspec.Raw) -> int:
    """A built-in tool's output in tokens, from its length: four bytes a token."""
    return (len(raw) + 3) // 4


def _looks_counted(raw: msgspec.Raw) -> bool:
    """For a result whose call an earlier chunk read: text parts, as MCP tools and sub-agents answer."""
    return bool(raw) and memoryview(raw)[:1] == b"["


def _text(raw: msgspec.Raw) -> str:
    """A tool result's text (a string, or its text parts; images are not text)."""
    if not raw:
        return ""
    try:
        output = TOOL_OUTPUT.decode(raw)
    except DECODE_ERRORS:
        return ""
    if isinstance(output, tuple):
        return "\n".join(part.text for part in output if part.text)
    return output or ""
