"""``llm-session``: a thin command-line skin over the services.

Every command parses its arguments, calls one service and prints the result:
a rich table for people, or with ``--json`` exactly one JSON document on
stdout. Errors the user can fix are one line on stderr (exit 1); ``--verbose``
adds logs and tracebacks.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import msgspec

from . import __version__
from .errors import BadInput, LlmSessionError
from .models import PROVIDERS, short_id

class Context:
    """What commands share: parsed args, lazily loaded config, store and console."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._config = None
        self._conn = None

    @property
    def config(self):
        if self._config is None:
            from . import config

            self._config = config.load(self.args.config)
        return self._config

    @property
    def conn(self):
        if self._conn is None:
            from .store import connect

            self._conn = connect()
        return self._conn

    def fresh_conn(self):
        """The store, first brought up to date with the logs (unless ``--no-scan``).

        Reports are never stale: with nothing new a rescan costs a stat per log.
        """
        if not self.args.no_scan:
            self.scan()
        return self.conn

    def scan(self):
        from . import ingest

        with _ScanProgress(enabled=not self.args.json) as progress:
            result = ingest.scan(self.conn, self.config, progress=progress)
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        return result

    @functools.cached_property
    def console(self):
        from rich.console import Console

        return Console()

    def emit(self, value: Any, human: Callable[[Any], None]) -> None:
        """Print ``value`` as JSON with ``--json``, else call ``human(render)``.

        The rich-based ``render`` module is imported only for people: it costs
        more start-up time than most commands take to run.
        """
        if getattr(self.args, "json", False):
            sys.stdout.write(msgspec.json.format(msgspec.json.encode(value), indent=2).decode() + "\n")
        else:
            from . import render

            human(render)


# --- commands ----------------------------------------------------------------


def cmd_scan(ctx: Context) -> None:
    result = ctx.scan()
    ctx.emit(result, lambda render: render.scan_result(ctx.console, result))


def cmd_import(ctx: Context) -> None:
    from . import ingest
    from .sources.exports import EXPORTS

    a = ctx.args
    with _ScanProgress(enabled=not a.json) as progress:
        result = ingest.import_files(ctx.conn, ctx.config, EXPORTS[a.kind] if a.kind else None,
                                     [Path(f).expanduser() for f in a.files], progress=progress)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    ctx.emit(result, lambda render: render.scan_result(ctx.console, result))


def cmd_local(ctx: Context) -> None:
    from .services import local_models

    found = local_models.loaded(ctx.config)
    ctx.emit(found, lambda render: render.local_models(ctx.console, found))


def cmd_list(ctx: Context) -> None:
    from .services import sessions

    a = ctx.args
    filters = sessions.Filters(
        provider=a.provider, tag=a.tag, project=a.project, active=a.active,
        since=_parse_since(a.since) if a.since else None,
    )
    found = sessions.list_sessions(ctx.fresh_conn(), ctx.config, filters)
    ctx.emit(found, lambda render: render.session_table(ctx.console, found, emoji=ctx.config.dashboard.show_emoji))


def cmd_show(ctx: Context) -> None:
    from .services import export, sessions

    if ctx.args.json:
        ctx.emit(sessions.get_session(ctx.fresh_conn(), ctx.config, ctx.args.id), lambda _: None)
    else:
        from . import render

        render.markdown(ctx.console, export.render(ctx.fresh_conn(), ctx.config, ctx.args.id, "markdown"))


def cmd_export(ctx: Context) -> None:
    from .services import export

    text = export.render(ctx.fresh_conn(), ctx.config, ctx.args.id, ctx.args.format)
    if ctx.args.output and ctx.args.output != "-":
        out = Path(ctx.args.output)
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as e:
            raise BadInput(f"cannot write {out}: {e.strerror}") from e
        print(f"Wrote {out} ({len(text):,} characters)", file=sys.stderr)
    else:
        sys.stdout.write(text)


