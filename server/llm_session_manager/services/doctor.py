"""``doctor``'s checks of what the store and the config decide: where the data and
config are, whether the database is sound, where each assistant's logs are, and
whether Claude Code is about to delete transcripts the store has not read.

Each check says what it found and, when something needs fixing, the one thing to
do. The checks of what other programs hold of ours (MCP, hooks, status line
registrations) read the frontends' install modules and live beside the command
(frontends/cli/_doctor.py).
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import apsw
import msgspec

from .. import __version__
from ..core import assistant_files
from ..core.config import Config, config_path, load
from ..core.errors import ConfigError, LlmSessionError
from ..core.paths import data_dir
from ..ingest import roots
from ..store import SCHEMA_VERSION, db_path, recover

# Claude Code's own default when settings.json does not say (its docs: "default: 30").
CLAUDE_CLEANUP_DAYS = 30
# A transcript not read yet is at risk this long before Claude Code's cleanup is due.
WARN_DAYS = 7


class Check(msgspec.Struct):
    name: str
    ok: bool
    detail: str
    fix: str | None = None  # what to do, when not ok


def data_dir_check() -> Check:
    where = data_dir()
    if not where.exists():
        return Check("data dir", True, f"{where} (made by the first scan)")
    if not os.access(where, os.W_OK | os.X_OK):
        return Check("data dir", False, f"{where} is not writable",
                     f"chmod u+rwx {where}, or set LLM_SESSION_DATA_DIR to a directory you own")
    return Check("data dir", True, str(where))


def config_check(explicit: Path | None) -> tuple[Check, Config | None]:
    """Whether the config loads, and from where; the config (None: it does not load)."""
    where = config_path(explicit)
    try:
        config = load(explicit)
    except ConfigError as e:
        return Check("config", False, str(e), f"fix the file, or start again from the defaults: "
                                              f"llm-session config init --force (replaces {where})"), None
    shown = str(where) if where.exists() else f"{where} (absent: the defaults apply)"
    return Check("config", True, shown), config


def database_check() -> tuple[Check, recover.Check | None]:
    """SQLite's own check of the store; what it said (None: no store yet)."""
    path = db_path()
    if not path.exists():
        return Check("database", True, f"{path} (none yet: the first scan makes it)"), None
    found = recover.check(path)
    if found.ok:
        return Check("database", True, f"{path}: passes SQLite's check"), found
    return Check("database", False, f"{path} is damaged: {'; '.join(found.problems)}",
                 "llm-session doctor --recover"), found


def log_checks(config: Config, env: Mapping[str, str] | None = None, home: Path | None = None) -> list[Check]:
    """One check per assistant: where its logs are, or where we looked. An assistant
    that is not installed is no problem; finding no assistant's logs at all is."""
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    places: dict[str, list[Path]] = {}
    for source, found in roots(config, env, home):
        dirs = places.setdefault(source.provider, [])
        dirs.extend(d for d in found if d not in dirs)
    checks = []
    for provider, dirs in places.items():
        if not dirs:
            continue  # exports read by `llm-session import`: no place to look
        present = [d for d in dirs if d.is_dir()]
        if present:
            checks.append(Check(f"logs: {provider}", True, ", ".join(map(str, present))))
        else:
            looked = ", ".join(map(str, dirs)) or "nowhere (no standard place)"
            checks.append(Check(f"logs: {provider}", True, f"none found (looked in {looked})"))
    if places and not any(c.detail and not c.detail.startswith("none found") for c in checks):
        checks.append(Check("logs", False, "no assistant's logs were found",
                            "if your assistant keeps them elsewhere, name the directory in the config: "
                            "sources.<provider>.paths (llm-session config path says where the config is)"))
    return checks


