"""Commands that set things up: config, pricing, ``init`` and the sandboxed ``demo``."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

from ...core.errors import BadInput
from ._context import Context


def cmd_config_show(ctx: Context) -> None:
    import yaml

    from ...core import config

    data = config.to_dict(ctx.config)
    ctx.emit(data, lambda _: sys.stdout.write(yaml.safe_dump(data, sort_keys=False)))


def cmd_config_path(ctx: Context) -> None:
    from ...core import config

    path = config.config_path(ctx.args.config)
    ctx.emit({"path": str(path), "exists": path.exists()}, lambda _: print(path))


def cmd_config_init(ctx: Context) -> None:
    from ...core import config

    path = config.init(config.config_path(ctx.args.config), force=ctx.args.force)
    print(f"Wrote {path}", file=sys.stderr)


def cmd_pricing_update(ctx: Context) -> None:
    from ...core import pricing
    from ...store import repricing

    models = pricing.update(Path(ctx.args.file))
    repriced = repricing.reprice(ctx.conn)
    ctx.emit({"models": models, "repriced": repriced},
             lambda _: print(f"Installed prices for {models:,} models; repriced {repriced:,} responses"))


def cmd_init(ctx: Context) -> None:
    from ...core import config
    from ...store import db_path

    path = config.config_path(ctx.args.config)
    created = not path.exists()
    if created:
        config.init(path)
    ctx.config  # noqa: B018  (validates the config file before we report success)
    ctx.conn  # noqa: B018  (creates the database)
    from ...services.templates import example_path, templates_path

    templates = templates_path(config=ctx.args.config)
    info = {"config": str(path), "config_created": created, "database": str(db_path()), "templates": str(templates)}
    me = self_command()
    ctx.emit(info, lambda _: print(
        f"Config:   {path}{' (created)' if created else ''}\nDatabase: {db_path()}\n"
        f"Templates: {templates}" + ("" if templates.exists() else f" (none yet; an example: {example_path()})")
        + f"\nNext: {me} scan && {me} list"
    ))


def cmd_demo(ctx: Context) -> None:
    from ... import demo_logs, ingest
    from ...core import config
    from ...services import recommend, sessions, usage
    from ...store import DB_NAME, connect
    from . import render

    root = Path(ctx.args.dir).expanduser() if ctx.args.dir else _default_demo_dir()
    _reset_demo_dir(root)
    layout = demo_logs.write_demo_logs(root / "logs", now=datetime.now(UTC))
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
    console.print(f"\nDemo data is in {root}. Explore it (your own logs stay out of it) with:")
    # print, not the console: a wrapped command cannot be pasted
    print(f"  LLM_SESSION_DATA_DIR={shlex.quote(str(root / 'data'))} {self_command()} list --no-scan")


def self_command() -> str:
    """This program as a command that runs when pasted into a shell, however it was started.

    ``make demo`` runs ``.venv/bin/llm-session``, which is not on PATH; tests
    and some users run ``python -m llm_session_manager``.
    """
    script = sys.argv[0]
    if os.path.basename(script) == "llm-session":
        on_path = shutil.which("llm-session")
        if on_path and os.path.samefile(on_path, script):
            return "llm-session"
        return shlex.quote(os.path.abspath(script))
    return f"{shlex.quote(sys.executable)} -m llm_session_manager"


def _default_demo_dir() -> Path:
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