def cmd_tag(ctx: Context) -> None:
    from .services import sessions

    sid = sessions.tag(ctx.conn, ctx.args.id, ctx.args.tags)
    ctx.emit({"id": sid, "tags": sessions.get_session(ctx.conn, ctx.config, sid).tags},
             lambda _: print(f"Tagged {short_id(sid)}: {' '.join(ctx.args.tags)}"))


def cmd_untag(ctx: Context) -> None:
    from .services import sessions

    sid = sessions.untag(ctx.conn, ctx.args.id, ctx.args.tags)
    ctx.emit({"id": sid, "tags": sessions.get_session(ctx.conn, ctx.config, sid).tags},
             lambda _: print(f"Removed from {short_id(sid)}: {' '.join(ctx.args.tags)}"))


def cmd_set_project(ctx: Context) -> None:
    from .services import sessions

    sid = sessions.set_project(ctx.conn, ctx.args.id, ctx.args.name)
    ctx.emit({"id": sid, "project": ctx.args.name.strip()},
             lambda _: print(f"Session {short_id(sid)} is now in project {ctx.args.name.strip()!r}"))


def cmd_recommend(ctx: Context) -> None:
    from .services import recommend, sessions

    if ctx.args.id:
        found = [sessions.get_session(ctx.fresh_conn(), ctx.config, ctx.args.id)]
    else:
        found = sessions.list_sessions(ctx.fresh_conn(), ctx.config)
    recs = recommend.for_sessions(found, ctx.config, only_recent=not ctx.args.id)
    ctx.emit(recs, lambda render: render.recommendations(ctx.console, recs))


def cmd_usage(ctx: Context) -> None:
    from .services import usage

    a = ctx.args
    report = usage.report(ctx.fresh_conn(), a.by, since=a.since, until=a.until, provider=a.provider)
    ctx.emit(report, lambda render: render.usage_table(ctx.console, report, a.by))


def cmd_analytics(ctx: Context) -> None:
    from .services import analytics

    a = ctx.args
    days = analytics.parse_count("--days", a.days, analytics.MAX_DAYS)
    top = analytics.parse_count("--top", a.top, analytics.MAX_TOP)
    report = analytics.report(ctx.fresh_conn(), ctx.config, days=days, top=top)
    ctx.emit(report, lambda render: render.analytics(ctx.console, report))


def cmd_blocks(ctx: Context) -> None:
    from .services import analytics

    a = ctx.args
    days = analytics.parse_count("--days", a.days, analytics.MAX_DAYS) if a.days is not None else None
    shown = analytics.blocks_report(ctx.fresh_conn(), days=days, active=a.active)
    ctx.emit(shown, lambda render: render.billing_blocks(ctx.console, shown))


def cmd_count_tokens(ctx: Context) -> None:
    from .services import tokens

    source = ctx.args.file
    if source == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(source).read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            raise BadInput(f"cannot read {source}: {e.strerror}") from e
    count = tokens.count_tokens(text, ctx.args.model, ctx.conn)
    ctx.emit(count, lambda render: render.token_count(ctx.console, count))


def cmd_pricing_update(ctx: Context) -> None:
    from .services import pricing, usage

    models = pricing.update(Path(ctx.args.file))
    repriced = usage.reprice(ctx.conn)
    ctx.emit({"models": models, "repriced": repriced},
             lambda _: print(f"Installed prices for {models:,} models; repriced {repriced:,} responses"))


def cmd_config_show(ctx: Context) -> None:
    import yaml

    from . import config

    data = config.to_dict(ctx.config)
    ctx.emit(data, lambda _: sys.stdout.write(yaml.safe_dump(data, sort_keys=False)))


def cmd_config_path(ctx: Context) -> None:
    from . import config

    path = config.config_path(ctx.args.config)
    ctx.emit({"path": str(path), "exists": path.exists()}, lambda _: print(path))


def cmd_config_init(ctx: Context) -> None:
    from . import config

    path = config.init(config.config_path(ctx.args.config), force=ctx.args.force)
    print(f"Wrote {path}", file=sys.stderr)


