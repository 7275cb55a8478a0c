"""Claude Code transcripts as Claude Code 2.0.x writes them, one line at a time.

A session lives in ``projects/<cwd, non-alphanumerics as ->/<sessionId>.jsonl``, a
sub-agent in ``agent-<id>.jsonl`` beside it. A streamed response is one line per
content block, with the same ``message.id`` and ``requestId`` on each and the final
``output_tokens`` only on the last; a resumed session copies the earlier conversation
under its new id. Lines are string templates around JSON encoded once, which is what
makes the benchmark corpus cheap; every line is still valid JSON.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from ._claude_tools import Files, Op, text_block, thinking_block
from ._format import Ids, LogFile, dumps, iso, tokens

CLAUDE_VERSION = "2.0.31"
CLAUDE_WINDOW = 200_000
OPUS, OPUS_41 = "claude-opus-4-5-20251101", "claude-opus-4-1-20250805"
SONNET, SONNET_4, HAIKU = "claude-sonnet-4-5-20250929", "claude-sonnet-4-20250514", "claude-haiku-4-5-20251001"


def project_dir(cwd: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "-", cwd)


class Response(NamedTuple):
    """One billed API response, as a correct reader counts it once."""

    at: datetime
    input: int
    output: int
    cache_creation: int
    cache_read: int


class Transcript(LogFile):
    """One Claude Code .jsonl file: its common fields, parent chain, clock and context."""

    def __init__(
        self, ids: Ids, session_id: str, cwd: str, branch: str, model: str, clock: datetime, agent_id: str = ""
    ) -> None:
        super().__init__(ids, clock)
        self.session_id, self.cwd, self.model = session_id, cwd, model
        self.agent_id = agent_id
        self.head = (
            f'"isSidechain":{"true" if agent_id else "false"},"userType":"external","cwd":{dumps(cwd)},'
            f'"sessionId":"{session_id}","version":"{CLAUDE_VERSION}","gitBranch":{dumps(branch)}'
            + (f',"agentId":"{agent_id}"' if agent_id else "")
        )
        self.size = 0  # characters so far
        self.parent: str | None = None
        self.context = 0  # tokens in the window of the last call
        self.pending = 0  # tokens added since: prompts, the last output, tool results
        self.responses: list[Response] = []

    def _emit(self, line: str) -> None:
        self.lines.append(line)
        self.size += len(line)

    def _link(self) -> tuple[str, str]:
        parent = "null" if self.parent is None else f'"{self.parent}"'
        self.parent = self.ids.uuid4()
        return parent, self.parent

    def _user(self, content: str, extra: str = "") -> None:
        parent, uid = self._link()
        self._emit(
            f'{{"parentUuid":{parent},{self.head},"type":"user","message":{{"role":"user","content":{content}}}'
            f'{extra},"uuid":"{uid}","timestamp":"{iso(self.clock)}"}}\n'
        )

    def prompt(self, text: str) -> None:
        if not self.agent_id:
            mid, ts = self.ids.uuid4(), iso(self.clock)
            self._emit(
                f'{{"type":"file-history-snapshot","messageId":"{mid}","snapshot":{{"messageId":"{mid}",'
                f'"trackedFileBackups":{{}},"timestamp":"{ts}"}},"isSnapshotUpdate":false}}\n'
            )
        self._user(dumps(text))
        self.pending += tokens(text)

    def respond(self, blocks: list[str], output: int, stop: str) -> None:
        """One API response: a line per content block, the same ids on each, final usage on the last."""
        rng = self.rng
        msg, req = "msg_01" + self.ids.b58(22), "req_011C" + self.ids.b58(21)
        if self.context == 0:  # the system prompt and tools, often still cached from another session
            read = rng.choice((0, rng.randint(11_000, 15_000)))
            creation = self.pending + (rng.randint(12_000, 16_000) if read == 0 else rng.randint(900, 3_000))
        else:
            read, creation = self.context, self.pending
        inp, partial = rng.randint(1, 9), rng.randint(1, 8)
        hour = not self.agent_id  # Claude Code 2.x caches the main chain for an hour, sub-agents for 5 minutes
        for i, block in enumerate(blocks):
            last = i == len(blocks) - 1
            parent, uid = self._link()
            self._emit(
                f'{{"parentUuid":{parent},{self.head},"message":{{"model":"{self.model}","id":"{msg}",'
                f'"type":"message","role":"assistant","content":[{block}],'
                f'"stop_reason":{dumps(stop) if last else "null"},"stop_sequence":null,"usage":{{"input_tokens":{inp},'
                f'"cache_creation_input_tokens":{creation},"cache_read_input_tokens":{read},"cache_creation":'
                f'{{"ephemeral_5m_input_tokens":{0 if hour else creation},'
                f'"ephemeral_1h_input_tokens":{creation if hour else 0}}},'
                f'"output_tokens":{output if last else min(partial, output - 1)},"service_tier":"standard"}}}},'
                f'"requestId":"{req}","type":"assistant","uuid":"{uid}","timestamp":"{iso(self.clock)}"}}\n'
            )
            if not last:
                self.wait(0.3, 4)
        self.responses.append(Response(self.clock, inp, output, creation, read))
        self.context, self.pending = inp + creation + read, output

    def tool_result(self, op: Op) -> None:
        error = ',"is_error":true' if op.error else ""
        self._user(
            f'[{{"tool_use_id":"{op.id}","type":"tool_result","content":{op.result}{error}}}]',
            f',"toolUseResult":{op.detail}',
        )
        self.pending += op.tokens

    def api_error(self, status: int, kind: str, message: str) -> None:
        """What Claude Code logs when a request fails: a synthetic message with zero usage."""
        text = f'API Error: {status} {{"type":"error","error":{{"type":"{kind}","message":"{message}"}}}}'
        parent, uid = self._link()
        self._emit(
            f'{{"parentUuid":{parent},{self.head},"type":"assistant","uuid":"{uid}","timestamp":"{iso(self.clock)}",'
            f'"message":{{"id":"{self.ids.uuid4()}","container":null,"model":"<synthetic>","role":"assistant",'
            f'"stop_reason":"stop_sequence","stop_sequence":"","type":"message","usage":{{"input_tokens":0,'
            f'"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"server_tool_use":'
            f'{{"web_search_requests":0}},"service_tier":null,"cache_creation":{{"ephemeral_1h_input_tokens":0,'
            f'"ephemeral_5m_input_tokens":0}}}},"content":[{text_block(text)}],"context_management":null}},'
            f'"isApiErrorMessage":true}}\n'
        )

    def summary(self, text: str) -> None:
        self._emit(f'{{"type":"summary","summary":{dumps(text)},"leafUuid":"{self.ids.uuid4()}"}}\n')

    def compact(self, summary: str) -> None:
        """Auto-compact: a boundary line, then the summary as a user message; the context restarts."""
        uid = self.ids.uuid4()
        self._emit(
            f'{{"parentUuid":null,"logicalParentUuid":"{self.parent}",{self.head},"type":"system",'
            f'"subtype":"compact_boundary","content":"Conversation compacted","isMeta":false,'
            f'"timestamp":"{iso(self.clock)}","uuid":"{uid}","level":"info",'
            f'"compactMetadata":{{"trigger":"auto","preTokens":{self.context}}}}}\n'
        )
        self.parent = uid
        text = (
            "This session is being continued from a previous conversation that ran out of context."
            " The conversation is summarized below:\n" + summary
        )
        self._user(dumps(text), ',"isVisibleInTranscriptOnly":true,"isCompactSummary":true')
        self.context, self.pending = 0, tokens(text)

    def replay(self, earlier: Transcript, max_chars: int) -> None:
        """Resume: Claude Code copies the earlier conversation into the new file under the new session id."""
        old, new = f'"sessionId":"{earlier.session_id}"', f'"sessionId":"{self.session_id}"'
        for line in earlier.lines:
            if self.size >= max_chars:
                break
            if '"parentUuid"' in line:
                self._emit(line.replace(old, new, 1))
                at = line.rindex('"uuid":"') + 8
                self.parent = line[at : line.index('"', at)]
        self.context, self.pending = earlier.context, earlier.pending

    @property
    def relpath(self) -> Path:
        """Where Claude Code keeps this file, under its config dir."""
        name = f"agent-{self.agent_id}.jsonl" if self.agent_id else f"{self.session_id}.jsonl"
        return Path("projects") / project_dir(self.cwd) / name

    def not_before(self, minutes: float) -> None:
        """The user comes back ``minutes`` after the session started, or at once if that has passed."""
        self.clock = max(self.clock, self.started + timedelta(minutes=minutes))


LEADS = [
    "Let me look at how this is wired up first.",
    "I'll check the existing implementation.",
    "Now let me look at the related code.",
    "Let me verify that with the tests.",
    "I'll make the change now.",
]


def step(t: Transcript, files: Files, kind: str, arg: str, lead: str = "", thought: str = "") -> None:
    """The assistant calls one tool, optionally thinking and saying why first, and gets the result."""
    op = files.op(kind, arg)
    t.wait(2, 12)
    blocks = ([thinking_block(t.ids, thought)] if thought else []) + ([text_block(lead)] if lead else []) + [op.use]
    t.respond(blocks, t.rng.randint(200, 900) if thought else t.rng.randint(40, 420), "tool_use")
    t.wait(0.2, 8 if kind.startswith("bash") else 1.5)
    t.tool_result(op)


Steps = list[tuple[str, str]]


def turn(t: Transcript, files: Files, prompt: str, steps: Steps, answer: str, thought: str = "") -> None:
    """A prompt, the tool calls it takes (every other one explained), and the answer."""
    t.prompt(prompt)
    for n, (kind, arg) in enumerate(steps):
        lead = LEADS[(len(t.lines) + n) % len(LEADS)] if n % 2 == 0 else ""
        step(t, files, kind, arg, lead, thought if n == 0 else "")
    t.wait(5, 30)
    t.respond([text_block(answer)], tokens(answer) + t.rng.randint(20, 200), "end_turn")
