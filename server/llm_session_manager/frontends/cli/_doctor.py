"""``doctor``: check the whole installation, and with ``--recover`` get a damaged store back.

The checks of the store, config, logs and retention are ``services.doctor``'s;
those of what the assistants hold of ours (MCP servers, hooks, status line) read
the install modules of the frontends that write them, so they are here.
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING, Any

import msgspec

from ...services.doctor import Check
from ._context import Context

if TYPE_CHECKING:
    from ...store.recover import Recovered


class Report(msgspec.Struct):
    """``doctor --json``: the store's check as before (``database``, ``problems``),
    ``ok`` now for every check, and the checks."""

    database: str
    ok: bool
    problems: list[str]
    checks: list[Check]


def cmd_doctor(ctx: Context) -> None:
    from ...store import db_path, recover
    from ...store.failures import corrupt

    path = db_path()
    if not ctx.args.recover:
        checks, found = _checks(ctx)
        ok = all(c.ok for c in checks)
        report = Report(str(path), ok, found.problems if found else [], checks)
        ctx.emit(report, lambda _: _print_checks(checks))
        if found is not None and not found.ok:
            raise corrupt(path, "; ".join(found.problems))
        if not ok:
            raise SystemExit(1)
        return
    found = recover.check(path)
    if found.ok:
        ctx.emit({"database": str(path), "ok": True, "recovered": None},
                 lambda _: print(f"{path} passes SQLite's check: nothing to recover"))
        return
    done = recover.recover(path)
    ctx.emit({"database": str(path), "ok": False, "recovered": done}, lambda _: _print_recovered(done))


def _checks(ctx: Context) -> tuple[list[Check], Any]:
    """Every check, in the order a user would fix them; SQLite's check of the store (None: no store)."""
    from ...services import doctor

    data = doctor.data_dir_check()
    config_check, config = doctor.config_check(ctx.args.config)
    database, found = doctor.database_check()
    checks = [data, config_check, database]
    if config is not None:
        checks += doctor.log_checks(config)
        checks.append(doctor.retention_check(config))
    checks += _registrations()
    if found is None or found.ok:
        checks.append(doctor.footprint_check())
    checks.append(_serve())
    from ._statusline_agent import check as statusline_agent

    checks.append(statusline_agent(ctx))
    checks.append(doctor.version_check())
    return checks, found


def _registrations() -> list[Check]:
    """Where the assistants start us: MCP per client, hooks, the status line, the
    language server. Absent is no problem (each is optional); a registration whose
    program no longer exists (a removed virtualenv) is."""
    from ...core import assistant_files
    from ...core.errors import LlmSessionError
    from ..mcp_server import install as mcp_install
    from . import _hooks_install, _statusline_install

    checks = []
    for client in mcp_install.CLIENTS:
        target = mcp_install.target(client)
        add = f"llm-session mcp install --client {client}"
        try:
            entry = _mcp_entry(target)
        except (LlmSessionError, ValueError) as e:
            checks.append(Check(f"mcp: {client}", False, f"{target.path}: {e}", f"fix the file, then {add}"))
            continue
        if entry is None:
            checks.append(Check(f"mcp: {client}", True, f"not registered ({add} to add it)"))
        elif not _runs(entry.get("command")):
            checks.append(Check(f"mcp: {client}", False,
                                f"{target.path} starts {entry.get('command')!r}, which does not exist", add))
        else:
            checks.append(Check(f"mcp: {client}", True, f"registered in {target.path}"))
    for client in ("claude-code", "codex", "gemini"):
        try:
            status = _hooks_install.status(client)
        except LlmSessionError as e:
            checks.append(Check(f"hooks: {client}", False, str(e), "fix the file it names"))
            continue
        if status.events:
            checks.append(Check(f"hooks: {client}", True, f"{', '.join(status.events)} in {status.path}"))
        else:
            checks.append(Check(f"hooks: {client}", True,
                                f"not registered (llm-session hooks install --client {client} to add them)"))
    settings = _statusline_install.settings_path()
    try:
        line = assistant_files.read_json(settings).get("statusLine")
    except LlmSessionError as e:
        checks.append(Check("statusline: claude-code", False, str(e), f"fix the JSON in {settings}"))
    else:
        if _statusline_install.is_ours(line):
            checks.append(Check("statusline: claude-code", True, f"registered in {settings}"))
        elif line:
            checks.append(Check("statusline: claude-code", True, f"{settings} runs another status line command"))
        else:
            checks.append(Check("statusline: claude-code", True,
                                "not registered (llm-session statusline install to add it)"))
    found = shutil.which("llm-session")
    checks.append(Check("lsp", True, f"editors start `llm-session lsp`: {found}" if found else
                        "llm-session is not on PATH: give your editor's client its full path (docs/lsp.md)"))
    return checks


def _mcp_entry(target: Any) -> dict[str, Any] | None:
    """Our server's entry in an MCP client's config file (None: none)."""
    import tomllib

    from ...core import assistant_files
    from ..mcp_server.install import SERVER_NAME

    if target.key is None:
        text = assistant_files.read_text(target.path) or ""
        servers = tomllib.loads(text).get("mcp_servers", {})
    else:
        servers = assistant_files.read_json(target.path).get(target.key, {})
    entry = servers.get(SERVER_NAME) if isinstance(servers, dict) else None
    return entry if isinstance(entry, dict) else None


def _runs(command: object) -> bool:
    return isinstance(command, str) and bool(os.path.exists(command) or shutil.which(command))


def _serve() -> Check:
    from ...runtime import serve_address

    url = serve_address.current()
    return Check("serve", True, f"running at {url}" if url else
                 "not running (llm-session serve keeps the store fresh and receives hooks and OTLP)")


def _print_checks(checks: list[Check]) -> None:
    for c in checks:
        print(f"{'ok ' if c.ok else 'FIX'} {c.name}: {c.detail}")
        if c.fix:
            print(f"    fix: {c.fix}")
    wrong = sum(not c.ok for c in checks)
    print("Everything is in order." if not wrong else f"{wrong} thing(s) to fix.")


def _print_recovered(done: Recovered) -> None:
    from ._setup import self_command

    if any(done.tables.values()):
        print(f"Recovered into {done.database}:")
        for table, rows in done.tables.items():
            if rows:
                print(f"  {table:<20} {rows:>8,} rows")
    else:
        print(f"SQLite could read nothing of the damaged file; {done.database} is a new, empty database.")
    if done.incomplete:
        if any(done.tables.values()):
            print(f"Some rows of {', '.join(done.incomplete)} sat on damaged pages and could not be read.")
        print("The next scan reads your logs again and brings back what they still hold.")
    print(f"The damaged file was moved to {done.damaged_copy} (not deleted).")
    print(f"Next: {self_command()} scan")