def cmd_init(ctx: Context) -> None:
    from . import config
    from .store import db_path

    path = config.config_path(ctx.args.config)
    created = not path.exists()
    if created:
        config.init(path)
    ctx.config  # noqa: B018  (validates the config file before we report success)
    ctx.conn  # noqa: B018  (creates the database)
    info = {"config": str(path), "config_created": created, "database": str(db_path())}
    ctx.emit(info, lambda _: print(
        f"Config:   {path}{' (created)' if created else ''}\nDatabase: {db_path()}\n"
        "Next: 'llm-session scan' then 'llm-session list'."
    ))


def cmd_lsp(ctx: Context) -> None:
    import gc

    # Start-up is mostly imports (lsprotocol builds a class per LSP type), and every
    # collection during them walks all that is alive; the server turns the collector
    # back on once it is built (``lsp.server.run_stdio``).
    gc.disable()
    from .lsp import run_stdio

    code = run_stdio(ctx.args.config, verbose=ctx.args.verbose)
    if code:
        raise SystemExit(code)


def cmd_mcp(ctx: Context) -> None:
    from .mcp_server.server import run_stdio

    run_stdio(ctx.args.config, verbose=ctx.args.verbose)


def cmd_mcp_install(ctx: Context) -> None:
    from .mcp_server import install

    a = ctx.args
    target = install.target(a.client, a.scope)
    if a.print:
        snippet = install.install(target, dry_run=True).snippet
        ctx.emit({"client": a.client, "scope": a.scope, "path": str(target.path), "snippet": snippet},
                 lambda _: print(f"# {target.path}\n{snippet}"))
        return
    done = install.install(target)
    ctx.emit({"client": a.client, "scope": a.scope, "path": str(done.path), "changed": done.changed,
              "backup": str(done.backup) if done.backup else None},
             lambda _: print(f"{'Added llm-session to' if done.changed else 'Already set up in'} {done.path}"
                             + (f" (backup: {done.backup})" if done.backup else ""), file=sys.stderr))


def cmd_serve(ctx: Context) -> None:
    from . import serve

    serve.run(ctx.args.host, ctx.args.port, ctx.args.config, verbose=ctx.args.verbose, lsp_port=ctx.args.lsp_port)


def cmd_dashboard(ctx: Context) -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("error: the dashboard needs a terminal; in scripts and pipes use "
              "'llm-session list' or 'llm-session analytics' (both take --json)", file=sys.stderr)
        raise SystemExit(2)
    from .tui import open_dashboard  # Textual only for this command: it costs start-up time

    app = open_dashboard(ctx.config, ctx.conn, theme=ctx.args.theme, refresh=ctx.args.refresh)
    app.run()
    if app.return_code:
        raise SystemExit(app.return_code)


def cmd_demo(ctx: Context) -> None:
    from . import config, demo_logs, ingest, render
    from .services import recommend, sessions, usage
    from .store import DB_NAME, connect

    root = Path(ctx.args.dir).expanduser() if ctx.args.dir else _default_demo_dir()
    _reset_demo_dir(root)
    layout = demo_logs.write_demo_logs(root / "logs", now=datetime.now(timezone.utc))
    conn = connect(root / "data" / DB_NAME)
    # Defaults, not the user's config: its source paths could point at real logs.
    cfg = config.Config()
    env = {"CLAUDE_CONFIG_DIR": str(layout.claude_config_dir), "CODEX_HOME": str(layout.codex_home)}
    result = ingest.scan(conn, cfg, env=env, home=root)
    found = sessions.list_sessions(conn, cfg)
    report = usage.report(conn, "day")
    recs = recommend.for_sessions(found, cfg)
    if ctx.args.json:
        ctx.emit({"dir": str(root), "scan": result, "sessions": found, "usage": report,
                  "recommendations": recs}, lambda _: None)
        return
    console = ctx.console
    console.rule("[bold]llm-session demo")
    render.scan_result(console, result)
    render.session_table(console, found)
    console.rule("Usage by day")
    render.usage_table(console, report, "day")
    console.rule("Recommendations")
    render.recommendations(console, recs)
    console.print(
        f"\nDemo data is in {root}. Explore it (your own logs stay out of it) with:\n"
        f"  LLM_SESSION_DATA_DIR={root / 'data'} llm-session list --no-scan"
    )


