"""Bad values of the arguments the CLI, the MCP tools and the LSP share, and the words each
door refuses them with.

One table for three tests (tests/test_argument_vocabulary.py drives the real CLI,
tests/mcp/test_mcp_arguments.py the real MCP server through the SDK's client,
tests/lsp/test_lsp_arguments.py the real language server through pytest-lsp): the
same value is refused everywhere, with a message naming the argument as that caller
called it -- ``limit`` over MCP and LSP, ``--limit`` on the command line.
"""

from __future__ import annotations

from typing import Any, NamedTuple

PROVIDER_LIST = ("claude-code, codex, gemini, cursor, copilot, aider, ollama, lmstudio, llm, openai-api, "
                 "anthropic-api, chatgpt")
SINCE = "since must be a date like 2025-01-31, an ISO time or an age like 7d, got 'last tuesday'"


class Case(NamedTuple):
    what: str
    says: str  # the message over MCP (after "invalid arguments for TOOL: ") and LSP
    cli: tuple[str, ...] | None = None  # argv; None: no such option on the command line
    cli_says: str | None = None  # a line of stderr; default: ``says`` with ``--`` before the argument
    mcp: tuple[str, dict[str, Any]] | None = None  # tool, arguments
    lsp: tuple[str, Any] | None = None  # a request and its params, or a command and its arguments


CASES = [
    Case("a recall limit of 0", "limit must be a whole number from 1 to 50, got 0",
         cli=("recall", "coupon", "--limit", "0"),
         mcp=("recall", {"query": "coupon", "limit": 0}),
         lsp=("llmSession/recall", {"query": "coupon", "limit": 0})),
    Case("a recall limit of 51: one cap on every door", "limit must be a whole number from 1 to 50, got 51",
         cli=("recall", "coupon", "-k", "51"),
         mcp=("recall", {"query": "coupon", "limit": 51}),
         lsp=("llmSession.recall", ["coupon", 51])),
    Case("a since that is no date, time or age", SINCE,
         cli=("list", "--since", "last tuesday"),
         mcp=("list_sessions", {"since": "last tuesday"}),
         lsp=("llmSession/sessions", {"since": "last tuesday"})),
    Case("a recall since that is no date", SINCE,
         cli=("recall", "coupon", "--since", "last tuesday")),
    Case("usage by fortnight",
         "by must be one of day, week, month, session, model, project, provider, agent, tool, mcp-server, skill, "
         "got 'fortnight'",
         cli=("usage", "--by", "fortnight"),
         cli_says="argument --by: invalid choice: 'fortnight'",
         mcp=("usage", {"by": "fortnight"})),
    Case("an export as pdf", "format must be one of json, yaml, markdown, csv, got 'pdf'",
         cli=("export", "9e8d7c6b", "--format", "pdf"),
         cli_says="argument --format/-f: invalid choice: 'pdf'",
         mcp=("export_session", {"session_id": "9e8d7c6b", "format": "pdf"}),
         lsp=("llmSession.export", ["9e8d7c6b", "pdf"])),
    Case("an unknown provider", f"provider must be one of {PROVIDER_LIST}, got 'chatgpt-desktop'",
         cli=("list", "--provider", "chatgpt-desktop"),
         cli_says="argument --provider: unknown provider 'chatgpt-desktop'",
         mcp=("list_sessions", {"provider": "chatgpt-desktop"}),
         lsp=("llmSession/sessions", {"provider": "chatgpt-desktop"})),
    Case("active as a string", "active must be true or false, got a string",
         mcp=("list_sessions", {"active": "yes"}),
         lsp=("llmSession/sessions", {"active": "yes"})),
    Case("forget without saying what", "say what to forget: memory_id, session_id, tag or since",
         cli=("memory", "forget"),
         cli_says="error: say what to forget: a memory id, --session, --tag or --since"),
]


def cli_line(case: Case) -> str:
    """What the command line prints: ``says`` with the argument as an option, unless the case says otherwise."""
    return case.cli_says or f"error: --{case.says}"
