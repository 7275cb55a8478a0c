"""The ``export_conversation`` tool: a session's conversation itself, not its report.

``export_session`` keeps its report formats (json, yaml, markdown, csv); the
conversation is a different document, so it is its own tool over the same
service as ``llm-session export-conversation``.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from ....core.models import ConversationFormat
from ..tool import Args, tool
from .sessions import SessionId


class ExportConversationArgs(Args, frozen=True):  # frozen like Args: said again so type checkers see it
    session_id: SessionId
    format: Annotated[ConversationFormat, Meta(
        description="markdown to read; html: one self-contained page; json: every message with metadata; "
                    "jsonl: a chat fine-tuning line per exchange.",
    )] = "markdown"


class ConversationExport(msgspec.Struct):
    session_id: str
    format: str
    text: str


@tool(ExportConversationArgs, ConversationExport, title="Export a conversation", fresh=True)
def export_conversation(conn, config, a: ExportConversationArgs) -> ConversationExport:
    """A session's conversation: prompts, answers, tool calls (tool, input, result size), errors, with times and each
    response's tokens; secrets redacted. Hand a past session to someone, or save it as training data."""
    from ....services import conversation_export, sessions

    sid = sessions.resolve_id(conn, a.session_id)
    return ConversationExport(session_id=sid, format=a.format,
                              text=conversation_export.render(conn, config, sid, a.format))