def _default_demo_dir() -> Path:
    import os

    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "llm-session-manager" / "demo"


_DEMO_MARK = ".llm-session-demo"


def _reset_demo_dir(root: Path) -> None:
    """Empty a previous demo dir; refuse to clear anything that is not one."""
    if root.exists() and any(root.iterdir()):
        if not (root / _DEMO_MARK).exists():
            raise BadInput(f"{root} is not empty and not a demo directory; choose another --dir")
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / _DEMO_MARK).write_text("created by 'llm-session demo'; safe to delete\n")


# --- parsing -----------------------------------------------------------------

def _parse_since(value: str) -> float:
    """A local date (2025-01-31), an ISO time or an age (30m, 12h, 7d, 2w) as unix seconds."""
    from .services import sessions

    return sessions.parse_since(value, name="--since")


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

    def add(name: str, func: Callable[[Context], None], help: str, json: bool = True, scans: bool = False):
        parents = [common] + ([as_json] if json else []) + ([refresh] if scans else [])
        p = sub.add_parser(name, parents=parents, help=help, description=help)
        # Only for commands without the flag: set_defaults would also change the
        # default of a parent's shared action.
        p.set_defaults(func=func, json=False, **({} if scans else {"no_scan": True}))
        return p

    add("scan", cmd_scan, "read new log lines of every assistant into the store")
    p = add("import", cmd_import,
            "read downloaded exports: OpenAI / Anthropic API usage or cost CSVs, ChatGPT conversations.json")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--as", dest="kind", choices=("openai-api", "anthropic-api", "chatgpt"),
                   help="what the files are (default: told from their content)")
    p = add("list", cmd_list, "list sessions with tokens, context fill, cost and health", scans=True)
    p.add_argument("--provider", type=_provider)
    p.add_argument("--tag")
    p.add_argument("--project")
    p.add_argument("--active", action="store_true", help="only sessions whose assistant is running")
    p.add_argument("--since", help="last active since a date (2025-01-31) or an age (7d, 12h)")
    add("local", cmd_local, "models loaded in local servers (Ollama, LM Studio), with their context size")
    p = add("show", cmd_show, "one session in detail", scans=True)
    p.add_argument("id", help="session id or unique prefix")
    p = add("export", cmd_export, "export a session report", json=False, scans=True)
    p.add_argument("id")
    p.add_argument("--format", "-f", default="markdown", choices=("json", "yaml", "markdown", "csv"))
    p.add_argument("-o", "--output", help="file to write (default: stdout)")
    for name, func, verb in (("tag", cmd_tag, "add tags to"), ("untag", cmd_untag, "remove tags from")):
        p = add(name, func, f"{verb} a session")
        p.add_argument("id")
        p.add_argument("tags", nargs="+", metavar="TAG")
    p = add("set-project", cmd_set_project, "put a session in a named project")
    p.add_argument("id")
    p.add_argument("name")
    p = add("recommend", cmd_recommend, "what to do about recent sessions (or one)", scans=True)
    p.add_argument("id", nargs="?")
    p = add("usage", cmd_usage, "token and cost report, like ccusage", scans=True)
    p.add_argument("--by", default="day", choices=("day", "month", "session", "model", "project", "provider"))
    p.add_argument("--since", help="first local date, YYYY-MM-DD")
    p.add_argument("--until", help="last local date, YYYY-MM-DD")
    p.add_argument("--provider", type=_provider)
    p = add("analytics", cmd_analytics, "trends, top costs, session health and limits over the last days",
            scans=True)
    p.add_argument("--days", default="30", help="local days up to today (default: 30)")
    p.add_argument("--top", default="10", help="entries in each ranking (default: 10)")
    p = add("blocks", cmd_blocks, "Claude's 5-hour billing blocks with burn rate and projection, like ccusage",
            scans=True)
    p.add_argument("--days", help="only blocks that began in the last N local days (default: all)")
    p.add_argument("--active", action="store_true", help="only the block running now")
    p = add("count-tokens", cmd_count_tokens, "count the tokens of a file or stdin")
    p.add_argument("file", nargs="?", default="-", help="file, or - for stdin")
    p.add_argument("--model", help="model whose tokenizer to use (default: o200k estimate)")
    p = add("demo", cmd_demo, "write realistic demo logs into a sandbox and show what we make of them")
    p.add_argument("--dir", help="sandbox directory (default: $XDG_CACHE_HOME/llm-session-manager/demo)")
    add("init", cmd_init, "create the config file and the database")
    p = add("lsp", cmd_lsp, "language server for editors, over stdin/stdout (docs/lsp.md)", json=False)
    p.add_argument("--stdio", action="store_true", help=argparse.SUPPRESS)  # what many clients append
    p = add("mcp", cmd_mcp, "MCP server for AI assistants, over stdin/stdout (docs/mcp.md)", json=False)
    mcp_sub = p.add_subparsers(dest="mcp_command", metavar="ACTION")
    p = mcp_sub.add_parser("install", parents=[common, as_json], help="add this server to an MCP client's config",
                           description="add this server to an MCP client's config")
    p.set_defaults(func=cmd_mcp_install, json=False)
    p.add_argument("--client", required=True, choices=("claude-code", "cursor", "vscode", "codex", "gemini"))
    p.add_argument("--scope", default="user", choices=("user", "project"),
                   help="user: for every project; project: files in the current directory")
    p.add_argument("--print", action="store_true", help="print the entry and where it goes; change nothing")
    p = add("serve", cmd_serve, "serve MCP over HTTP at /mcp and LSP over TCP, and keep the store fresh (docs/mcp.md)",
            json=False)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, local only)")
    p.add_argument("--port", type=int, default=8765, help="MCP HTTP port (default: 8765; 0: any free port)")
    p.add_argument("--lsp-port", type=int, default=8766, help="LSP TCP port (default: 8766; 0: any free port)")
    p = add("dashboard", cmd_dashboard, "live terminal dashboard of sessions, usage and health (docs/dashboard.md)",
            json=False)
    p.add_argument("--theme", choices=("dark", "light", "cyberpunk", "minimal"),
                   help="colour scheme (default: dashboard.color_scheme in the config)")
    p.add_argument("--refresh", type=_seconds, metavar="SECONDS",
                   help="how often to look for news in the store (default: dashboard.refresh_interval)")

    _add_memory_commands(sub, add, common, as_json)
    _add_notify_commands(sub, common, as_json, refresh)

    pricing = sub.add_parser("pricing", help="the offline pricing table").add_subparsers(
        dest="pricing_command", required=True, metavar="ACTION")
    p = pricing.add_parser("update", parents=[common, as_json], help="install prices from a local LiteLLM-format JSON file")
    p.set_defaults(func=cmd_pricing_update, json=False)
    p.add_argument("--file", required=True)

    cfg = sub.add_parser("config", help="show or create the config file").add_subparsers(
        dest="config_command", required=True, metavar="ACTION")
    for name, func, help in (
        ("show", cmd_config_show, "print the effective configuration"),
        ("path", cmd_config_path, "print where the config file is read from"),
        ("init", cmd_config_init, "write a commented default config file"),
    ):
        p = cfg.add_parser(name, parents=[common, as_json], help=help)
        p.set_defaults(func=func, json=False)
        if name == "init":
            p.add_argument("--force", action="store_true", help="overwrite an existing file")
    return parser


