"""Models loaded in Ollama and LM Studio, read from their local servers' own answers.

The servers are real HTTP servers on free local ports answering with the JSON
those tools send (Ollama's `/api/ps`, LM Studio's `/api/v0/models`, shapes from
their API docs); a server that is not running is left out without a word.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

OLLAMA_PS = {"models": [{
    "name": "qwen2.5-coder:7b", "model": "qwen2.5-coder:7b", "size": 6_654_289_920,
    "digest": "2b0496514337a3d5901f1d253d01726c890b721e891335a56d6e08cedf3e2cb0",
    "details": {"parent_model": "", "format": "gguf", "family": "qwen2", "families": ["qwen2"],
                "parameter_size": "7.6B", "quantization_level": "Q4_K_M"},
    "expires_at": "2026-11-25T10:04:05.123456789Z", "size_vram": 6_654_289_920, "context_length": 32768,
}]}
LMSTUDIO_MODELS = {"object": "list", "data": [
    {"id": "qwen2-vl-7b-instruct", "object": "model", "type": "vlm", "publisher": "mlx-community",
     "arch": "qwen2_vl", "compatibility_type": "mlx", "quantization": "4bit", "state": "not-loaded",
     "max_context_length": 32768},
    {"id": "meta-llama-3.1-8b-instruct", "object": "model", "type": "llm", "publisher": "lmstudio-community",
     "arch": "llama", "compatibility_type": "gguf", "quantization": "Q4_K_M", "state": "loaded",
     "max_context_length": 131072, "loaded_context_length": 8192},
]}


def _serve(routes: dict[str, object], delay: float = 0.0) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(delay)
            body = routes.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(json.dumps(body).encode() if body is not None else b"404 page not found")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture
def ollama() -> Iterator[str]:
    yield from _serve({"/api/ps": OLLAMA_PS})


@pytest.fixture
def lmstudio() -> Iterator[str]:
    yield from _serve({"/api/v0/models": LMSTUDIO_MODELS})


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_loaded_models_of_both_servers_with_their_context(ollama, lmstudio, cli, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"sources:\n  lmstudio:\n    url: http://{lmstudio}\n")
    r = cli("local", "--json", env={"OLLAMA_HOST": ollama, "LLM_SESSION_CONFIG": str(config)})
    assert r.code == 0, r.err
    assert r.json() == [
        {"provider": "ollama", "model": "qwen2.5-coder:7b", "url": f"http://{ollama}", "context_limit": 32768,
         "size_bytes": 6_654_289_920, "vram_bytes": 6_654_289_920, "expires_at": "2026-11-25T10:04:05.123456789Z"},
        # Only the loaded one, with the context it was loaded with rather than its maximum.
        {"provider": "lmstudio", "model": "meta-llama-3.1-8b-instruct", "url": f"http://{lmstudio}",
         "context_limit": 8192, "size_bytes": None, "vram_bytes": None, "expires_at": None},
    ]
    table = cli("local", env={"OLLAMA_HOST": ollama, "LLM_SESSION_CONFIG": str(config)})
    assert "qwen2.5-coder:7b" in table.out and "32,768" in table.out and "8,192" in table.out


def test_servers_that_are_not_running_are_left_out_quickly(cli, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"sources:\n  lmstudio:\n    url: http://127.0.0.1:{_closed_port()}\n")
    started = time.monotonic()
    r = cli("local", "--json", env={"OLLAMA_HOST": f"127.0.0.1:{_closed_port()}", "LLM_SESSION_CONFIG": str(config)})
    assert (r.code, r.json(), r.err) == (0, [], "")
    assert "No local model server" in cli("local", env={"OLLAMA_HOST": f"127.0.0.1:{_closed_port()}",
                                                        "LLM_SESSION_CONFIG": str(config)}).out
    assert time.monotonic() - started < 10


def test_a_hanging_server_costs_one_short_timeout_and_a_disabled_one_is_not_asked(cli, tmp_path):
    hanging = _serve({"/api/ps": OLLAMA_PS}, delay=3.0)
    host = next(hanging)
    config = tmp_path / "config.yaml"
    config.write_text(f"sources:\n  lmstudio:\n    enabled: false\n  ollama:\n    url: http://{host}\n")
    try:
        started = time.monotonic()
        r = cli("local", "--json", env={"LLM_SESSION_CONFIG": str(config)})
        assert (r.code, r.json()) == (0, [])
        assert time.monotonic() - started < 2.9  # gave up before the server answered
    finally:
        next(hanging, None)


@pytest.mark.parametrize(("value", "url"), [
    ("", "http://127.0.0.1:11434"),
    ("0.0.0.0", "http://127.0.0.1:11434"),
    ("0.0.0.0:11500", "http://127.0.0.1:11500"),
    ("gpu-box:8080", "http://gpu-box:8080"),
    ("https://ollama.internal", "https://ollama.internal:11434"),
])
def test_ollama_host_is_read_as_ollama_reads_it(value, url):
    from llm_session_manager.services.local_models import _ollama_url

    assert _ollama_url(value) == url
