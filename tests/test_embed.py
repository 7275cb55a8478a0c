"""Embedders: the bundled static model offline, and the ones a user can point memory at.

The HTTP kinds are tested against small servers started here on 127.0.0.1 that
answer as Ollama's ``/api/embed`` and OpenAI's ``/v1/embeddings`` do.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import subprocess
import sys
import textwrap
import threading
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Self

import msgspec
import numpy as np
import pytest

from llm_session_manager.core import embed
from llm_session_manager.core.embed import (
    Embedder,
    EmbedderError,
    OllamaEmbedder,
    OpenAIEmbedder,
    SentenceTransformerEmbedder,
    StaticEmbedder,
    get_embedder,
)
from llm_session_manager.core.errors import ConfigError

MODEL_DIR = embed.bundled_model_dir()


@pytest.fixture(scope="module")
def static() -> StaticEmbedder:
    return StaticEmbedder()


def cosine(embedder: Embedder, a: str, b: str) -> float:
    va, vb = embedder.embed([a, b])
    return float(va @ vb)


# --- the bundled model ----------------------------------------------------------


def test_the_bundled_model_loads_with_no_network_and_no_ml_frameworks(tmp_path: Path) -> None:
    """A fresh process whose sockets all fail still embeds, and never imports torch & co."""
    code = textwrap.dedent(
        """
        import socket, sys
        def refuse(*args, **kwargs):
            raise OSError("network is off in this test")
        socket.socket.connect = socket.socket.connect_ex = refuse
        socket.create_connection = socket.getaddrinfo = refuse
        from llm_session_manager.core.embed import get_embedder
        vectors = get_embedder(None).embed(["where is the config file", ""])
        heavy = {"torch", "tokenizers", "transformers", "sentence_transformers", "model2vec",
                 "huggingface_hub", "safetensors"} & set(sys.modules)
        print(vectors.shape, vectors.dtype, sorted(heavy))
        """
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HF_HUB_OFFLINE": "1",
           "XDG_CACHE_HOME": str(tmp_path / "no-cache"), "PYTHONPATH": str(Path(embed.__file__).parents[2])}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[0] == "(2, 256) float32 []"
    assert not (tmp_path / "no-cache").exists()


def test_the_shipped_files_are_the_ones_model_json_describes_and_are_small() -> None:
    meta = json.loads((MODEL_DIR / "model.json").read_text())
    for name, digest in meta["sha256"].items():
        assert hashlib.sha256((MODEL_DIR / name).read_bytes()).hexdigest() == digest, name
    total = sum(p.stat().st_size for p in MODEL_DIR.iterdir() if p.is_file())
    assert total < 12_000_000


def test_vectors_are_float32_unit_rows_of_the_model_dim(static: StaticEmbedder) -> None:
    texts = ["Run the tests with make test.", "SQLite says the database is locked.", "x"]
    vectors = static.embed(texts)
    assert vectors.shape == (3, static.dim) == (3, 256)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert isinstance(static, Embedder)
    assert static.name.startswith("static:")


def test_a_paraphrase_is_closer_than_an_unrelated_sentence(static: StaticEmbedder) -> None:
    triples = [
        ("The database is locked because two processes write at once.",
         "SQLite reports database is locked when several processes are writing.",
         "The button color should match the brand guidelines."),
        ("Run the linter before you commit.",
         "Lint the code prior to committing changes.",
         "The API returns 401 when the token has expired."),
        ("The Docker image is too large.",
         "Our container image takes too much space.",
         "Convert timestamps to UTC before saving them."),
    ]
    for query, near, far in triples:
        assert cosine(static, query, near) > cosine(static, query, far), query


def test_a_short_query_finds_its_memory_first(static: StaticEmbedder) -> None:
    memories = [
        "Credentials live in the system keyring, never in config.yaml.",
        "Run the full test suite with make test; it creates the virtualenv first.",
        "Daily usage was grouped in UTC instead of the local time zone.",
        "The web dashboard is plain HTML with htmx, no React.",
        "Nightly backups of the database are compressed with zstd.",
    ]
    queries = {"how do we run the tests": 1, "where are api keys and passwords kept": 0,
               "timezone bug in daily report": 2, "database backup": 4}
    vectors = static.embed(memories)
    for query, want in queries.items():
        assert int(np.argmax(vectors @ static.embed([query])[0])) == want, query


def test_batches_give_exactly_the_vectors_of_one_at_a_time(static: StaticEmbedder) -> None:
    texts = ["short", "", "A longer sentence about pytest fixtures and tmp_path.", "🎉",
             "naïve café — RÉSUMÉ", "日本語", "x " * 3000]
    batch = static.embed(texts)
    one_by_one = np.concatenate([static.embed([t]) for t in texts])
    assert np.array_equal(batch, one_by_one)
    assert static.embed([]).shape == (0, 256)


def test_text_with_nothing_to_embed_gets_a_zero_row(static: StaticEmbedder) -> None:
    vectors = static.embed(["", "   \n\t", "🎉🎉", "\x00\x07", "\ud800"])
    assert not vectors.any()


def test_very_long_text_is_cut_to_the_first_512_word_pieces(static: StaticEmbedder) -> None:
    head = "memory recall uses hybrid search " * 200  # 1000 word pieces
    vector, head_only = static.embed([head + "unrelated tail " * 200_000, head])
    assert np.isfinite(vector).all()
    assert np.array_equal(vector, head_only)
    assert len(static.token_ids(head)) == 512


def test_tokenising_ignores_case_and_accents_and_splits_punctuation(static: StaticEmbedder) -> None:
    assert static.token_ids("Héllo WÖRLD") == static.token_ids("hello world")
    assert static.token_ids("don't") == static.token_ids("don ' t")
    assert static.token_ids("foo_bar(x)") == static.token_ids("foo _ bar ( x )")
    assert static.token_ids("日本") == static.token_ids("日 本")
    assert static.token_ids("[PAD]") == static.token_ids("[ pad ]")  # text, not a special token


# --- choosing an embedder from config ----------------------------------------------


class EmbedderSection(msgspec.Struct):
    """The shape docs/embeddings.md gives ``memory.embedder``."""

    kind: str = "static"
    model: str | None = None
    url: str | None = None
    dim: int | None = None


def test_no_config_means_the_bundled_model_shared_by_the_process() -> None:
    assert get_embedder(None) is get_embedder({}) is get_embedder({"kind": "static"})
    assert get_embedder(EmbedderSection()) is get_embedder(None)
    assert isinstance(get_embedder(None), StaticEmbedder)


def test_a_static_model_dir_can_be_named(tmp_path: Path) -> None:
    for f in MODEL_DIR.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    chosen = get_embedder(EmbedderSection(model=str(tmp_path)))
    assert isinstance(chosen, StaticEmbedder) and chosen.path == tmp_path
    assert np.array_equal(chosen.embed(["same model"]), get_embedder(None).embed(["same model"]))
    with pytest.raises(EmbedderError, match="not a static embedding model"):
        StaticEmbedder(tmp_path / "nowhere")


def test_config_mistakes_are_one_line_errors() -> None:
    with pytest.raises(ConfigError, match="kind must be one of static, sentence-transformers"):
        get_embedder({"kind": "word2vec"})
    with pytest.raises(ConfigError, match="model is required for kind ollama"):
        get_embedder({"kind": "ollama"})


# --- sentence-transformers ------------------------------------------------------------


def test_sentence_transformers_loads_only_local_files(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    class FakeModel:
        def __init__(self, name: str, device: str | None = None, local_files_only: bool = False):
            calls.append((name, device, local_files_only))

        def get_embedding_dimension(self) -> int:
            return 3

        def encode(self, texts: list[str], convert_to_numpy: bool = True) -> np.ndarray:
            return np.array([[len(t), 0.0, 0.0] for t in texts])

    monkeypatch.setitem(sys.modules, "sentence_transformers",
                        types.SimpleNamespace(SentenceTransformer=FakeModel))
    chosen = get_embedder({"kind": "sentence-transformers", "model": "/models/minilm"})
    assert chosen.name == "sentence-transformers:/models/minilm" and chosen.dim == 3
    vectors = chosen.embed(["abc", "", "de"])
    assert vectors.tolist() == [[1, 0, 0], [0, 0, 0], [1, 0, 0]]
    assert calls == [("/models/minilm", None, True)]
    with pytest.raises(EmbedderError, match=r"3 dimensions, memory\.embedder\.dim says 2"):
        SentenceTransformerEmbedder("m", dim=2).embed(["x"])


def test_sentence_transformers_missing_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(EmbedderError, match="pip install sentence-transformers"):
        SentenceTransformerEmbedder("all-MiniLM-L6-v2").embed(["x"])


# --- HTTP embedders against local servers ---------------------------------------------------


class FakeServer:
    """Answers POSTs with ``reply(path, body, headers) -> (status, json)``; records requests."""

    def __init__(self, reply) -> None:
        self.requests: list[tuple[str, dict, dict]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's name for the POST handler
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append((self.path, body, dict(self.headers)))
                status, answer = reply(self.path, body, self.headers)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)  # quick shutdown

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def fake_vector(text: str, dim: int = 4) -> list[float]:
    """Deterministic, not normalised: the client must normalise."""
    digest = hashlib.sha256(text.encode()).digest()
    return [float(b) + 1 for b in digest[:dim]]


def ollama_reply(path: str, body: dict, headers) -> tuple[int, dict]:
    if path != "/api/embed":
        return 404, {"error": "not found"}
    if body["model"] != "nomic-embed-text":
        return 404, {"error": f"model \"{body['model']}\" not found, try pulling it first"}
    return 200, {"model": body["model"], "embeddings": [fake_vector(t) for t in body["input"]]}


def openai_reply(path: str, body: dict, headers) -> tuple[int, dict]:
    if path != "/v1/embeddings":
        return 404, {"error": {"message": "not found"}}
    dim = body.get("dimensions", 4)
    data = [{"object": "embedding", "index": i, "embedding": fake_vector(t, dim)}
            for i, t in enumerate(body["input"])]
    return 200, {"object": "list", "data": data[::-1], "model": body["model"]}  # any order


@pytest.fixture
def ollama() -> Iterator[FakeServer]:
    with FakeServer(ollama_reply) as server:
        yield server


@pytest.fixture
def openai() -> Iterator[FakeServer]:
    with FakeServer(openai_reply) as server:
        yield server


def expected(texts: list[str], dim: int = 4) -> np.ndarray:
    rows = np.array([fake_vector(t, dim) if t.strip() else [0.0] * dim for t in texts], dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 0, norms, 1)


def test_ollama_embeds_in_batches_and_skips_blank_texts(ollama: FakeServer) -> None:
    chosen = get_embedder({"kind": "ollama", "model": "nomic-embed-text", "url": ollama.url,
                           "batch_size": 2})
    texts = ["first", "", "second", "third"]
    vectors = chosen.embed(texts)
    np.testing.assert_allclose(vectors, expected(texts), rtol=1e-6)
    assert vectors.dtype == np.float32
    assert [body["input"] for _, body, _ in ollama.requests] == [["first", "second"], ["third"]]
    assert chosen.name == "ollama:nomic-embed-text" and chosen.dim == 4


def test_ollama_learns_its_dim_by_asking_once(ollama: FakeServer) -> None:
    chosen = OllamaEmbedder("nomic-embed-text", ollama.url)
    assert chosen.embed([""]).shape == (1, 4)  # a blank text alone still needs the dim
    assert chosen.dim == 4
    assert len(ollama.requests) == 1


def test_ollama_host_from_the_environment(ollama: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    port = ollama.url.rsplit(":", 1)[1]
    monkeypatch.setenv("OLLAMA_HOST", f"0.0.0.0:{port}")  # as set for `ollama serve`
    chosen = OllamaEmbedder("nomic-embed-text")
    assert chosen.url == f"http://127.0.0.1:{port}/api/embed"
    assert chosen.embed(["hi"]).shape == (1, 4)
    for host, url in [("example.lan", "http://example.lan:11434"), ("https://gpu.lan", "https://gpu.lan:11434"),
                      ("[::1]:8080", "http://[::1]:8080")]:
        monkeypatch.setenv("OLLAMA_HOST", host)
        assert OllamaEmbedder("m").url == url + "/api/embed"
    monkeypatch.delenv("OLLAMA_HOST")
    assert OllamaEmbedder("m").url == "http://127.0.0.1:11434/api/embed"


def test_ollama_errors_say_what_went_wrong(ollama: FakeServer) -> None:
    with pytest.raises(EmbedderError, match=r"answered HTTP 404: .*not found, try pulling it"):
        OllamaEmbedder("llama9", ollama.url).embed(["hi"])
    with pytest.raises(EmbedderError, match=r"vectors have 4 dimensions, memory\.embedder\.dim says 768"):
        OllamaEmbedder("nomic-embed-text", ollama.url, dim=768).embed(["hi"])
    ollama.httpd.server_close()
    with pytest.raises(EmbedderError, match="cannot reach"):
        OllamaEmbedder("nomic-embed-text", "http://127.0.0.1:9", timeout=5).embed(["hi"])


def test_openai_compatible_orders_by_index_and_sends_key_and_dimensions(
    openai: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_EMBED_KEY", "sk-test")
    chosen = get_embedder({"kind": "openai", "model": "text-embedding-3-small",
                           "url": openai.url + "/v1", "dim": 8, "api_key_env": "MY_EMBED_KEY"})
    texts = ["alpha", "beta", "  ", "gamma"]
    np.testing.assert_allclose(chosen.embed(texts), expected(texts, 8), rtol=1e-6)
    (_, body, headers), = openai.requests
    assert body == {"model": "text-embedding-3-small", "input": ["alpha", "beta", "gamma"],
                    "dimensions": 8}
    assert headers["Authorization"] == "Bearer sk-test"
    assert chosen.name == "openai:text-embedding-3-small" and chosen.dim == 8


def test_openai_compatible_local_server_needs_no_key(openai: FakeServer) -> None:
    chosen = OpenAIEmbedder("local-model", openai.url + "/v1/")
    assert chosen.embed(["x"]).shape == (1, 4)
    (_, body, headers), = openai.requests
    assert "Authorization" not in headers and "dimensions" not in body


def test_a_server_answering_garbage_is_an_error() -> None:
    def reply(path: str, body: dict, headers) -> tuple[int, dict]:
        return 200, {"data": [{"index": 0, "embedding": "nope"}]}

    with FakeServer(reply) as server, pytest.raises(EmbedderError, match="one vector of numbers per text"):
        OpenAIEmbedder("m", server.url).embed(["a", "b"])
