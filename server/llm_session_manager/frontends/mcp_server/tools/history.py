"""The ``search_history`` tool: find where something was said in past sessions."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from ....core.models import SearchResult
from ..tool import Args, NonEmpty, tool


class SearchArgs(Args, frozen=True):  # frozen like Args: said again so type checkers see it
    query: Annotated[str, Meta(min_length=1, max_length=500, description="Text to find, matched case-insensitively as a substring.")]
    session_id: Annotated[NonEmpty | None, Meta(description="Search only this session (id or unique prefix).")] = None
    limit: Annotated[int, Meta(ge=1, le=200, description="At most this many matches, newest first.")] = 20


@tool(SearchArgs, SearchResult, title="Search past conversations", fresh=True)
def search_history(conn, config, a: SearchArgs) -> SearchResult:
    """Search the messages of past sessions (prompts, answers, summaries, errors) for a piece of text.

    A plain case-insensitive substring match (no full-text index or ranking yet):
    give a distinctive word or phrase. Returns the newest matches first, each with a
    snippet around the match; secrets in snippets are redacted.
    """
    from ....services import history

    return history.search(conn, a.query, session_id=a.session_id, limit=a.limit)
