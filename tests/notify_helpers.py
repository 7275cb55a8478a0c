"""What the notification tests share: a live Claude turn, a webhook receiver, a fake program on PATH.

The turn is the last assistant line of the shop fixture's session B
(tests/fixtures/claude-code), copied with new ids, time and usage: exactly the
shape Claude Code writes.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

SESSION_B = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"
SHOP = Path("projects") / "-home-dev-shop"


def at(text: str) -> float:
    """``2025-08-15T23:30`` (UTC) as unix seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def claude_turn(claude_dir: Path, ts: float, n: int, *, cache_read: int = 178_000) -> None:
    """Append to session B a response at ``ts`` that fills its context window with ``cache_read`` tokens.

    With the default, 10 + 2,000 + 178,000 = 180,010 of Sonnet 4.5's 200,000: 90 %.
    """
    log = claude_dir / SHOP / f"{SESSION_B}.jsonl"
    line = json.loads(log.read_text(encoding="utf-8").splitlines()[-1])
    assert line["type"] == "assistant"
    line["parentUuid"] = line["uuid"]
    line["uuid"] = f"b0000001-0000-4000-8000-00000000f{n:03d}"
    line["message"]["id"] = f"msg_01Notify{n:04d}"
    line["requestId"] = f"req_011Notify{n:04d}"
    usage = line["message"]["usage"]
    usage.update(input_tokens=10, cache_creation_input_tokens=2000, cache_read_input_tokens=cache_read,
                 output_tokens=50)
    usage["cache_creation"]["ephemeral_5m_input_tokens"] = 2000
    line["timestamp"] = datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")
    with log.open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, separators=(",", ":")) + "\n")


class WebhookReceiver:
    """A local HTTP server standing in for Slack or Discord: records every POST it gets."""

    def __init__(self, status: int = 200, reply: bytes = b"ok", delay: float = 0.0) -> None:
        self.requests: list[SimpleNamespace] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(SimpleNamespace(
                    path=self.path, content_type=self.headers["Content-Type"],
                    user_agent=self.headers["User-Agent"], json=json.loads(body),
                ))
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except BrokenPipeError:  # the client stopped waiting: what the timeout tests want
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def fake_program(bin_dir: Path, name: str, *, exit_code: int = 0, stderr: str = "") -> Path:
    """An executable ``name`` in ``bin_dir`` that appends its argv and LLM_SESSION_* text to ``name``.log."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    log = bin_dir / f"{name}.log"
    script = bin_dir / name
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"with open({str(log)!r}, 'a') as f:\n"
        "    env = {k: os.environ[k] for k in ('LLM_SESSION_TITLE', 'LLM_SESSION_MESSAGE', 'LLM_SESSION_SEVERITY')"
        " if k in os.environ}\n"
        "    f.write(json.dumps({'argv': sys.argv[1:], 'env': env}) + '\\n')\n"
        f"sys.stderr.write({stderr!r})\n"
        f"sys.exit({exit_code})\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return log


def calls(log: Path) -> list[dict]:
    """What a fake program was run with, one entry per run."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def on_path(monkeypatch, bin_dir: Path) -> None:
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
