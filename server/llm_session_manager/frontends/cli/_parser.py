"""The ``llm-session`` command line: every command, its options and its help.

Each command names its function as ``"_module:cmd_name"`` in this package, and
``main`` imports only that one module: a command pays at start-up for its own
code, not for all the others'. For the same reason the parser is built for the
one command the arguments name (each ``argparse`` parser looks for message
catalogues when made); help and errors get every command.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from ... import __version__
from ...core.models import (
    CONVERSATION_FORMATS,
    EXPORT_FORMATS,
    PROVIDERS,
    SEARCH_ROLES,
    SEARCH_SORTS,
    SESSION_SORTS,
    USAGE_GROUPS,
)


class _Formatter(argparse.HelpFormatter):
    """argparse's help, as wide as the terminal as ``shutil.get_terminal_size`` finds it
    (``$COLUMNS``, else the terminal, else 80) without importing ``shutil``: argparse
    makes a formatter for every option it adds, and ``shutil`` brings the compression
    modules (2-3 ms of every command)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, _columns() - 2 if width is None else width)


def _columns() -> int:
    if os.environ.get("COLUMNS", "").isdigit() and int(os.environ["COLUMNS"]) > 0:
        return int(os.environ["COLUMNS"])
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class _Parser(argparse.ArgumentParser):
    """argparse's parser with ``_Formatter``; its commands' parsers are made of its class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)


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


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {value!r}")
    return n


def _global_options(default: Any) -> argparse.ArgumentParser:
    p = _Parser(add_help=False)
    p.add_argument("--config", type=Path, default=default or None,
                   help="config file (default: $LLM_SESSION_CONFIG or XDG)")
    p.add_argument("-v", "--verbose", action="store_true", default=default or False,
                   help="show logs and tracebacks")
    return p


class _Kit:
    """What the command builders share: the subparsers and the option groups."""

    def __init__(self, sub: argparse._SubParsersAction) -> None:
        self.sub = sub
        # The global options are accepted before and after the command. After it they
        # default to SUPPRESS, so a subcommand cannot overwrite a value given before it.
        self.common = _global_options(argparse.SUPPRESS)
        self.as_json = _Parser(add_help=False)
        self.as_json.add_argument("--json", action="store_true", help="print one JSON document for scripts")
        self.refresh = _Parser(add_help=False)
        self.refresh.add_argument("--no-scan", action="store_true",
                                  help="report what the store holds without reading new log lines first")

    def add(self, name: str, func: str, help: str, json: bool = True, scans: bool = False) -> argparse.ArgumentParser:
        parents = [self.common] + ([self.as_json] if json else []) + ([self.refresh] if scans else [])
        p = self.sub.add_parser(name, parents=parents, help=help, description=help)
        # Only for commands without the flag: set_defaults would also change the
        # default of a parent's shared action.
        p.set_defaults(func=func, json=False, **({} if scans else {"no_scan": True}))
        return p

    def actions(self, name: str, help: str) -> argparse._SubParsersAction:
        """A command that only groups actions (``memory import``, ``config show``)."""
        return self.sub.add_parser(name, help=help).add_subparsers(
            dest=f"{name}_command", required=True, metavar="ACTION")

    def action(self, group: argparse._SubParsersAction, name: str, func: str, help: str,
               scans: bool = False, **defaults: Any) -> argparse.ArgumentParser:
        parents = [self.common, self.as_json] + ([self.refresh] if scans else [])
        p = group.add_parser(name, parents=parents, help=help, description=help)
        p.set_defaults(func=func, json=False, **defaults)
        return p


def _scan(kit: _Kit) -> None:
    kit.add("scan", "_sessions:cmd_scan", "read new log lines of every assistant into the store")


def _import(kit: _Kit) -> None:
    p = kit.add("import", "_sessions:cmd_import",
                "read downloaded exports: OpenAI / Anthropic API usage or cost CSVs, ChatGPT conversations.json")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--as", dest="kind", choices=("openai-api", "anthropic-api", "chatgpt"),
                   help="what the files are (default: told from their content)")


def _list(kit: _Kit) -> None:
    p = kit.add("list", "_sessions:cmd_list", "list sessions with tokens, context fill, cost and health", scans=True)
    p.add_argument("--provider", type=_provider)
    p.add_argument("--tag")
    p.add_argument("--project")
    p.add_argument("--active", action="store_true", help="only sessions whose assistant is running")
    p.add_argument("--since", help="last active since a date (2025-01-31), an ISO time or an age (7d, 12h)")
    p.add_argument("--sort", default="last_activity", choices=SESSION_SORTS,
                   help="newest last activity (default) or start, highest cost or tokens, "
                        "fullest context, or worst health first")
    p.add_argument("--reverse", action="store_true", help="the other way round")
    p.add_argument("--limit", type=_positive, metavar="N", help="only the first N sessions")


def _local(kit: _Kit) -> None:
    kit.add("local", "_reports:cmd_local", "models loaded in local servers (Ollama, LM Studio), with their context size")


def _show(kit: _Kit) -> None:
    p = kit.add("show", "_sessions:cmd_show", "one session in detail", scans=True)
    p.add_argument("id", help="session id or unique prefix")
    p.add_argument("--message", type=_positive, metavar="N",
                   help="only its message N (as search numbers them) with two each side (docs/search.md)")


def _export(kit: _Kit) -> None:
    p = kit.add("export", "_sessions:cmd_export", "export a session report", json=False, scans=True)
    p.add_argument("id")
    p.add_argument("--format", "-f", default="markdown", choices=EXPORT_FORMATS)
    p.add_argument("-o", "--output", help="file to write (default: stdout)")


def _tagging(name: str, verb: str) -> Callable[[_Kit], None]:
    def build(kit: _Kit) -> None:
        p = kit.add(name, f"_sessions:cmd_{name}", f"{verb} a session")
        p.add_argument("id")
        p.add_argument("tags", nargs="+", metavar="TAG")
    return build


def _set_project(kit: _Kit) -> None:
    p = kit.add("set-project", "_sessions:cmd_set_project", "put a session in a named project")
    p.add_argument("id")
    p.add_argument("name")


def _recommend(kit: _Kit) -> None:
    p = kit.add("recommend", "_reports:cmd_recommend", "what to do about recent sessions (or the ones named)",
                scans=True)
    p.add_argument("ids", nargs="*", metavar="ID", help="these sessions, whatever their age (default: recent ones)")


def _usage(kit: _Kit) -> None:
    p = kit.add("usage", "_reports:cmd_usage", "token and cost report, like ccusage", scans=True)
    p.add_argument("--by", default="day", choices=USAGE_GROUPS,
                   help="day, week (keyed by its Monday) or month, in local time; or session, model, project, provider; "
                        "or what responses did: agent, tool, mcp-server, skill (docs/attribution.md)")
    p.add_argument("--since", help="from a date (2025-01-31, whole day), an ISO time or an age (7d, 12h)")
    p.add_argument("--until", help="up to a date (2025-01-31, included), an ISO time or an age")
    p.add_argument("--provider", type=_provider)
    p.add_argument("--project", help="only this project's usage")
    p.add_argument("--timezone", metavar="TZ",
                   help="IANA time zone for days, weeks, months and dates (default: local time, $TZ)")
    p.add_argument("--breakdown", action="store_true", help="each row split by model as well")


def _analytics(kit: _Kit) -> None:
    p = kit.add("analytics", "_reports:cmd_analytics",
                "trends, top costs, session health and limits over the last days", scans=True)
    p.add_argument("--days", default="30", help="local days up to today (default: 30)")
    p.add_argument("--top", default="10", help="entries in each ranking (default: 10)")


def _blocks(kit: _Kit) -> None:
    p = kit.add("blocks", "_reports:cmd_blocks",
                "Claude's 5-hour billing blocks with burn rate and projection, like ccusage", scans=True)
    p.add_argument("--days", help="only blocks that began in the last N local days (default: all)")
    p.add_argument("--active", action="store_true", help="only the block running now")


def _count_tokens(kit: _Kit) -> None:
    p = kit.add("count-tokens", "_reports:cmd_count_tokens", "count the tokens of a file or stdin")
    p.add_argument("file", nargs="?", default="-", help="file, or - for stdin")
    p.add_argument("--model", help="model whose tokenizer to use (default: o200k estimate)")


def _demo(kit: _Kit) -> None:
    p = kit.add("demo", "_setup:cmd_demo", "write realistic demo logs into a sandbox and show what we make of them")
    p.add_argument("--dir", help="sandbox directory (default: $XDG_CACHE_HOME/llm-session-manager/demo)")


def _init(kit: _Kit) -> None:
    kit.add("init", "_setup:cmd_init", "create the config file and the database")


def _doctor(kit: _Kit) -> None:
    p = kit.add("doctor", "_doctor:cmd_doctor", "check the installation and the store; --recover gets a damaged store back")
    p.add_argument("--recover", action="store_true",
                   help="copy what SQLite can still read into a new database, keep the damaged file aside")


def _lsp(kit: _Kit) -> None:
    p = kit.add("lsp", "_servers:cmd_lsp", "language server for editors, over stdin/stdout (docs/lsp.md)", json=False)
    p.add_argument("--stdio", action="store_true", help=argparse.SUPPRESS)  # what many clients append


def _mcp(kit: _Kit) -> None:
    p = kit.add("mcp", "_servers:cmd_mcp", "MCP server for AI assistants, over stdin/stdout (docs/mcp.md)", json=False)
    actions = p.add_subparsers(dest="mcp_command", metavar="ACTION")
    p = kit.action(actions, "install", "_servers:cmd_mcp_install", "add this server to an MCP client's config")
    p.add_argument("--client", required=True, choices=("claude-code", "cursor", "vscode", "codex", "gemini"))
    p.add_argument("--scope", default="user", choices=("user", "project"),
                   help="user: for every project; project: files in the current directory")
    p.add_argument("--print", action="store_true", help="print the entry and where it goes; change nothing")


def _count(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {value!r}")
    return int(value)


def _serve(kit: _Kit) -> None:
    p = kit.add("serve", "_servers:cmd_serve",
                "serve MCP over HTTP at /mcp and LSP over TCP, and keep the store fresh (docs/mcp.md)", json=False)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, local only)")
    p.add_argument("--port", type=int, default=8765, help="MCP HTTP port (default: 8765; 0: any free port)")
    p.add_argument("--lsp-port", type=int, default=None,
                   help="LSP TCP port (default: 8766, or any free port with --port 0; 0: any free port)")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow a --host beyond loopback; every client must then send the token")
    p.add_argument("--max-clients", type=_count, default=64, metavar="N",
                   help="LSP connections, and MCP sessions, open at a time (default: 64)")
    p.add_argument("--idle-timeout", type=_seconds, default=300.0, metavar="SECONDS",
                   help="end an MCP session with no request for this long (default: 300)")
    p.add_argument("--print-token", action="store_true",
                   help="print the token clients send (made on first use) and exit")


def _dashboard(kit: _Kit) -> None:
    p = kit.add("dashboard", "_servers:cmd_dashboard",
                "live terminal dashboard of sessions, usage and health (docs/dashboard.md)", json=False)
    p.add_argument("--theme", choices=("dark", "light", "cyberpunk", "minimal"),
                   help="colour scheme (default: dashboard.color_scheme in the config)")
    p.add_argument("--refresh", type=_seconds, metavar="SECONDS",
                   help="how often to look for news in the store (default: dashboard.refresh_interval)")


def _remember(kit: _Kit) -> None:
    p = kit.add("remember", "_memory:cmd_remember", "store a memory (secrets are redacted)")
    p.add_argument("text")
    p.add_argument("--project")
    p.add_argument("--tag", action="append", help="repeatable")
    p.add_argument("--share", choices=("personal", "project", "team"),
                   help="also push it to the team server joined, with this scope (docs/team.md#memory-pool)")


def _memorize(kit: _Kit) -> None:
    p = kit.add("memorize", "_memory:cmd_memorize",
                "store what a session learned: requirements, decisions, facts, files", scans=True)
    p.add_argument("id", help="session id or unique prefix")


def _recall(kit: _Kit) -> None:
    p = kit.add("recall", "_memory:cmd_recall", "memories that match a query, by words and meaning", scans=True)
    p.add_argument("query")
    p.add_argument("--limit", "-k", type=int, default=5, metavar="K",
                   help="at most this many, best first: 1 to 50, as over MCP and LSP")
    p.add_argument("--project")
    p.add_argument("--tag", action="append", help="repeatable; memories with every tag given")
    p.add_argument("--since", help="made since a date (2025-01-31) or an age (7d, 12h)")
    p.add_argument("--import-to", metavar="ID",
                   help="also write them into that session's CLAUDE.md / AGENTS.md / GEMINI.md")


def _memory(kit: _Kit) -> None:
    actions = kit.actions("memory", "import, list and forget memories")
    p = kit.action(actions, "import", "_memory:cmd_memory_import", "import memories from a JSON-lines file")
    p.add_argument("file")
    p = kit.action(actions, "list", "_memory:cmd_memory_list", "list memories, newest first")
    p.add_argument("--project")
    p.add_argument("--tag")
    p.add_argument("--limit", type=int)
    p = kit.action(actions, "forget", "_memory:cmd_memory_forget",
                   "delete a memory, or every memory matching --session, --tag and --since (a bulk undo)")
    p.add_argument("id", nargs="?", help="memory id or unique prefix")
    p.add_argument("--session", metavar="ID", help="memories learned in this session (id or unique prefix)")
    p.add_argument("--tag", help="memories with this tag")
    p.add_argument("--since", help="memories made since a date (2025-01-31), an ISO time or an age (7d, 12h)")
    p.add_argument("--dry-run", action="store_true", help="show how many would go; delete nothing")
    p = kit.action(actions, "share", "_handoff:cmd_memory_share",
                   "push a memory to the team server joined, with a scope (docs/team.md#memory-pool)")
    p.add_argument("id", help="memory id or unique prefix")
    p.add_argument("--scope", required=True, choices=("personal", "project", "team"),
                   help="personal: only you; project: members who pushed that project's sessions; team: everyone")


def _notify(kit: _Kit) -> None:
    actions = kit.actions("notify", "run the notification rules once, or test the channels")
    p = kit.action(actions, "check", "_notify:cmd_notify_check",
                   "scan, then send what the rules say now (quiet hours and cooldowns apply)", scans=True)
    p.add_argument("--dry-run", action="store_true", help="show what would be sent; send and record nothing")
    p = kit.action(actions, "test", "_notify:cmd_notify_test", "send a test message through each channel",
                   no_scan=True)
    p.add_argument("--channel", help="only this one: desktop, terminal, slack, discord, email or teams")


def _pricing(kit: _Kit) -> None:
    actions = kit.actions("pricing", "the offline pricing table")
    p = kit.action(actions, "update", "_setup:cmd_pricing_update", "install prices from a local LiteLLM-format JSON file")
    p.add_argument("--file", required=True)
    p = kit.action(actions, "show", "_pricing:cmd_pricing_show", "what a model costs per token, and its context window")
    p.add_argument("model", metavar="MODEL", help="a model name as logs write it, e.g. claude-sonnet-4-5-20250929")


def _config(kit: _Kit) -> None:
    actions = kit.actions("config", "show or create the config file")
    kit.action(actions, "show", "_setup:cmd_config_show", "print the effective configuration")
    kit.action(actions, "path", "_setup:cmd_config_path", "print where the config file is read from")
    p = kit.action(actions, "init", "_setup:cmd_config_init", "write a commented default config file")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")


def _otel(kit: _Kit) -> None:
    actions = kit.actions("otel", "point the assistants' OpenTelemetry export at serve (docs/otel.md)")
    p = kit.action(actions, "setup", "_otel:cmd_otel_setup",
                   "print (or --write) the settings that make an assistant report to serve over OTLP")
    p.add_argument("--client", required=True, choices=("claude-code", "codex", "gemini", "copilot"))
    p.add_argument("--endpoint", default="http://127.0.0.1:8765", metavar="URL",
                   help="serve's HTTP address (default: http://127.0.0.1:8765)")
    p.add_argument("--write", action="store_true", help="write the settings into the assistant's config file")
    p.add_argument("--force", action="store_true", help="replace an endpoint another collector had")


def _hooks(kit: _Kit) -> None:
    actions = kit.actions("hooks", "register llm-session's hooks with an assistant (docs/hooks.md)")
    clients = ("claude-code", "codex", "gemini")
    p = kit.action(actions, "install", "_hooks:cmd_hooks_install",
                   "add our hooks (Claude Code, Gemini CLI) or notify program (Codex); other hooks are kept")
    p.add_argument("--client", required=True, choices=clients)
    p = kit.action(actions, "uninstall", "_hooks:cmd_hooks_uninstall", "remove our hooks, and only ours")
    p.add_argument("--client", required=True, choices=clients)
    p = kit.action(actions, "status", "_hooks:cmd_hooks_status", "which of our hooks each assistant runs")
    p.add_argument("--client", choices=clients, help="only this one (default: every client)")


def _hook(kit: _Kit) -> None:
    p = kit.add("hook", "_hooks:cmd_hook",
                "what an assistant's hook runs: reads the event's JSON, exits 0 whatever happens", json=False)
    p.add_argument("event", metavar="EVENT",
                   help="SessionStart, PreCompact, Stop, SubagentStop, SessionEnd, or codex-notify; "
                        "Gemini CLI's AfterAgent, PreCompress")
    p.add_argument("--client", default="claude-code", choices=("claude-code", "codex", "gemini"),
                   help="the assistant that runs the hook")
    p.add_argument("payload", nargs="?", metavar="JSON", help="the event's JSON (default: stdin; Codex passes it here)")
    p.add_argument("--background", metavar="JSON", help=argparse.SUPPRESS)  # the detached worker (runtime/hook_relay)


def _statusline(kit: _Kit) -> None:
    p = kit.add("statusline", "_statusline:cmd_statusline",
                "one status line for Claude Code's statusLine command, from the JSON on stdin (docs/statusline.md)")
    p.add_argument("--format", dest="template", metavar="TEMPLATE",
                   help="the line as a template of {model} {context} {session} {today} {five_hour} {weekly} "
                        "{health} (default: statusline.format, else the segments joined by ' | ')")
    p.add_argument("--segments", metavar="LIST",
                   help="comma-separated segments in order (default: statusline.segments)")
    p.add_argument("--no-color", action="store_true", help="no colours (also when NO_COLOR is set)")
    actions = p.add_subparsers(dest="statusline_command", metavar="ACTION")
    for name, verb in (("install", "write"), ("uninstall", "remove")):
        q = kit.action(actions, name, f"_statusline_install:cmd_statusline_{name}",
                       f"{verb} the statusLine entry in Claude Code's settings.json")
        q.add_argument("--settings", metavar="FILE",
                       help="the settings file (default: $CLAUDE_CONFIG_DIR or ~/.claude, settings.json)")
        q.add_argument("--force", action="store_true", help="replace (remove) another status line command")
        q.add_argument("--print", action="store_true", help="show what would change; change nothing")
    kit.action(actions, "stop-agent", "_statusline_agent:cmd_statusline_stop_agent",
               "stop the agent that draws the status lines (the next line starts it again unless "
               "statusline.agent is false)")


def _limits(kit: _Kit) -> None:
    kit.add("limits", "_limits:cmd_limits",
            "5-hour and weekly plan limits per assistant: official readings, else estimates", scans=True)


def _context(kit: _Kit) -> None:
    p = kit.add("context", "_context_report:cmd_context",
                "what a session's context holds and what it costs: files, instruction files, MCP tools, "
                "and what to cut", scans=True)
    p.add_argument("id", help="session id or unique prefix")
    p.add_argument("--query", "-q", help="rank the files by relevance to this question (words and meaning)")
# replay, export-conversation, record, unrecord, prune (docs/conversations.md)
def _replay(kit: _Kit) -> None:
    p = kit.add("replay", "_replay:cmd_replay",
                "play a conversation in the terminal with its real timing (space, n, g N, t, q)",
                json=False, scans=True)
    p.add_argument("id", help="session id or unique prefix")
    p.add_argument("--speed", type=_speed, metavar="X",
                   help="play X times faster (default 1; without a terminal: print at once unless given)")
    p.add_argument("--max-gap", type=_duration, default="5s", metavar="DURATION",
                   help="longest wait between two messages, before --speed (500ms, 5s, 1m)")
    p.add_argument("--from", dest="start", type=_positive, default=1, metavar="N", help="start at message N")
    p.add_argument("--no-tools", action="store_true", help="skip tool calls and tool errors (t toggles)")


def _export_conversation(kit: _Kit) -> None:
    p = kit.add("export-conversation", "_conversation:cmd_export_conversation",
                "export a conversation as markdown, HTML, JSON or JSONL training data (secrets redacted)",
                json=False, scans=True)
    p.add_argument("id", help="session id or unique prefix")
    p.add_argument("--format", "-f", default="markdown", choices=CONVERSATION_FORMATS)
    p.add_argument("-o", "--output", help="file to write (default: stdout)")
    p.add_argument("--system", metavar="TEXT", help="jsonl: a system message leading every line")


def _record(kit: _Kit) -> None:
    p = kit.add("record", "_conversation:cmd_record",
                "pin a session: retention never prunes its conversation (--off unpins)")
    p.add_argument("id", help="session id or unique prefix")
    p.add_argument("--off", action="store_true", help="unpin it (as unrecord)")


def _unrecord(kit: _Kit) -> None:
    p = kit.add("unrecord", "_conversation:cmd_unrecord", "unpin a session: retention applies to it again")
    p.add_argument("id", help="session id or unique prefix")


def _prune(kit: _Kit) -> None:
    p = kit.add("prune", "_conversation:cmd_prune",
                "empty message bodies older than retention.conversation_days, except pinned sessions")
    p.add_argument("--dry-run", action="store_true", help="show what would go; change nothing")
    p.add_argument("--days", type=_speed, metavar="N", help="this many days instead of the config's")


def _speed(value: str) -> float:
    try:
        n = float(value)
    except ValueError:
        n = 0.0
    if not 0 < n < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {value!r}")
    return n


def _duration(value: str) -> float:
    """``5s``, ``500ms``, ``1m`` or plain seconds, as seconds (0 allowed: no waiting)."""
    units = {"ms": 0.001, "s": 1.0, "m": 60.0}
    text = value.strip().lower()
    unit = next((u for u in ("ms", "s", "m") if text.endswith(u)), "")
    try:
        n = float(text[: len(text) - len(unit)]) * units.get(unit, 1.0)
    except ValueError:
        n = -1.0
    if not 0 <= n < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a duration like 5s, 500ms or 1m, got {value!r}")
    return n
_TEMPLATES_FILE = "templates file (default: $LLM_SESSION_TEMPLATES, else templates.yaml beside the config)"


def _create_from_template(kit: _Kit) -> None:
    p = kit.add("create-from-template", "_templates:cmd_create_from_template",
                "start a template's sessions: its files' token cost, tags for the sessions, their commands")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--dry-run", action="store_true", help="show files, token cost and commands; plan nothing")
    p.add_argument("--launch", action="store_true", help="run the commands (in --cwd) and wait for them")
    p.add_argument("--cwd", metavar="DIR", help="where the sessions work and globs are resolved (default: here)")
    p.add_argument("--model", help="count tokens for this model (default: the first session's model)")
    p.add_argument("--file", metavar="FILE", help=_TEMPLATES_FILE)


def _save_template(kit: _Kit) -> None:
    p = kit.add("save-template", "_templates:cmd_save_template",
                "save sessions' assistants, models, tags and files as a template", scans=True)
    p.add_argument("name", metavar="NAME")
    p.add_argument("--from", dest="sessions", nargs="+", metavar="ID", help="these sessions (ids or prefixes)")
    p.add_argument("--project", metavar="P", help="the project's sessions (the newest 200)")
    p.add_argument("--force", action="store_true", help="replace a template of that name")
    p.add_argument("--file", metavar="FILE", help=_TEMPLATES_FILE)


def _templates(kit: _Kit) -> None:
    actions = kit.actions("templates", "list, show and check templates (docs/templates.md)")
    p = kit.action(actions, "list", "_templates:cmd_templates_list", "the templates, with their assistants and tags",
                   no_scan=True)
    p.add_argument("--file", metavar="FILE", help=_TEMPLATES_FILE)
    p = kit.action(actions, "show", "_templates:cmd_templates_show", "one template as YAML", no_scan=True)
    p.add_argument("name", metavar="NAME")
    p.add_argument("--file", metavar="FILE", help=_TEMPLATES_FILE)
    p = kit.action(actions, "validate", "_templates:cmd_templates_validate",
                   "check a templates file; a mistake is named with its line", no_scan=True)
    p.add_argument("path", nargs="?", metavar="FILE", help=_TEMPLATES_FILE)
def _team(kit: _Kit) -> None:
    actions = kit.actions("team", "a team server several machines push their usage to (docs/team.md)")
    p = kit.action(actions, "init-db", "_team:cmd_team_init_db", "create or upgrade the team server's tables",
                   no_scan=True)
    _database_url(p)
    p = kit.action(actions, "serve", "_team:cmd_team_serve", "run the team server (plain HTTP; TLS is a proxy's job)",
                   no_scan=True)
    _database_url(p)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, local only)")
    p.add_argument("--port", type=int, default=8780, help="port (default: 8780; 0: any free port)")
    p.add_argument("--insecure", action="store_true",
                   help="allow plain HTTP on an address beyond loopback (a trusted network only)")
    users = actions.add_parser("user", help="the team's users (run on the server, with its database URL)")
    users_actions = users.add_subparsers(dest="team_user_command", required=True, metavar="ACTION")
    p = kit.action(users_actions, "add", "_team:cmd_team_user_add", "add a user", no_scan=True)
    _database_url(p)
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=("admin", "member", "viewer"),
                   help="admin sees the team's data; member pushes and sees their own; viewer only sees their own")
    p = kit.action(users_actions, "list", "_team:cmd_team_user_list", "list users and their devices", no_scan=True)
    _database_url(p)
    tokens = actions.add_parser("token", help="device tokens (run on the server, with its database URL)")
    tokens_actions = tokens.add_subparsers(dest="team_token_command", required=True, metavar="ACTION")
    p = kit.action(tokens_actions, "create", "_team:cmd_team_token_create",
                   "make a token for a user's device; it is shown once", no_scan=True)
    _database_url(p)
    p.add_argument("--user", required=True)
    p.add_argument("--device", required=True, help="a name for the machine (made on first use)")
    p = kit.action(tokens_actions, "revoke", "_team:cmd_team_token_revoke", "revoke every token of a device",
                   no_scan=True)
    _database_url(p)
    p.add_argument("--user", required=True)
    p.add_argument("--device", required=True)
    p = kit.action(actions, "join", "_team:cmd_team_join", "remember a team server and this device's token",
                   no_scan=True)
    p.add_argument("url", help="the server's URL (https, or http to this machine)")
    p.add_argument("--token", required=True, help="the token 'team token create' made for this device")
    p.add_argument("--insecure", action="store_true", help="allow plain http to another machine (trusted network)")
    p = kit.action(actions, "push", "_team:cmd_team_push",
                   "send the team server the sessions and usage it has not had from this machine", scans=True)
    p.add_argument("--batch-size", type=_positive, default=500, metavar="N",
                   help="rows per request (default: 500)")
    p = kit.action(actions, "usage", "_team:cmd_team_usage",
                   "usage as the team server has it: the team's for an admin, your own otherwise", no_scan=True)
    p.add_argument("--by", default="day", choices=("day", "model", "device"))
    p.add_argument("--since", help="from a date (2025-01-31, whole day), an ISO time or an age (7d, 12h)")
    p.add_argument("--until", help="up to a date (2025-01-31, included), an ISO time or an age")
    p.add_argument("--timezone", metavar="TZ", help="IANA time zone for days (default: this machine's, as usage has them)")
    p = kit.action(actions, "history", "_handoff:cmd_team_history",
                   "who worked on a session: the devices that pushed it, when, and its handoffs", no_scan=True)
    p.add_argument("id", help="the full session id")
    chats = actions.add_parser("chat", help="chat accounts linked to team users, for the chat bots (docs/chat.md)")
    chats_actions = chats.add_subparsers(dest="team_chat_command", required=True, metavar="ACTION")
    p = kit.action(chats_actions, "link", "_team_chat:cmd_team_chat_link",
                   "link a Slack, Discord or Teams account to a team user", no_scan=True)
    _database_url(p)
    p.add_argument("--platform", required=True, choices=("slack", "discord", "teams"))
    p.add_argument("--workspace", help="Slack's team id (T...) or Teams' tenant id; not needed for Discord")
    p.add_argument("--chat-user", required=True, help="the platform's user id (Teams: the Entra object id)")
    p.add_argument("--user", required=True, help="the team user")
    p = kit.action(chats_actions, "link-code", "_team_chat:cmd_team_chat_link_code",
                   "a one-time code a user sends as '/llm link CODE' to link their chat account", no_scan=True)
    _database_url(p)
    p.add_argument("--user", required=True, help="the team user")
    _team_access(kit, actions, users_actions)


def _team_access(kit: _Kit, actions: argparse._SubParsersAction, users_actions: argparse._SubParsersAction) -> None:
    """``team user passwd`` and ``team grants`` (docs/team.md, sign-in and grants)."""
    p = kit.action(users_actions, "passwd", "_team_access:cmd_team_user_passwd",
                   "set a user's web sign-in password (asked twice on the terminal)", no_scan=True)
    _database_url(p)
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    kit.action(actions, "grants", "_team_access:cmd_team_grants",
               "the grants on your data on the team server, and those given to you", no_scan=True)


def _share(kit: _Kit) -> None:
    p = kit.add("share", "_team_access:cmd_share",
                "share a session (or --project) with a user of the team server, read-only unless --write")
    p.add_argument("id", metavar="ID", help="session id or unique prefix (a project's name with --project)")
    p.add_argument("--with", dest="with_user", required=True, metavar="USER", help="the user to share with")
    p.add_argument("--write", action="store_true", help="let them write too (notes); never a viewer")
    p.add_argument("--project", action="store_true", help="ID is a project: share all its sessions")
    p.add_argument("--revoke", action="store_true", help="take the grant back instead")



def _handoff(kit: _Kit) -> None:
    p = kit.add("handoff", "_handoff:cmd_handoff",
                "hand a session to a teammate on the team server (pushes it first; docs/team.md#handoff)", scans=True)
    p.add_argument("id", help="session id or unique prefix")
    p.add_argument("--to", required=True, metavar="USER", help="the teammate's user name on the team server")
    p.add_argument("--note", metavar="TEXT", help="a word for them, shown in their resume pack")


def _take(kit: _Kit) -> None:
    p = kit.add("take", "_handoff:cmd_take",
                "take a session handed to you: its resume pack, and a transcript to resume (docs/team.md#handoff)")
    p.add_argument("id", help="the full session id")
    p.add_argument("--checkout", metavar="DIR", help="your checkout of the project (default: the current directory)")
    p.add_argument("--exchanges", type=_positive, default=5, metavar="N", help="last exchanges in the pack (default: 5)")
    p.add_argument("--print", action="store_true", help="print the resume pack; write nothing")
    p.add_argument("--force", action="store_true", help="replace a transcript of that session already here")


def _database_url(p: argparse.ArgumentParser) -> None:
    """The option of the ``team`` actions that work on the server's database."""
    p.add_argument("--database-url", metavar="URL", help="the team's PostgreSQL database (default: $DATABASE_URL)")
