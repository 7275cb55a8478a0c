"""What a session pays on every turn before anyone types: instruction files and MCP tool definitions.

Instruction files (CLAUDE.md, AGENTS.md, GEMINI.md, .cursorrules,
.github/copilot-instructions.md) are found in the session's directory and
each directory above it, plus the assistant's user-level file. Each is split
into its markdown sections with their share of its tokens.

A section is **relevant** when the session's conversation uses its words: of
the section's keywords (words of 4 letters or more, common words left out), at
least two, or a fifth if it has more than ten, appear in a prompt, an
assistant text or a file path of the session. A heuristic: a section the model
obeys silently ("4-space indents") is used without being named. It says where
to look, not what to delete.

MCP tool definitions are sent with every turn too, but transcripts do not hold
them. The servers come from the assistant's MCP configuration; this server's
own tools are measured (``estimated``: their ``tools/list`` entries counted with
our tokenizer), any other server's cost is ``unknown``.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

from ..core import assistant_files
from ..core.models import Session
from ..core.stopwords import STOPWORDS
from . import tokens
from .markdown_sections import section_bounds

# File name -> the provider that sends it with every turn.
INSTRUCTION_FILES = {
    "CLAUDE.md": "claude-code",
    "CLAUDE.local.md": "claude-code",
    "AGENTS.md": "codex",
    "GEMINI.md": "gemini",
    ".cursorrules": "cursor",
    ".github/copilot-instructions.md": "copilot",
}
_GENERIC = frozenset(
    "also always before after each every just like make more most must need never only other over same "
    "should some such sure than that them then there these this those through under until used uses using "
    "very want well what when where which while will with without would your file files code".split()
)
_KEYWORD = re.compile(r"[a-z][a-z0-9_]{3,}")


class Section(NamedTuple):
    line: int  # of its heading (0 for text before the first heading)
    end: int  # first line after it
    heading: str | None
    tokens: int


class InstructionSection(msgspec.Struct):
    heading: str | None  # None: the text before the first heading
    line: int  # 0-based line of its heading
    tokens: int  # its share of the file's count
    relevant: bool  # see the module docstring: a heuristic


class InstructionFile(msgspec.Struct):
    path: str
    provider: str  # the assistant that sends it
    applies: bool  # sent by this session's assistant
    tokens_per_turn: int
    token_source: str  # exact | estimated
    turns: int  # the session's main-chain responses, each of which carried it
    sections: list[InstructionSection]


class McpServer(msgspec.Struct):
    name: str
    config: str  # the file that configures it
    tools: int | None  # None: unknown
    tokens_per_turn: int | None  # None: unknown
    source: str  # estimated | unknown


def sections(text: str, total: int) -> list[Section]:
    """Markdown sections (a heading to the next), with their share of ``total`` tokens.

    Shares follow each section's o200k count, so a file needs one exact count
    (one API call, for Claude with a key), not one per section.
    """
    lines = text.splitlines()
    bounds = section_bounds(lines)
    raw = [tokens.count_tokens("\n".join(lines[line:end]), None).tokens for line, _, end in bounds]
    scale = total / sum(raw) if sum(raw) else 0.0
    return [Section(line, end, heading, round(n * scale))
            for (line, heading, end), n in zip(bounds, raw) if heading is not None or n]


def keywords(text: str) -> set[str]:
    return {w for w in _KEYWORD.findall(text.lower()) if w not in STOPWORDS and w not in _GENERIC}


def is_relevant(section_text: str, used: set[str]) -> bool:
    """Whether enough of the section's keywords are among the words the session ``used``."""
    wanted = keywords(section_text)
    if not wanted:
        return True  # nothing to judge it by: never called irrelevant
    need = min(len(wanted), 2 if len(wanted) <= 10 else math.ceil(len(wanted) / 5))
    return len(wanted & used) >= need


def instruction_files(session: Session, used: set[str], turns: int, conn: Any = None,
                      home: Path | None = None) -> list[InstructionFile]:
    out = []
    for path, provider in _find_instruction_files(session, home):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        counted = tokens.count_tokens(text, session.model, conn)
        lines = text.splitlines()
        found = [InstructionSection(s.heading, s.line, s.tokens,
                                    is_relevant("\n".join(lines[s.line:s.end]), used))
                 for s in sections(text, counted.tokens)]
        out.append(InstructionFile(str(path), provider, provider == session.provider, counted.tokens,
                                   counted.source, turns, found))
    return out


def _find_instruction_files(session: Session, home: Path | None) -> Iterable[tuple[Path, str]]:
    seen: set[Path] = set()
    places: list[Path] = []
    if session.cwd:
        here = Path(session.cwd)
        places = [here, *here.parents]
    for place in places:
        for name, provider in INSTRUCTION_FILES.items():
            path = place / name
            if path.is_file() and path not in seen:
                seen.add(path)
                yield path, provider
    env = dict(os.environ)
    user_level = {
        "claude-code": assistant_files.claude_dir(env, home) / "CLAUDE.md",
        "codex": assistant_files.codex_config(env, home).with_name("AGENTS.md"),
        "gemini": assistant_files.gemini_settings(env, home).with_name("GEMINI.md"),
    }
    for provider, path in user_level.items():
        if path.is_file() and path not in seen:
            seen.add(path)
            yield path, provider


def mcp_servers(session: Session, own_tools: tuple[int, int] | None, home: Path | None = None) -> list[McpServer]:
    """The MCP servers the session's assistant is configured with, and what their tools cost per turn.

    ``own_tools``: (tools, tokens) of this server's ``tools/list``, measured by the
    caller (the MCP frontend owns the definitions); None when not known.
    """
    out = []
    for name, config, entry in _configured(session, home):
        command = " ".join(str(x) for x in [entry.get("command", ""), *entry.get("args", [])])
        ours = "llm-session" in command or "llm_session_manager" in command
        if ours and own_tools is not None:
            out.append(McpServer(name, config, own_tools[0], own_tools[1], "estimated"))
        else:
            out.append(McpServer(name, config, None, None, "unknown"))
    return out


def _configured(session: Session, home: Path | None) -> Iterable[tuple[str, str, dict[str, Any]]]:
    env = dict(os.environ)
    if session.provider == "claude-code":
        claude_dir = Path(env["CLAUDE_CONFIG_DIR"]) if env.get("CLAUDE_CONFIG_DIR") else (home or Path.home())
        user = claude_dir / ".claude.json"
        data = _json(user)
        yield from _entries(data.get("mcpServers"), user)
        project = (data.get("projects") or {}).get(session.cwd or "") if isinstance(data.get("projects"), dict) else None
        if isinstance(project, dict):
            yield from _entries(project.get("mcpServers"), user)
        if session.cwd:
            shared = Path(session.cwd) / ".mcp.json"
            yield from _entries(_json(shared).get("mcpServers"), shared)
    elif session.provider == "codex":
        path = assistant_files.codex_config(env, home)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            data = {}
        yield from _entries(data.get("mcp_servers"), path)
    elif session.provider == "gemini":
        path = assistant_files.gemini_settings(env, home)
        yield from _entries(_json(path).get("mcpServers"), path)


def _entries(servers: Any, config: Path) -> Iterable[tuple[str, str, dict[str, Any]]]:
    if isinstance(servers, dict):
        for name, entry in servers.items():
            if isinstance(entry, dict):
                yield name, str(config), entry


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
