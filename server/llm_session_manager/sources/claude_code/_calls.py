"""What each response did, for ``usage --by tool|agent|mcp-server|skill``.

Read with the conversation (never by the usage-only pass), from the blocks it
has already decoded: each ``tool_use`` block is a call of the response whose
usage row it belongs to; each ``tool_result`` block the text that call put into
the context, counted with our tokenizer (an estimate: Claude's own tokenizer is
not public). A sidechain response ran in a sub-agent: its log line names it
(``agentId``, 2.x), a parent's ``progress`` line relays it with the Task call
that started it (``parentToolUseID``), the Task's ``toolUseResult`` names it
too; a 1.x inline sidechain names nothing, and belongs to the session's latest
Task call. Every row is keyed by the log's own ids, so reading a log again adds
nothing (store/migrations/018.sql).
"""

from __future__ import annotations

import msgspec

from ...core.encoding import count_o200k
from ...core.models import Attribution
from ..base import DECODE_ERRORS
from ._lines import AGENT_RESULT, CALL_INPUT, TOOL_OUTPUT, AgentResult, Block, Line

# The tools that start a sub-agent (``Agent`` is the later name of ``Task``) and the one that loads a skill.
AGENT_TOOLS = frozenset({"Task", "Agent"})
SKILL_TOOL = "Skill"


class Calls:
    """The attribution rows of one chunk."""

    __slots__ = ("open_task", "rows", "seq")

    def __init__(self, rows: Attribution) -> None:
        self.rows = rows
        self.seq: dict[str, int] = {}  # dedup key -> calls of that response seen so far
        self.open_task: dict[str, str] = {}  # session -> its latest main-chain Task call (for 1.x sidechains)

    def response(self, line: Line, blocks: tuple[Block, ...], key: str, session_id: str) -> None:
        """A response's tool calls, and the sub-agent it ran in if it is a sidechain's."""
        if line.isSidechain:
            agent = line.agentId or self.open_task.get(session_id)
            if agent is not None:
                if not line.agentId:
                    self.rows.runs.append((agent, agent, None))  # a 1.x sidechain: named after its Task call
                self.rows.agents.append((key, agent))
        for block in blocks:
            if block.type != "tool_use" or not block.id or not block.name:
                continue
            name = block.name
            detail = None
            if name in AGENT_TOOLS or name == SKILL_TOOL:
                detail = _detail(block)
                if name in AGENT_TOOLS and not line.isSidechain:
                    self.open_task[session_id] = block.id
            seq = self.seq.get(key, 0)
            self.seq[key] = seq + 1
            self.rows.calls.append((block.id, session_id, key, seq, name, detail))

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
        self.rows.results.append((call, session_id, _tokens(block.content)))
        raw = line.toolUseResult
        if raw and b'"agentId"' in bytes(raw):
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


def _tokens(raw: msgspec.Raw) -> int:
    """o200k tokens of a tool result's text (a string, or text parts; images are not text)."""
    if not raw:
        return 0
    try:
        output = TOOL_OUTPUT.decode(raw)
    except DECODE_ERRORS:
        return 0
    if isinstance(output, tuple):
        return sum(count_o200k(part.text) for part in output if part.text)
    return count_o200k(output) if output else 0
