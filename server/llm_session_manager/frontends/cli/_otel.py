"""``llm-session otel setup``: point an assistant's OpenTelemetry export at ``serve`` (docs/otel.md).

Each assistant takes the setting somewhere else, in its own shape:

=============  ====================================  ==========================================
client         file                                  what is set
=============  ====================================  ==========================================
claude-code    ``$CLAUDE_CONFIG_DIR/settings.json``  ``env``: ``CLAUDE_CODE_ENABLE_TELEMETRY``,
               (else ``~/.claude/settings.json``)    ``OTEL_*_EXPORTER``, ``OTEL_EXPORTER_OTLP_*``
codex          ``$CODEX_HOME/config.toml``           ``[otel]`` ``exporter = { otlp-http = ... }``
               (else ``~/.codex/config.toml``)
gemini         ``~/.gemini/settings.json``           ``telemetry``: enabled, target local, OTLP
                                                     over HTTP to ``serve``
copilot        none: Copilot CLI reads its OTel      ``COPILOT_OTEL_ENABLED``,
               settings from its environment only    ``OTEL_EXPORTER_OTLP_ENDPOINT``
=============  ====================================  ==========================================

Without ``--write`` it only prints the settings and where they go. With it, the
file is changed as ``mcp install`` changes files: other settings kept, a copy
at ``<file>.bak-<timestamp>`` first, nothing written when already set, and a
value someone else set (another collector) never replaced without ``--force``.
Copilot CLI has no file for these: its lines are printed to add to the shell's
profile, and ``--write`` says so rather than guessing which profile that is.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...core import assistant_files
from ...core.errors import BadInput

if TYPE_CHECKING:
    from ._context import Context

CLIENTS = ("claude-code", "codex", "gemini", "copilot")


def cmd_otel_setup(ctx: Context) -> None:
    a = ctx.args
    endpoint = a.endpoint.rstrip("/")
    if not endpoint.startswith(("http://", "https://")):
        raise BadInput(f"--endpoint must be an http:// or https:// URL, got {a.endpoint!r}")
    if a.client == "copilot":
        _copilot(ctx, endpoint)
        return
    path = _path(a.client)
    snippet, new_text, old_text = _settings(a.client, path, endpoint, a.force)
    backup = None
    changed = new_text != old_text
    if a.write and new_text is not None and changed:
        backup = assistant_files.write(path, new_text)
    result = {"client": a.client, "path": str(path), "endpoint": endpoint, "snippet": snippet,
              "written": bool(a.write and changed), "changed": changed,
              "backup": str(backup) if backup else None}

    def show(_: Any) -> None:
        if not a.write:
            print(f"# {path}\n{snippet}")
            if a.client == "claude-code":
                print("# or, for one shell:\n" + "\n".join(f"export {k}={v}" for k, v in _claude_env(endpoint).items()))
            return
        print(f"{'Pointed' if changed else 'Already pointed'} {a.client} at {endpoint} in {path}"
              + (f" (backup: {backup})" if backup else ""), file=sys.stderr)

    ctx.emit(result, show)


def _copilot(ctx: Context, endpoint: str) -> None:
    """Copilot CLI's settings: environment variables (its command reference, "OpenTelemetry monitoring")."""
    snippet = "\n".join(f"export {k}={v}" for k, v in _copilot_env(endpoint).items())
    if ctx.args.write:
        raise BadInput("Copilot CLI reads its OpenTelemetry settings from its environment, not a file; "
                       f"add these lines to your shell's profile:\n{snippet}")
    result = {"client": "copilot", "path": None, "endpoint": endpoint, "snippet": snippet,
              "written": False, "changed": False, "backup": None}
    ctx.emit(result, lambda _: print(f"# Copilot CLI reads these from its environment (e.g. ~/.bashrc)\n{snippet}"))


def _copilot_env(endpoint: str) -> dict[str, str]:
    return {"COPILOT_OTEL_ENABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}


def _path(client: str) -> Path:
    if client == "claude-code":
        return assistant_files.claude_settings()
    return assistant_files.codex_config() if client == "codex" else assistant_files.gemini_settings()


def _claude_env(endpoint: str) -> dict[str, str]:
    return {"CLAUDE_CODE_ENABLE_TELEMETRY": "1", "OTEL_LOGS_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}


def _gemini_telemetry(endpoint: str) -> dict[str, Any]:
    return {"enabled": True, "target": "local", "otlpEndpoint": endpoint, "otlpProtocol": "http", "logPrompts": False}


def _settings(client: str, path: Path, endpoint: str, force: bool) -> tuple[str, str | None, str | None]:
    """The snippet to show, the file's new text and its old one (None: no file)."""
    old = assistant_files.read_text(path)
    if client == "codex":
        return _codex(path, endpoint, old)
    key, ours = ("env", _claude_env(endpoint)) if client == "claude-code" else ("telemetry", _gemini_telemetry(endpoint))
    snippet = json.dumps({key: ours}, indent=2)
    try:
        data = json.loads(old) if old and old.strip() else {}
    except json.JSONDecodeError as e:
        raise BadInput(f"cannot parse {path} ({e.msg} at line {e.lineno}); it is left as it is. "
                       f"Add this by hand:\n{snippet}") from None
    section = data.get(key) if isinstance(data, dict) else None
    if not isinstance(data, dict) or (section is not None and not isinstance(section, dict)):
        raise BadInput(f"{path} is not shaped as expected; it is left as it is. Add this by hand:\n{snippet}")
    section = dict(section or {})
    others = {k: v for k, v in section.items() if k in ours and v != ours[k]
              and k in ("OTEL_EXPORTER_OTLP_ENDPOINT", "otlpEndpoint")}
    if others and not force:
        raise BadInput(f"{path} already sends telemetry to {next(iter(others.values()))}; "
                       "add --force to send it to serve instead")
    if all(section.get(k) == v for k, v in ours.items()):
        return snippet, old, old
    data[key] = {**section, **ours}
    return snippet, json.dumps(data, indent=2, ensure_ascii=False) + "\n", old


def _codex(path: Path, endpoint: str, old: str | None) -> tuple[str, str | None, str | None]:
    exporter = {"otlp-http": {"endpoint": f"{endpoint}/v1/logs", "protocol": "binary"}}
    block = (f'[otel]\nexporter = {{ otlp-http = {{ endpoint = {json.dumps(exporter["otlp-http"]["endpoint"])}, '
             'protocol = "binary" } }\n')
    try:
        data = tomllib.loads(old or "")
    except tomllib.TOMLDecodeError as e:
        raise BadInput(f"cannot parse {path} ({e}); it is left as it is. Add this by hand:\n{block}") from None
    current = data.get("otel")
    if isinstance(current, dict) and current.get("exporter") == exporter:
        return block, old, old
    if current is not None:  # its other keys are the user's; this tool does not rewrite TOML tables
        raise BadInput(f"{path} already has an [otel] table; it is left as it is. Set its exporter by hand:\n{block}")
    text = old or ""
    sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    return block, text + sep + block, old