def _search(kit: _Kit) -> None:
    p = kit.add("search", "_search:cmd_search",
                "find where something was said in past conversations (docs/search.md)", scans=True)
    p.add_argument("query", help='words (all must match), "a phrase" in quotes, or a prefix*')
    p.add_argument("--in", dest="session", metavar="ID", help="only this session (id or unique prefix)")
    p.add_argument("--provider", type=_provider, help="only this assistant's sessions")
    p.add_argument("--project", help="only this project's sessions")
    p.add_argument("--since", help="said since a date (2025-01-31), an ISO time or an age (7d, 12h)")
    p.add_argument("--role", choices=SEARCH_ROLES, help="only prompts (user), answers (assistant), "
                                                        "tool errors (tool) or summaries (system)")
    p.add_argument("--sort", default="best", choices=SEARCH_SORTS, help="best match (default) or newest first")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="at most N matches: 1 to 200 (default 20)")


def _ci(kit: _Kit) -> None:
    actions = kit.actions("ci", "AI usage in a CI job: summary, budget gates, pull request comment (docs/ci.md)")
    p = kit.action(actions, "report", "_ci:cmd_ci_report",
                   "report the repository's AI usage from transcripts or the team server; fail on a budget",
                   no_scan=True)
    p.add_argument("--transcripts", default=".llm-sessions", metavar="DIR",
                   help="the assistants' logs laid out like a home directory (.claude/projects/..., "
                        ".codex/sessions/...), relative to --repo (default: .llm-sessions)")
    p.add_argument("--repo", default=".", metavar="DIR", help="the repository (default: the current directory)")
    p.add_argument("--team-url", metavar="URL", help="read the team server's usage instead of transcripts")
    p.add_argument("--team-token", metavar="TOKEN", help="a device token for --team-url (default: $LLM_SESSION_TEAM_TOKEN)")
    p.add_argument("--branch", help="the branch whose sessions to list (default: the CI's, else git's)")
    p.add_argument("--timezone", metavar="TZ", help="IANA time zone for days (default: this machine's)")
    p.add_argument("--summary", metavar="FILE", help="append the Markdown report to FILE ($GITHUB_STEP_SUMMARY)")
    p.add_argument("--comment", action="store_true",
                   help="post the report on the pull or merge request, or update the one posted before")
    p.add_argument("--max-cost", type=float, metavar="USD", help="fail when the cost is over USD")
    p.add_argument("--max-context-file-tokens", type=_positive, metavar="N",
                   help="fail when an instruction file (CLAUDE.md, AGENTS.md, ...) is over N tokens")
    p.add_argument("--min-health", type=float, metavar="SCORE",
                   help="fail when a session on the branch has a health score under SCORE (0-100)")


