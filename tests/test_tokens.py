"""Token counts for text without usage numbers: exact where a real tokenizer is at hand.

The Anthropic path talks to a small local HTTP server standing in for the API
(through ANTHROPIC_BASE_URL), so the SDK, the cache and the fallback are real.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from llm_session_manager.core import encoding
from llm_session_manager.services import tokens
from llm_session_manager.store.connection import connect

TEXT = "Refactor the session store so that ingest reads only appended bytes.\n\ndef f(x):\n    return x + 1\n"
# "hello world" in OpenAI's published o200k_base encoding.
HELLO = "hello world"
HELLO_IDS = [24912, 2375]


def o200k(text: str) -> int:
    return tokens.count_tokens(text, "gpt-5").tokens


@pytest.mark.slow
def test_counting_works_offline_from_the_bundled_encoding(tmp_path: Path) -> None:
    """A fresh process with no network and an empty tiktoken cache still counts."""
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    script = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from llm_session_manager.services import tokens\n"
        f"count = tokens.count_tokens({HELLO!r}, 'gpt-4o')\n"
        "from llm_session_manager.core import encoding\n"
        "print(count.tokens, count.source, count.method, encoding.o200k().encode_ordinary("
        f"{HELLO!r}))\n"
    )
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.split(" ", 3) == ["2", "exact", "tiktoken:o200k_base", f"{HELLO_IDS}\n"]
    assert list(cache.iterdir()) == []


def test_importing_the_module_does_not_load_the_encoding() -> None:
    script = (
        "import sys\n"
        "from llm_session_manager.services import tokens\n"
        "from llm_session_manager.core import encoding\n"
        "print(encoding.o200k.cache_info().currsize, 'anthropic' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["0", "False"]


@pytest.mark.slow
def test_the_decoded_ranks_are_cached_and_a_damaged_cache_is_rewritten(tmp_path: Path) -> None:
    """The first process that counts leaves the decoded ranks in the cache dir; the next
    reads them from there; a cache file that was damaged is ignored and written again."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    script = (
        "from llm_session_manager.core import encoding\n"
        f"print(encoding.o200k().encode_ordinary({HELLO!r}), encoding.cache_path())\n"
    )

    def count() -> tuple[str, Path]:
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        ids, path = done.stdout.rsplit(" ", 1)
        return ids, Path(path.strip())

    ids, cached = count()
    assert ids == str(HELLO_IDS)
    assert cached.is_relative_to(tmp_path / "cache") and cached.stat().st_size > 1_000_000
    written = cached.stat().st_mtime_ns
    assert count()[0] == str(HELLO_IDS)
    assert cached.stat().st_mtime_ns == written  # read, not rebuilt

    damaged = bytearray(cached.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    cached.write_bytes(bytes(damaged))
    assert count()[0] == str(HELLO_IDS)
    assert cached.read_bytes() != bytes(damaged)


def test_counting_works_when_the_cache_dir_cannot_be_written(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the cache directory would go")
    env = {**os.environ, "XDG_CACHE_HOME": str(blocked)}
    script = f"from llm_session_manager.core import encoding\nprint(encoding.o200k().encode_ordinary({HELLO!r}))\n"
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == str(HELLO_IDS)


def test_the_bundled_encoding_is_the_one_tiktoken_expects() -> None:
    from tiktoken_ext import openai_public

    assert f'expected_hash="{encoding.ENCODING_SHA256}"' in inspect.getsource(openai_public.o200k_base)
    assert hashlib.sha256(encoding._encoding_path().read_bytes()).hexdigest() == encoding.ENCODING_SHA256


@pytest.mark.parametrize(
    ("model", "source"),
    [
        ("gpt-5", "exact"),
        ("gpt-5.1-codex-max", "exact"),
        ("openai/gpt-4o", "exact"),
        ("o3", "exact"),
        ("codex-mini-latest", "exact"),
        ("gpt-4", "estimated"),  # cl100k_base, not shipped
        ("gemini-2.5-pro", "estimated"),
        ("llama3:8b", "estimated"),
        (None, "estimated"),
    ],
)
def test_openai_models_on_o200k_count_exactly_and_others_estimate(model: str | None, source: str) -> None:
    count = tokens.count_tokens(TEXT, model)
    assert (count.tokens, count.source, count.method, count.model) == (o200k(TEXT), source, "tiktoken:o200k_base", model)


@pytest.mark.parametrize(
    ("model", "factor"),
    [
        ("claude-sonnet-4-5-20250929", tokens.CLAUDE_FACTOR),
        ("claude-3-5-haiku-20241022", tokens.CLAUDE_FACTOR),
        ("anthropic/claude-sonnet-4-20250514", tokens.CLAUDE_FACTOR),
        ("claude-opus-4-6", tokens.CLAUDE_FACTOR),
        ("claude-opus-4-7", tokens.CLAUDE_47_FACTOR),
        ("claude-opus-4-8-20261201", tokens.CLAUDE_47_FACTOR),
        ("claude-fable-5", tokens.CLAUDE_47_FACTOR),
        ("claude-mythos-preview[1m]", tokens.CLAUDE_47_FACTOR),
    ],
)
def test_claude_without_a_key_is_a_calibrated_estimate(model: str, factor: float) -> None:
    count = tokens.count_tokens(TEXT, model)
    assert count.source == "estimated"
    assert count.method == f"estimate:o200k*{factor:.2f}"
    assert count.tokens == round(o200k(TEXT) * factor)


class FakeAnthropic(BaseHTTPRequestHandler):
    """Answers POST /v1/messages/count_tokens like the API, or fails with ``status``."""

    requests: ClassVar[list[dict]] = []
    status = 200
    answer = 4242

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = self.headers.get("x-api-key") or self.headers.get("authorization", "").removeprefix("Bearer ")
        type(self).requests.append({"path": self.path, "key": key, "body": body})
        if self.status == 200:
            payload = {"input_tokens": self.answer}
        else:
            payload = {"type": "error", "error": {"type": "api_error", "message": "overloaded"}}
        data = json.dumps(payload).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeAnthropic]]:
    handler = type("Handler", (FakeAnthropic,), {"requests": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.slow
def test_claude_with_a_key_asks_the_api_once_per_text(api: type[FakeAnthropic], tmp_path: Path) -> None:
    conn = connect(tmp_path / "store.db")

    first = tokens.count_tokens(TEXT, "anthropic/claude-sonnet-4-5[1m]", conn)
    second = tokens.count_tokens(TEXT, "anthropic/claude-sonnet-4-5[1m]", conn)

    assert first == second
    assert (first.tokens, first.source, first.method) == (4242, "exact", "anthropic:count_tokens")
    [request] = api.requests
    assert request["path"] == "/v1/messages/count_tokens" and request["key"] == "test-key"
    assert request["body"]["model"] == "claude-sonnet-4-5"
    assert request["body"]["messages"] == [{"role": "user", "content": TEXT}]
    digest = hashlib.sha256(TEXT.encode()).hexdigest()
    assert conn.execute("SELECT hash, model, tokens FROM token_counts").fetchall() == [
        (digest, "claude-sonnet-4-5", 4242)
    ]
    # Another text, or the same text for another model, is a new question.
    tokens.count_tokens(TEXT + "!", "claude-sonnet-4-5", conn)
    tokens.count_tokens(TEXT, "claude-opus-4-8", conn)
    assert len(api.requests) == 3


def test_an_api_failure_falls_back_to_the_estimate_and_is_not_cached(
    api: type[FakeAnthropic], tmp_path: Path
) -> None:
    api.status = 529
    conn = connect(tmp_path / "store.db")

    count = tokens.count_tokens(TEXT, "claude-sonnet-4-5", conn)

    assert count.source == "estimated"
    assert count.tokens == round(o200k(TEXT) * tokens.CLAUDE_FACTOR)
    assert len(api.requests) == 1  # no retries
    assert conn.execute("SELECT count(*) FROM token_counts").fetchone()[0] == 0


def test_an_unreachable_api_falls_back_to_the_estimate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")  # discard port: refused
    count = tokens.count_tokens(TEXT, "claude-opus-4-8")
    assert re.fullmatch(r"estimate:o200k\*1\.50", count.method) and count.source == "estimated"