class _ScanProgress:
    """A progress bar for scans that last longer than a second, on a terminal only."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.started = time.monotonic()
        self.bar = None
        self.task = None

    def __enter__(self) -> Callable[[int, int], None]:
        return self.update

    def update(self, done: int, total: int) -> None:
        if not self.enabled or time.monotonic() - self.started < 1.0:
            return
        if self.bar is None:
            from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

            self.bar = Progress(
                "[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                TimeRemainingColumn(), transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("Scanning logs", total=total)
        self.bar.update(self.task, completed=done)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


# --- memory (services/memory; docs/memory.md) --------------------------------


def cmd_remember(ctx: Context) -> None:
    from .services import memory

    a = ctx.args
    m = memory.remember(ctx.conn, a.text, project=a.project, tags=a.tag or (),
                        embedder=memory.embedder_for(ctx.config))
    ctx.emit({"id": m.id}, lambda _: print(f"Remembered {m.id}"))


def cmd_memorize(ctx: Context) -> None:
    from .services import memory

    found = memory.memorize(ctx.fresh_conn(), ctx.config, ctx.args.id, embedder=memory.embedder_for(ctx.config))
    ctx.emit(found, lambda _: _print_memories(found, f"{len(found)} new memories"))


def cmd_recall(ctx: Context) -> None:
    from .services import memory

    a = ctx.args
    conn = ctx.fresh_conn() if a.import_to else ctx.conn
    found = memory.recall(conn, a.query, limit=a.limit, project=a.project, tags=a.tag or (),
                          since=_parse_since(a.since) if a.since else None,
                          embedder=memory.embedder_for(ctx.config))
    if a.import_to:
        path = memory.import_to_session(conn, ctx.config, a.import_to, found)
        print(f"Wrote {len(found)} memories to {path}", file=sys.stderr)
    ctx.emit(found, lambda _: _print_memories(found, "No memories match." if not found else None))


def cmd_memory_import(ctx: Context) -> None:
    from .services import memory

    with _ImportProgress(enabled=not ctx.args.json) as progress:
        result = memory.import_jsonl(ctx.conn, Path(ctx.args.file), progress=progress,
                                     embedder=memory.embedder_for(ctx.config))
    ctx.emit(result, lambda _: print(
        f"Imported {result.imported:,} memories; skipped {result.skipped:,} already stored, "
        f"{result.malformed:,} malformed lines"))


def cmd_memory_list(ctx: Context) -> None:
    from .services import memory

    a = ctx.args
    found = memory.list_memories(ctx.conn, project=a.project, tag=a.tag, limit=a.limit)
    ctx.emit(found, lambda _: _print_memories(found, "No memories yet." if not found else None))


def cmd_memory_forget(ctx: Context) -> None:
    from .services import memory

    memory.forget(ctx.conn, ctx.args.id)
    ctx.emit({"id": ctx.args.id, "forgotten": True}, lambda _: print(f"Forgot {ctx.args.id}"))


def _print_memories(found, note: str | None) -> None:
    for m in found:
        score = f"{m.score:.2f} " if m.score is not None else ""
        where = " ".join(x for x in (m.project and f"[{m.project}]", " ".join(f"#{t}" for t in m.tags)) if x)
        print(f"{score}{m.id[:8]}  {m.text}" + (f"  {where}" if where else ""))
    if note:
        print(note, file=sys.stderr)


class _ImportProgress(_ScanProgress):
    """The scan's progress bar, over the bytes of an import file."""

    def update(self, done: int, total: int) -> None:
        super().update(done, total)
        if self.bar is not None:
            self.bar.update(self.task, description="Importing memories")