def retention_check(config: Config, env: Mapping[str, str] | None = None, home: Path | None = None,
                    now: float | None = None) -> Check:
    """Whether Claude Code's ``cleanupPeriodDays`` would delete transcripts the store
    has not read yet (or has read only part of)."""
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    now = time.time() if now is None else now
    settings = assistant_files.claude_settings(env, home)
    try:
        said = assistant_files.read_json(settings).get("cleanupPeriodDays")
    except LlmSessionError as e:
        return Check("claude-code retention", False, str(e), f"fix the JSON in {settings}")
    days = said if isinstance(said, int | float) and not isinstance(said, bool) else CLAUDE_CLEANUP_DAYS
    where = f"cleanupPeriodDays {days:g}" + (f" in {settings}" if said is not None else " (Claude Code's default)")
    unread = _unread_claude_transcripts(config, env, home)
    at_risk = [mtime for mtime in unread if now - mtime >= (days - WARN_DAYS) * 86400]
    if days <= 0:
        return Check("claude-code retention", False, f"{where}: Claude Code deletes transcripts at every start",
                     f"set cleanupPeriodDays to 30 or more in {settings}, and keep llm-session serve running "
                     "or install the hooks (llm-session hooks install --client claude-code)")
    if at_risk:
        due = min(at_risk) + days * 86400 - now
        when = "already due" if due <= 0 else f"due in {due / 86400:.1f} days"
        return Check("claude-code retention", False,
                     f"{where}: {len(at_risk)} transcript(s) not yet read will be deleted ({when} for the oldest)",
                     "llm-session scan (now); to keep up, llm-session hooks install --client claude-code, "
                     f"or raise cleanupPeriodDays in {settings}")
    return Check("claude-code retention", True,
                 f"{where}; {len(unread)} transcript(s) not yet read, none near deletion"
                 if unread else f"{where}; every transcript is in the store")


def _unread_claude_transcripts(config: Config, env: Mapping[str, str], home: Path) -> list[float]:
    """The mtimes of Claude Code's transcripts the store has not read to their end."""
    read: dict[str, int] = {}
    path = db_path()
    if path.exists():
        try:  # read-only, never migrated: doctor only looks
            conn = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
            try:
                read = dict(conn.execute("SELECT path, size FROM source_files WHERE provider = 'claude-code'"))
            finally:
                conn.close()
        except apsw.Error:
            pass  # a damaged store: the database check says so, and every transcript counts as unread
    mtimes = []
    for source, dirs in roots(config, env, home):
        if source.provider != "claude-code":
            continue
        for root in dirs:
            if not root.is_dir():
                continue
            for log in source.discover(root):
                try:
                    st = os.stat(log)
                except OSError:
                    continue
                if read.get(log) != st.st_size:
                    mtimes.append(st.st_mtime)
    return mtimes


def footprint_check() -> Check:
    """What our own MCP server's answers put into the assistants' context, by their logs
    (as of the last scan): a memory tool's token spend should not be hidden, so ours is shown."""
    from ..store import connect
    from .attribution import footprint

    path = db_path()
    if not path.exists():
        return Check("mcp footprint", True, "nothing read yet (the first scan reads the logs)")
    try:
        conn = connect(path)
        try:
            fp = footprint(conn)
        finally:
            conn.close()
    except (LlmSessionError, apsw.Error) as e:
        return Check("mcp footprint", True, f"not known: {e}")
    if not fp.calls:
        return Check("mcp footprint", True, f"no call of our MCP tools (mcp__{fp.server}__*) in the logs read")
    return Check("mcp footprint", True,
                 f"our MCP tools (mcp__{fp.server}__*) answered {fp.calls:,} calls in {fp.sessions:,} "
                 f"session{'' if fp.sessions == 1 else 's'}, "
                 f"adding about {fp.result_tokens:,} tokens (estimated) to their context")


def version_check() -> Check:
    return Check("versions", True, f"llm-session-manager {__version__}, schema {SCHEMA_VERSION}, "
                                   f"Python {platform.python_version()} ({sys.executable}), "
                                   f"SQLite {apsw.sqlite_lib_version()}")
