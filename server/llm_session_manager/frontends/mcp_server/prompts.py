"""Prompts: ``project_memories(project)`` primes an assistant with what a project's sessions learned."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.models import Memory, short_id
from .tools.memory import TEXT_CHARS

if TYPE_CHECKING:
    import apsw

    from ...core.config import Config

PROMPTS = {
    "project_memories": (
        "Prime the conversation with what earlier sessions in a project learned, and its recent sessions.",
        [("project", "The project name (as in list_sessions).", True)],
    ),
}
MEMORIES = 20
RECENT_SESSIONS = 10


def origin(memory: Memory) -> str:
    """Who wrote a memory, in words: a model's word weighs less than a person's."""
    if memory.source == "mcp":
        return f"written by a model: {memory.writer or 'an MCP client'}"
    if memory.source == "memorize":
        return "extracted from a session" + (f", asked by {memory.writer}" if memory.writer else "")
    if memory.source == "import":
        return "imported"
    return "written by the user"


def render(conn: apsw.Connection, config: Config, name: str, arguments: dict[str, str]) -> tuple[str, str]:
    """(description, text of the one user message) for prompt ``name``."""
    from ...core.errors import BadInput
    from ...services import memory, sessions

    if name not in PROMPTS:
        raise BadInput(f"unknown prompt {name!r}; this server has: {', '.join(PROMPTS)}")
    project = (arguments.get("project") or "").strip()
    if not project:
        raise BadInput("the project_memories prompt needs a project name")
    lines = [f"Context for project {project!r}, from llm-session-manager.", ""]
    memories = memory.recall(conn, project, limit=MEMORIES, project=project, config=config)
    if memories:
        lines.append("What earlier sessions learned (most relevant first; who wrote each in parentheses):")
        # Long texts cut as ``recall`` cuts them by default (``memory://{id}`` has them whole).
        lines += [f"- {memory.excerpt(m, TEXT_CHARS).text}" + (f" [{', '.join(m.tags)}]" if m.tags else "")
                  + f" ({origin(m)})" for m in memories]
    else:
        lines.append("No memories are stored for this project yet; use the `remember` tool to add some.")
    recent = sessions.list_sessions(conn, config, sessions.Filters(project=project))[:RECENT_SESSIONS]
    lines += ["", "Recent sessions in this project (newest first):" if recent else "No sessions recorded in this project."]
    lines += [
        f"- {short_id(s.id)} {s.provider} {s.last_activity or '?'}: {s.title or '(untitled)'} "
        f"(context {s.context.percent:.0f}% full, health {s.health.status})"
        for s in recent
    ]
    lines += ["", "Use `recall` for anything more specific, and `remember` for what you learn that the next session should know."]
    return PROMPTS[name][0], "\n".join(lines)
