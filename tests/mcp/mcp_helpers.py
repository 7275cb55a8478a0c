"""Driving the real ``llm-session mcp`` / ``serve`` with the ``mcp`` SDK's own client.

Every server runs in the sandbox home (tests/conftest.py) over copies of the
Claude Code and Codex fixtures in which the shop project lives in a real
temporary directory, so files the sessions read exist and have a token cost.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp_types import Implementation

FIXTURES = Path(__file__).parent.parent / "fixtures"
SERVER = [sys.executable, "-m", "llm_session_manager", "mcp"]

CLAUDE_B = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"  # the latest Claude Code session in the shop project
CLAUDE_A = "6f1c2a3b-4d5e-4f60-8a1b-2c3d4e5f6a7b"  # the earlier one, same project
CODEX_RECENT = "019c8a10-4b7e-7c21-9d3a-5e6f7a8b9c0d"  # Codex, in /home/dev/acme-api
CONTRACT_TOOLS = {
    "list_sessions", "session_status", "usage", "recommend", "export_session", "search_history",
    "optimize_context", "recall", "remember", "memorize_session", "limits",
    "export_conversation",
}


@pytest.fixture
def anyio_backend():
    return "trio"


@pytest.fixture
def logs(tmp_path, monkeypatch):
    """Fixture logs whose shop project is ``tmp_path/shop``, with its source files on disk."""
    return shop_logs(tmp_path, monkeypatch)


def shop_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The ``logs`` fixture's work, for a fixture of a wider scope too."""
    shop = tmp_path / "shop"
    claude = tmp_path / "logs" / "claude"
    codex = tmp_path / "logs" / "codex"
    shutil.copytree(FIXTURES / "claude-code", claude)
    shutil.copytree(FIXTURES / "codex" / "home", codex)
    for log in claude.rglob("*.jsonl"):
        log.write_text(log.read_text().replace("/home/dev/shop", str(shop)))
    sizes = {"src/cart/total.ts": 40, "src/cart/coupon.ts": 400, "tests/cart/coupon.test.ts": 4}
    for rel, lines in sizes.items():
        path = shop / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("export const total = (items) => items.reduce((a, b) => a + b.price, 0);\n" * lines)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(claude))
    monkeypatch.setenv("CODEX_HOME", str(codex))
    return SimpleNamespace(shop=shop, claude=claude, codex=codex)


@asynccontextmanager
async def mcp_client(errlog_path: Path, client: tuple[str, str] | None = None, env: dict[str, str] | None = None):
    """An initialized ``ClientSession`` on a fresh ``llm-session mcp`` process;
    ``client`` is the (name, version) it gives in ``initialize``; ``env`` replaces the environment's."""
    params = StdioServerParameters(command=SERVER[0], args=SERVER[1:], env=dict(os.environ) if env is None else env)
    info = Implementation(name=client[0], version=client[1]) if client else None
    with open(errlog_path, "a") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write, client_info=info) as session:
            await session.initialize()  # kept as session.initialize_result
            yield session


def structured(result) -> dict:
    """A successful tool result's structured content (and its text twin says the same)."""
    assert not result.is_error, result.content[0].text
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


def error_text(result) -> str:
    assert result.is_error
    return result.content[0].text


def cli_json(*args: str) -> object:
    proc = subprocess.run([sys.executable, "-m", "llm_session_manager", *args, "--json"],
                          capture_output=True, text=True, timeout=120, env=os.environ)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)