def _instructions_budget(kit: _Kit) -> None:
    p = kit.add("instructions-budget", "_ci:cmd_instructions_budget",
                "fail when an assistant instruction file is over a token budget, naming its largest sections")
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="files to check; others than CLAUDE.md, AGENTS.md, GEMINI.md, .cursorrules and "
                        "copilot-instructions.md are ignored (default: every one under the current directory)")
    p.add_argument("--max-tokens", type=_positive, default=4000, metavar="N", help="the budget per file (default: 4000)")


def _health_check(kit: _Kit) -> None:
    p = kit.add("health-check", "_ci:cmd_health_check",
                "warn, or fail, when the session working on this checkout is unhealthy; reads the store, scans nothing")
    p.add_argument("--cwd", default=".", metavar="DIR", help="the checkout (default: the current directory)")
    p.add_argument("--fail-on", default="never", choices=("critical", "warning", "never"),
                   help="fail at this status or worse (default: never, only warn)")


# encrypt, decrypt (docs/privacy.md)
def _encrypt(kit: _Kit) -> None:
    p = kit.add("encrypt", "_encrypt:cmd_encrypt",
                "encrypt the stored message bodies (key: LLM_SESSION_PASSPHRASE, else the OS keyring); resumable")
    p.add_argument("--batch-size", type=_positive, default=500, metavar="N", help="messages per transaction")


