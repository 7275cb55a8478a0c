"""Every MCP tool, one module per group; ``TOOLS`` is what ``tools/list`` shows, in order."""

from __future__ import annotations

from ..tool import Tool
from . import context, conversation, history, limits, memory, sessions, usage

TOOLS: dict[str, Tool] = {
    t.name: t
    for t in (
        sessions.list_sessions,
        sessions.session_status,
        usage.usage,
        sessions.recommend,
        sessions.export_session,
        conversation.export_conversation,
        history.search_history,
        context.optimize_context,
        memory.recall,
        memory.remember,
        memory.memorize_session,
        limits.limits,
    )
}
