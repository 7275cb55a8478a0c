"""The ``llm-session`` command line: every command, its options and its help.

Each command names its function as ``"_module:cmd_name"`` in this package, and
``main`` imports only that one module: a command pays at start-up for its own
code, not for all the others'.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .. import __version__
from ..models import PROVIDERS


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {value!r}")
    return seconds


def _provider(value: str) -> str:
    if value not in PROVIDERS:
        raise argparse.ArgumentTypeError(f"unknown provider {value!r}; one of {', '.join(PROVIDERS)}")
    return value


def build_parser() -> argparse.ArgumentParser:
    # The global options are accepted before and after the command. After it they
    # default to SUPPRESS, so a subcommand cannot overwrite a value given before it.
    def global_options(default: Any) -> argparse.ArgumentParser:
        p = argparse.ArgumentParser(add_help=False)
        p.add_argument("--config", type=Path, default=default or None,
                       help="config file (default: $LLM_SESSION_CONFIG or XDG)")
        p.add_argument("-v", "--verbose", action="store_true", default=default or False,
                       help="show logs and tracebacks")
        return p

    common = global_options(argparse.SUPPRESS)
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print one JSON document for scripts")

    parser = argparse.ArgumentParser(
        prog="llm-session", parents=[global_options(None)],
        description="Every AI coding session on this machine: usage, cost, context fill, health.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    refresh = argparse.ArgumentParser(add_help=False)
    refresh.add_argument("--no-scan", action="store_true",
                         help="report what the store holds without reading new log lines first")

    def add(name: str, func: str, help: str, json: bool = True, scans: bool = False):
        parents = [common] + ([as_json] if json else []) + ([refresh] if scans else [])
        p = sub.add_parser(name, parents=parents, help=help, description=help)
        # Only for commands without the flag: set_defaults would also change the
        # default of a parent's shared action.
        p.set_defaults(func=func, json=False, **({} if scans else {"no_scan": True}))
        return p

    add("scan", "_sessions:cmd_scan", "read new log lines of every assistant into the store")
    p = add("import", "_sessions:cmd_import",
            "read downloaded exports: OpenAI / Anthropic API usage or cost CSVs, ChatGPT conversations.json")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--as", dest="kind", choices=("openai-api", "anthropic-api", "chatgpt"),
                   help="what the files are (default: told from their content)")
    p = add("list", "_sessions:cmd_list", "list sessions with tokens, context fill, cost and health", scans=True)
    p.add_argument("--provider", type=_provider)
    p.add_argument("--tag")
    p.add_argument("--project")
    p.add_argument("--active", action="store_true", help="only sessions whose assistant is running")
    p.add_argument("--since", help="last active since a date (2025-01-31) or an age (7d, 12h)")
    add("local", "_reports:cmd_local", "models loaded in local servers (Ollama, LM Studio), with their context size")
    p = add("show", "_sessions:cmd_show", "one session in detail", scans=True)
    p.add_argument("id", help="session id or unique prefix")
    p = add("export", "_sessions:cmd_export", "export a session report", json=False, scans=True)
    p.add_argument("id")
    p.add_argument("--format", "-f", default="markdown", choices=("json", "yaml", "markdown", "csv"))
    p.add_argument("-o", "--output", help="file to write (default: stdout)")
    for name, func, verb in (("tag", "_sessions:cmd_tag", "add tags to"),
                             ("untag", "_sessions:cmd_untag", "remove tags from")):
        p = add(name, func, f"{verb} a session")
        p.add_argument("id")
        p.add_argument("tags", nargs="+", metavar="TAG")
    p = add("set-project", "_sessions:cmd_set_project", "put a session in a named project")
    p.add_argument("id")
    p.add_argument("name")
    p = add("recommend", "_reports:cmd_recommend", "what to do about recent sessions (or one)", scans=True)
    p.add_argument("id", nargs="?")
    p = add("usage", "_reports:cmd_usage", "token and cost report, like ccusage", scans=True)
    p.add_argument("--by", default="day", choices=("day", "month", "session", "model", "project", "provider"))
    p.add_argument("--since", help="first local date, YYYY-MM-DD")
    p.add_argument("--until", help="last local date, YYYY-MM-DD")
    p.add_argument("--provider", type=_provider)
    p = add("analytics", "_reports:cmd_analytics", "trends, top costs, session health and limits over the last days",
            scans=True)
    p.add_argument("--days", default="30", help="local days up to today (default: 30)")
    p.add_argument("--top", default="10", help="entries in each ranking (default: 10)")
    p = add("blocks", "_reports:cmd_blocks",
            "Claude's 5-hour billing blocks with burn rate and projection, like ccusage", scans=True)
    p.add_argument("--days", help="only blocks that began in the last N local days (default: all)")
    p.add_argument("--active", action="store_true", help="only the block running now")
    p = add("count-tokens", "_reports:cmd_count_tokens", "count the tokens of a file or stdin")
    p.add_argument("file", nargs="?", default="-", help="file, or - for stdin")
    p.add_argument("--model", help="model whose tokenizer to use (default: o200k estimate)")
    p = add("demo", "_setup:cmd_demo", "write realistic demo logs into a sandbox and show what we make of them")
    p.add_argument("--dir", help="sandbox directory (default: $XDG_CACHE_HOME/llm-session-manager/demo)")
    add("init", "_setup:cmd_init", "create the config file and the database")
    p = add("lsp", "_servers:cmd_lsp", "language server for editors, over stdin/stdout (docs/lsp.md)", json=False)
    p.add_argument("--stdio", action="store_true", help=argparse.SUPPRESS)  # what many clients append
    p = add("mcp", "_servers:cmd_mcp", "MCP server for AI assistants, over stdin/stdout (docs/mcp.md)", json=False)
    mcp_sub = p.add_subparsers(dest="mcp_command", metavar="ACTION")
    p = mcp_sub.add_parser("install", parents=[common, as_json], help="add this server to an MCP client's config",
                           description="add this server to an MCP client's config")
    p.set_defaults(func="_servers:cmd_mcp_install", json=False)
    p.add_argument("--client", required=True, choices=("claude-code", "cursor", "vscode", "codex", "gemini"))
    p.add_argument("--scope", default="user", choices=("user", "project"),
                   help="user: for every project; project: files in the current directory")
    p.add_argument("--print", action="store_true", help="print the entry and where it goes; change nothing")
    p = add("serve", "_servers:cmd_serve",
            "serve MCP over HTTP at /mcp and LSP over TCP, and keep the store fresh (docs/mcp.md)", json=False)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, local only)")
    p.add_argument("--port", type=int, default=8765, help="MCP HTTP port (default: 8765; 0: any free port)")
    p.add_argument("--lsp-port", type=int, default=8766, help="LSP TCP port (default: 8766; 0: any free port)")
    p = add("dashboard", "_servers:cmd_dashboard",
            "live terminal dashboard of sessions, usage and health (docs/dashboard.md)", json=False)
    p.add_argument("--theme", choices=("dark", "light", "cyberpunk", "minimal"),
                   help="colour scheme (default: dashboard.color_scheme in the config)")
    p.add_argument("--refresh", type=_seconds, metavar="SECONDS",
                   help="how often to look for news in the store (default: dashboard.refresh_interval)")

    _add_memory_commands(sub, add, common, as_json)
    _add_notify_commands(sub, common, as_json, refresh)

    pricing = sub.add_parser("pricing", help="the offline pricing table").add_subparsers(
        dest="pricing_command", required=True, metavar="ACTION")
    p = pricing.add_parser("update", parents=[common, as_json], help="install prices from a local LiteLLM-format JSON file")
    p.set_defaults(func="_setup:cmd_pricing_update", json=False)
    p.add_argument("--file", required=True)

    cfg = sub.add_parser("config", help="show or create the config file").add_subparsers(
        dest="config_command", required=True, metavar="ACTION")
    for name, func, help in (
        ("show", "_setup:cmd_config_show", "print the effective configuration"),
        ("path", "_setup:cmd_config_path", "print where the config file is read from"),
        ("init", "_setup:cmd_config_init", "write a commented default config file"),
    ):
        p = cfg.add_parser(name, parents=[common, as_json], help=help)
        p.set_defaults(func=func, json=False)
        if name == "init":
            p.add_argument("--force", action="store_true", help="overwrite an existing file")
    return parser


def _add_memory_commands(sub, add, common, as_json) -> None:
    p = add("remember", "_memory:cmd_remember", "store a memory (secrets are redacted)")
    p.add_argument("text")
    p.add_argument("--project")
    p.add_argument("--tag", action="append", help="repeatable")
    p = add("memorize", "_memory:cmd_memorize", "store what a session learned: requirements, decisions, facts, files",
            scans=True)
    p.add_argument("id", help="session id or unique prefix")
    p = add("recall", "_memory:cmd_recall", "memories that match a query, by words and meaning", scans=True)
    p.add_argument("query")
    p.add_argument("--limit", "-k", type=int, default=5)
    p.add_argument("--project")
    p.add_argument("--tag", action="append", help="repeatable; memories with every tag given")
    p.add_argument("--since", help="made since a date (2025-01-31) or an age (7d, 12h)")
    p.add_argument("--import-to", metavar="ID",
                   help="also write them into that session's CLAUDE.md / AGENTS.md / GEMINI.md")
    mem = sub.add_parser("memory", help="import, list and forget memories").add_subparsers(
        dest="memory_command", required=True, metavar="ACTION")
    p = mem.add_parser("import", parents=[common, as_json], help="import memories from a JSON-lines file")
    p.set_defaults(func="_memory:cmd_memory_import", json=False)
    p.add_argument("file")
    p = mem.add_parser("list", parents=[common, as_json], help="list memories, newest first")
    p.set_defaults(func="_memory:cmd_memory_list", json=False)
    p.add_argument("--project")
    p.add_argument("--tag")
    p.add_argument("--limit", type=int)
    p = mem.add_parser("forget", parents=[common, as_json], help="delete a memory")
    p.set_defaults(func="_memory:cmd_memory_forget", json=False)
    p.add_argument("id", help="memory id or unique prefix")


def _add_notify_commands(sub, common, as_json, refresh) -> None:
    notify = sub.add_parser("notify", help="run the notification rules once, or test the channels").add_subparsers(
        dest="notify_command", required=True, metavar="ACTION")
    p = notify.add_parser("check", parents=[common, as_json, refresh],
                          help="scan, then send what the rules say now (quiet hours and cooldowns apply)")
    p.set_defaults(func="_notify:cmd_notify_check", json=False)
    p.add_argument("--dry-run", action="store_true", help="show what would be sent; send and record nothing")
    p = notify.add_parser("test", parents=[common, as_json], help="send a test message through each channel")
    p.set_defaults(func="_notify:cmd_notify_test", json=False, no_scan=True)
    p.add_argument("--channel", help="only this one: desktop, terminal, slack, discord or email")