def _decrypt(kit: _Kit) -> None:
    p = kit.add("decrypt", "_encrypt:cmd_decrypt",
                "decrypt the stored message bodies and stop encrypting new ones; resumable")
    p.add_argument("--batch-size", type=_positive, default=500, metavar="N", help="messages per transaction")


class _Command(NamedTuple):
    name: str
    build: Callable[[_Kit], None]


# In the order ``--help`` lists them.
_COMMANDS = (
    _Command("scan", _scan), _Command("import", _import), _Command("list", _list), _Command("local", _local),
    _Command("show", _show), _Command("export", _export), _Command("tag", _tagging("tag", "add tags to")),
    _Command("untag", _tagging("untag", "remove tags from")), _Command("set-project", _set_project),
    _Command("recommend", _recommend), _Command("usage", _usage), _Command("analytics", _analytics),
    _Command("blocks", _blocks), _Command("count-tokens", _count_tokens), _Command("demo", _demo),
    _Command("init", _init), _Command("doctor", _doctor), _Command("lsp", _lsp), _Command("mcp", _mcp), _Command("serve", _serve),
    _Command("dashboard", _dashboard), _Command("remember", _remember), _Command("memorize", _memorize),
    _Command("recall", _recall), _Command("memory", _memory), _Command("notify", _notify),
    _Command("pricing", _pricing), _Command("config", _config),
    _Command("otel", _otel),
    _Command("hooks", _hooks), _Command("hook", _hook),
    _Command("statusline", _statusline), _Command("limits", _limits),
    _Command("context", _context),
    _Command("replay", _replay), _Command("export-conversation", _export_conversation),
    _Command("record", _record), _Command("unrecord", _unrecord), _Command("prune", _prune),
    _Command("create-from-template", _create_from_template), _Command("save-template", _save_template),
    _Command("templates", _templates),
    _Command("team", _team),
    _Command("search", _search),
    _Command("share", _share),
    _Command("handoff", _handoff), _Command("take", _take),
    _Command("ci", _ci), _Command("instructions-budget", _instructions_budget),
    _Command("health-check", _health_check),
    _Command("encrypt", _encrypt), _Command("decrypt", _decrypt),
)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or only of the one ``argv`` names."""
    parser = _Parser(
        prog="llm-session", parents=[_global_options(None)],
        description="Every AI coding session on this machine: usage, cost, context fill, health.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    kit = _Kit(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    named = _named_command(argv or ())
    for command in _COMMANDS:
        if named is None or command.name == named:
            command.build(kit)
    return parser


def _named_command(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs, if it names a known one before any help flag."""
    takes_value = False
    for arg in argv:
        if takes_value:
            takes_value = False
        elif arg == "--config":
            takes_value = True
        elif arg in ("-h", "--help", "--version"):
            return None
        elif not arg.startswith("-"):
            return arg if any(c.name == arg for c in _COMMANDS) else None
    return None
