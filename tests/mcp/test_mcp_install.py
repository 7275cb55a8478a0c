"""`llm-session mcp install`: each client's config gets our entry, and keeps everything else."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from llm_session_manager.frontends.mcp_server import install

OTHER = {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "llm_session_manager", "mcp", "install", *args],
                          capture_output=True, text=True, timeout=60, cwd=cwd, env=os.environ)


def backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".bak-*"))


@pytest.mark.parametrize("client, relpath, key, extra", [
    ("claude-code", ".claude.json", "mcpServers", {"type": "stdio", "env": {}}),
    ("cursor", ".cursor/mcp.json", "mcpServers", {}),
    ("vscode", ".config/Code/User/mcp.json", "servers", {"type": "stdio"}),
    ("gemini", ".gemini/settings.json", "mcpServers", {}),
])
def test_a_json_client_gets_our_server_next_to_its_others(sandbox_home, client, relpath, key, extra):
    path = sandbox_home / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"theme": "dark", key: {"files": OTHER}}))
    r = run("--client", client, "--json")
    assert r.returncode == 0, r.stderr
    assert r.stdout and json.loads(r.stdout)["changed"] is True
    data = json.loads(path.read_text())
    assert data["theme"] == "dark" and data[key]["files"] == OTHER
    entry = data[key]["llm-session"]
    assert entry["args"] == ["mcp"] and Path(entry["command"]).name == "llm-session"
    assert {k: v for k, v in entry.items() if k not in ("command", "args")} == extra
    [backup] = backups(path)
    assert json.loads(backup.read_text()) == {"theme": "dark", key: {"files": OTHER}}
    # Again: nothing to do, no second backup.
    again = run("--client", client, "--json")
    assert json.loads(again.stdout)["changed"] is False and len(backups(path)) == 1


def test_the_entry_starts_a_working_server(sandbox_home):
    assert run("--client", "cursor").returncode == 0
    entry = json.loads((sandbox_home / ".cursor/mcp.json").read_text())["mcpServers"]["llm-session"]
    init = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "cursor", "version": "1"}}})
    out = subprocess.run([entry["command"], *entry["args"]], input=init + "\n", capture_output=True, text=True,
                         timeout=60, env=os.environ)
    assert json.loads(out.stdout.splitlines()[0])["result"]["serverInfo"]["name"] == "llm-session"


def test_codex_toml_keeps_other_servers_settings_and_our_sub_tables(sandbox_home):
    path = sandbox_home / ".codex" / "config.toml"
    path.parent.mkdir()
    path.write_text('model = "gpt-5"  # mine\n\n[mcp_servers.files]\ncommand = "npx"\nargs = ["-y", "fs"]\n\n'
                    '[mcp_servers.llm-session]\ncommand = "old-llm-session"\n\n'
                    '[mcp_servers.llm-session.env]\nFOO = "bar"\n\n[profiles.fast]\nmodel = "gpt-5-mini"\n')
    r = run("--client", "codex")
    assert r.returncode == 0, r.stderr
    text = path.read_text()
    data = tomllib.loads(text)
    assert data["model"] == "gpt-5" and "# mine" in text
    assert data["mcp_servers"]["files"] == {"command": "npx", "args": ["-y", "fs"]}
    ours = data["mcp_servers"]["llm-session"]
    assert Path(ours["command"]).name == "llm-session" and ours["args"] == ["mcp"]
    assert ours["env"] == {"FOO": "bar"} and data["profiles"]["fast"]["model"] == "gpt-5-mini"
    assert len(backups(path)) == 1
    assert run("--client", "codex").returncode == 0 and path.read_text() == text and len(backups(path)) == 1


def test_codex_home_is_honoured_and_a_new_file_is_created(sandbox_home, tmp_path, monkeypatch):
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "codex-home"))
    assert run("--client", "codex").returncode == 0
    data = tomllib.loads((tmp_path / "codex-home" / "config.toml").read_text())
    assert data["mcp_servers"]["llm-session"]["args"] == ["mcp"]
    assert not backups(tmp_path / "codex-home" / "config.toml")  # nothing existed to back up


@pytest.mark.parametrize("client, relpath, key", [
    ("claude-code", ".mcp.json", "mcpServers"),
    ("cursor", ".cursor/mcp.json", "mcpServers"),
    ("vscode", ".vscode/mcp.json", "servers"),
    ("gemini", ".gemini/settings.json", "mcpServers"),
    ("codex", ".codex/config.toml", None),
])
def test_project_scope_writes_into_the_current_directory(sandbox_home, tmp_path, client, relpath, key):
    project = tmp_path / "repo"
    project.mkdir()
    r = run("--client", client, "--scope", "project", cwd=project)
    assert r.returncode == 0, r.stderr
    text = (project / relpath).read_text()
    data = tomllib.loads(text)["mcp_servers"] if key is None else json.loads(text)[key]
    assert data["llm-session"]["args"] == ["mcp"]
    assert not any(p.is_file() for p in sandbox_home.rglob("*"))  # the user's files are untouched


def test_print_shows_the_entry_and_changes_nothing(sandbox_home):
    r = run("--client", "vscode", "--print")
    assert r.returncode == 0
    path = sandbox_home / ".config/Code/User/mcp.json"
    assert r.stdout.startswith(f"# {path}\n")
    assert json.loads(r.stdout.split("\n", 1)[1])["servers"]["llm-session"]["args"] == ["mcp"]
    assert not path.exists()
    as_json = json.loads(run("--client", "codex", "--print", "--json").stdout)
    assert as_json["path"] == str(sandbox_home / ".codex/config.toml")
    assert as_json["snippet"].startswith("[mcp_servers.llm-session]\n")


def test_a_file_that_is_not_plain_json_is_left_alone_with_the_entry_to_paste(sandbox_home):
    path = sandbox_home / ".cursor" / "mcp.json"
    path.parent.mkdir()
    original = '{\n  // my servers\n  "mcpServers": {}\n}\n'
    path.write_text(original)
    r = run("--client", "cursor")
    assert r.returncode == 1
    assert r.stderr.startswith(f"error: cannot parse {path}") and '"llm-session"' in r.stderr
    assert path.read_text() == original and not backups(path)


def test_unknown_clients_and_scopes_are_refused():
    with pytest.raises(Exception, match="unknown MCP client 'zed'"):
        install.target("zed")
    with pytest.raises(Exception, match="unknown scope 'global'"):
        install.target("cursor", "global")
    assert run("--client", "zed").returncode == 2  # argparse names the choices
