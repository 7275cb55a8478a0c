"""The ``search_history`` tool: find where something was said in past sessions."""

from __future__ import annotations

from ....core.args import SearchQuery
from ....core.models import SearchResult
from ..tool import Args, tool


class SearchArgs(SearchQuery, Args, frozen=True):  # frozen like Args: said again so type checkers see it
    pass


@tool(SearchArgs, SearchResult, title="Search past conversations", fresh=True)
def search_history(conn, config, a: SearchArgs) -> SearchResult:
    """Search the messages of past sessions (prompts, answers, summaries, tool errors) for words or a phrase.

    A full-text index with stemming ranks the matches by words and meaning (sort
    "best"), or newest first (sort "newest"). Each match names its session and
    its place in it (`message`; `llm-session show ID --message N` shows it in
    context) with a snippet around the matched words (`highlights` are their
    offsets in it); secrets in snippets are redacted.
    """
    from ....services import history

    return history.search(conn, a.query, session_id=a.session_id, provider=a.provider, project=a.project,
                          since=a.since_time(), role=a.role, sort=a.sort, limit=a.limit)