def _add_memory_commands(sub, add, common, as_json) -> None:
    p = add("remember", cmd_remember, "store a memory (secrets are redacted)")
    p.add_argument("text")
    p.add_argument("--project")
    p.add_argument("--tag", action="append", help="repeatable")
    p = add("memorize", cmd_memorize, "store what a session learned: requirements, decisions, facts, files",
            scans=True)
    p.add_argument("id", help="session id or unique prefix")
    p = add("recall", cmd_recall, "memories that match a query, by words and meaning", scans=True)
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
    p.set_defaults(func=cmd_memory_import, json=False)
    p.add_argument("file")
    p = mem.add_parser("list", parents=[common, as_json], help="list memories, newest first")
    p.set_defaults(func=cmd_memory_list, json=False)
    p.add_argument("--project")
    p.add_argument("--tag")
    p.add_argument("--limit", type=int)
    p = mem.add_parser("forget", parents=[common, as_json], help="delete a memory")
    p.set_defaults(func=cmd_memory_forget, json=False)
    p.add_argument("id", help="memory id or unique prefix")


# --- notifications (services/notify; docs/notifications.md) -------------------


def cmd_notify_check(ctx: Context) -> None:
    from .services import notify

    dry_run = ctx.args.dry_run
    if not dry_run and not notify.enabled_channels(ctx.config):
        raise BadInput("no notification channel is set up (notifications.channels, see docs/notifications.md); "
                       "--dry-run shows what would be sent")
    sent = notify.check(ctx.fresh_conn(), ctx.config, dry_run=dry_run)
    for line in notify.failures(sent):
        print(f"warning: {line}", file=sys.stderr)
    ctx.emit(sent, lambda _: _print_notifications(sent, dry_run))


