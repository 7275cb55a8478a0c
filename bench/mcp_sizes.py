"""How many tokens each MCP answer costs the assistant that asked: every tool, and tools/list.

An MCP answer lands in the model's context window, so its size is a cost the
user pays on every call. This builds a store from the demo logs (the ones
`llm-session demo` writes: 16 sessions over a month) plus a few dozen
memories, starts the real `llm-session mcp` over stdio with the `mcp` SDK's
own client, calls each tool with the arguments an assistant typically gives,
and counts the text of each answer in o200k tokens (the encoding shipped with
the package). Target: every tool's default answer under 2,000 tokens.

tools/list is shown whole and as the part a client can hand the model (name,
description, input schema: what a model API's tool definition takes; output
schemas are for the client); it is reported, not held to the target.

Run by hand or by `make bench`: `python bench/mcp_sizes.py`. Sizes, not timings:
the same store gives about the same numbers on any machine (the demo's dates
follow today's). It prints PASS or FAIL and exits 0 unless something crashed;
tests/mcp/test_mcp_sizes.py holds the bound.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

TARGET = 2_000
MEMORIES = 40
SERVER = [sys.executable, "-m", "llm_session_manager", "mcp"]


def typical_calls(session_id: str, cwd: str) -> list[tuple[str, dict[str, Any]]]:
    """Each tool with the arguments an assistant gives it most often."""
    return [
        ("list_sessions", {}),
        ("session_status", {"cwd": cwd}),
        ("usage", {}),
        ("usage", {"by": "model"}),
        ("recommend", {}),
        ("export_session", {"session_id": session_id, "format": "markdown"}),
        ("search_history", {"query": "rate limit"}),
        ("optimize_context", {"session_id": session_id}),
        ("recall", {"query": "how is rate limiting configured?"}),
        ("remember", {"text": "The orders API rate limit is 100 requests per minute per client.",
                      "project": "web-api"}),
        ("memorize_session", {"session_id": session_id}),
    ]


def build_store(root: Path) -> dict[str, str]:
    """Demo logs and a store with memories under ``root``; the environment that points at them."""
    from llm_session_manager.demo_logs import write_demo_logs

    layout = write_demo_logs(root / "logs", now=datetime.now(UTC))
    (root / "home").mkdir(exist_ok=True)
    (root / "config.yaml").write_text("{}\n")
    env = {
        **os.environ,
        "HOME": str(root / "home"),
        "XDG_CONFIG_HOME": str(root / "home" / ".config"),
        "XDG_CACHE_HOME": str(root / "home" / ".cache"),
        "LLM_SESSION_DATA_DIR": str(root / "data"),
        "LLM_SESSION_CONFIG": str(root / "config.yaml"),
        "CLAUDE_CONFIG_DIR": str(layout.claude_config_dir),
        "CODEX_HOME": str(layout.codex_home),
    }
    lines = [json.dumps({"text": f"Memory {n}: the web-api service keeps its {topic} in config/{topic}.yaml, "
                                 "reviewed every release.", "project": "web-api", "tags": [topic]})
             for n, topic in enumerate(["rate-limits", "retries", "timeouts", "caching"] * (MEMORIES // 4))]
    (root / "memories.jsonl").write_text("\n".join(lines) + "\n")
    subprocess.run([*SERVER[:-1], "memory", "import", str(root / "memories.jsonl"), "--json"],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    return env


def tokens(text: str) -> int:
    from llm_session_manager.core.encoding import count_o200k

    return count_o200k(text)


async def measure(env: dict[str, str]) -> list[tuple[str, str, int]]:
    """(tool, arguments as JSON, answer tokens) for tools/list and each typical call."""
    from mcp import ClientSession, StdioServerParameters, stdio_client

    params = StdioServerParameters(command=SERVER[0], args=SERVER[1:], env=env)
    out = []
    with open(os.devnull, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            listed = await client.list_tools()
            out.append(("tools/list", "", tokens(listed.model_dump_json(by_alias=True, exclude_none=True))))
            seen = [{"name": t.name, "description": t.description, "input_schema": t.input_schema}
                    for t in listed.tools]
            out.append(("tools/list", "(name, description, inputSchema)",
                        tokens(json.dumps(seen, separators=(",", ":")))))
            newest = await client.call_tool("list_sessions", {"limit": 1, "detail": True})
            latest = newest.structured_content["sessions"][0]
            for name, args in typical_calls(latest["id"], latest["cwd"]):
                result = await client.call_tool(name, args)
                if result.is_error:
                    raise RuntimeError(f"{name} failed: {result.content[0].text}")
                out.append((name, json.dumps(args), tokens(result.content[0].text)))
    return out


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="mcp-sizes-") as tmp:
        env = build_store(Path(tmp))
        sizes = anyio.run(measure, env, backend="trio")
    over = [s for s in sizes if s[2] >= TARGET and s[0] != "tools/list"]
    width = max(len(name) + len(args) for name, args, _ in sizes) + 1
    for name, args, n in sizes:
        print(f"{(name + ' ' + args).ljust(width)} {n:>6,} tokens")
    print(f"target: each answer < {TARGET:,} tokens: " + ("PASS" if not over else f"FAIL ({len(over)} over)"))
    Path(__file__).with_name("results-mcp-sizes.json").write_text(json.dumps(
        {"target": TARGET, "answers": [{"tool": n, "arguments": a, "tokens": t} for n, a, t in sizes]}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