def cmd_notify_test(ctx: Context) -> None:
    from .services import notify

    results = notify.send_test(ctx.config, ctx.args.channel)
    if ctx.args.json:
        for d in results:
            if not d.ok:
                print(f"warning: notify: {d.channel} failed: {d.error}", file=sys.stderr)
    ctx.emit(results, lambda _: print("\n".join(
        f"{d.channel}: " + ("ok" if d.ok else f"failed: {d.error}") for d in results)))
    if not all(d.ok for d in results):
        raise SystemExit(1)


def _print_notifications(notes, dry_run: bool) -> None:
    for n in notes:
        outcome = ", ".join(f"{d.channel} {'ok' if d.ok else 'failed'}" for d in n.deliveries)
        print(f"{'would send' if dry_run else 'sent'} [{n.severity}] {n.title}: {n.message}"
              + (f" ({outcome})" if outcome else ""))
    if not notes:
        print("Nothing to notify.", file=sys.stderr)


def _add_notify_commands(sub, common, as_json, refresh) -> None:
    notify = sub.add_parser("notify", help="run the notification rules once, or test the channels").add_subparsers(
        dest="notify_command", required=True, metavar="ACTION")
    p = notify.add_parser("check", parents=[common, as_json, refresh],
                          help="scan, then send what the rules say now (quiet hours and cooldowns apply)")
    p.set_defaults(func=cmd_notify_check, json=False)
    p.add_argument("--dry-run", action="store_true", help="show what would be sent; send and record nothing")
    p = notify.add_parser("test", parents=[common, as_json], help="send a test message through each channel")
    p.set_defaults(func=cmd_notify_test, json=False, no_scan=True)
    p.add_argument("--channel", help="only this one: desktop, terminal, slack, discord or email")


def _lsp_args(argv: list[str]) -> argparse.Namespace | None:
    """``lsp`` as editors start it, parsed without building the whole parser.

    An editor starts the language server with every window, and the parser of
    every command costs more than parsing this one line.
    """
    if argv[:1] != ["lsp"] or any(arg != "--stdio" for arg in argv[1:]):
        return None
    return argparse.Namespace(command="lsp", func=cmd_lsp, config=None, verbose=False, stdio=len(argv) > 1,
                              json=False, no_scan=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _lsp_args(argv) or build_parser().parse_args(argv)
    try:
        args.func(Context(args))
    except LlmSessionError as e:
        if args.verbose:
            traceback.print_exc()
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0  # e.g. piped into head
    except Exception as e:  # a bug: say so in one line unless asked for more
        if args.verbose:
            traceback.print_exc()
        print(f"internal error: {e.__class__.__name__}: {e} (run with --verbose for details)", file=sys.stderr)
        return 70
    return 0
