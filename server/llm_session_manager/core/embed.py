"""Text to vectors for memory recall: a bundled static model, or one the user runs.

Recall must work offline, on a laptop CPU, from a CLI that starts in a blink, so
the default is a *static* model shipped in ``data/embedding/``: one vector per
word piece (distilled from all-MiniLM-L6-v2 by scripts/make_embedding_model.py),
a text's vector being the normalised sum of its pieces' rows. It needs numpy and
nothing else: the BERT WordPiece tokeniser is re-implemented here (about 50
lines, checked id-for-id against Hugging Face ``tokenizers`` when the model is
built), which saves a Rust wheel and its import time. Users who want better
vectors point ``memory.embedder`` at sentence-transformers, Ollama or an
OpenAI-compatible server; docs/embeddings.md has the config, sizes and quality.

Every embedder returns float32 rows of unit length, except that a text with
nothing to embed (empty, blank, or only unknown characters) gets a zero row:
it is equally far from everything, which is what it should be. Embedding is
blocking (CPU or HTTP); async callers run it in a worker thread.
"""

from __future__ import annotations

import json
import os
import re
import threading
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from itertools import chain
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .. import DATA_DIR
from .errors import ConfigError, LlmSessionError

KINDS = ("static", "sentence-transformers", "ollama", "openai")
OLLAMA_URL = "http://127.0.0.1:11434"
OPENAI_URL = "https://api.openai.com/v1"
_TOKENS_PER_CHUNK = 32_768  # bounds the (tokens x dim) float32 scratch array: 32 MB at dim 256


class EmbedderError(LlmSessionError):
    """An embedder cannot be loaded or reached, or answered something unusable."""


@runtime_checkable
class Embedder(Protocol):
    """What memory needs from a model. ``name`` identifies the vector space: vectors
    from embedders with different names (or dims) must never be compared."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: list[str]) -> np.ndarray:
        """float32 array of shape (len(texts), dim), each row of norm 1 (or 0)."""
        ...


# --- the bundled static model -------------------------------------------------


def bundled_model_dir() -> Path:
    return DATA_DIR / "embedding"


class StaticEmbedder:
    """A static model directory (default: the bundled one), loaded on first ``embed``."""

    def __init__(self, path: Path | str | None = None, *, max_tokens: int | None = None) -> None:
        self.path = Path(path) if path is not None else bundled_model_dir()
        try:
            self._meta = json.loads((self.path / "model.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise EmbedderError(f"{self.path}: not a static embedding model ({e})") from e
        self.name: str = self._meta["name"]
        self.dim: int = int(self._meta["dim"])
        self.max_tokens: int = max_tokens or int(self._meta["max_tokens"])
        self._lock = threading.Lock()
        self._loaded: tuple[_WordPiece, np.ndarray, np.ndarray] | None = None

    def _load(self) -> tuple[_WordPiece, np.ndarray, np.ndarray]:
        with self._lock:
            if self._loaded is None:
                vocab = (self.path / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
                # mmap: a process that embeds one query touches a few pages, not 8 MB.
                vectors = np.load(self.path / "vectors.npy", mmap_mode="r")
                scales = np.load(self.path / "scales.npy")
                if vectors.shape != (len(vocab), self.dim) or scales.shape != (len(vocab),):
                    raise EmbedderError(f"{self.path}: vocab, vectors and scales do not match")
                self._loaded = (_WordPiece(vocab, self._meta["tokenizer"]), vectors, scales)
            return self._loaded

    def token_ids(self, text: str) -> list[int]:
        """The word-piece ids the model averages over for ``text`` (unknown pieces dropped)."""
        return self._load()[0].ids(text, self.max_tokens)

    def count(self, text: str) -> int:
        """Word pieces in all of ``text`` (not cut at ``max_tokens``): recall's estimate of
        what quoting a memory costs in tokens, about 1.08x o200k on the memories of
        bench/recall_data.py and this project's docs."""
        return len(self.all_token_ids(text))

    def all_token_ids(self, text: str) -> list[int]:
        """The word-piece ids of all of ``text`` (not cut at ``max_tokens``)."""
        return self._load()[0].ids(text, len(text) + 1)

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        """(int8 vectors, float32 scales): word piece ``i`` is ``vectors[i] * scales[i]``
        (recall's reranker aligns a query with a memory piece by piece)."""
        _, vectors, scales = self._load()
        return vectors, scales

    def embed(self, texts: list[str]) -> np.ndarray:
        wordpiece, vectors, scales = self._load()
        ids = [wordpiece.ids(t, self.max_tokens) for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        start = 0
        while start < len(ids):  # chunks of whole texts, ~_TOKENS_PER_CHUNK tokens each
            stop, tokens = start, 0
            while stop < len(ids) and (stop == start or tokens + len(ids[stop]) <= _TOKENS_PER_CHUNK):
                tokens += len(ids[stop])
                stop += 1
            _sum_rows(ids[start:stop], vectors, scales, out[start:stop])
            start = stop
        return _unit_rows(out)


def _sum_rows(ids: list[list[int]], vectors: np.ndarray, scales: np.ndarray, out: np.ndarray) -> None:
    """``out[i]`` = sum of the dequantised rows of ``ids[i]`` (the mean, up to scale)."""
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    filled = np.flatnonzero(lengths)
    if filled.size == 0:
        return
    flat = np.fromiter(chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
    rows = vectors[flat].astype(np.float32)
    rows *= scales[flat, None]
    starts = np.concatenate(([0], np.cumsum(lengths[filled])[:-1]))
    out[filled] = np.add.reduceat(rows, starts, axis=0)


def _unit_rows(out: np.ndarray) -> np.ndarray:
    norms = np.sqrt(np.einsum("ij,ij->i", out, out))
    nonzero = norms > 0
    out[nonzero] /= norms[nonzero, None]
    return out


class _Normaliser(dict[int, str]):
    """A ``str.translate`` table doing BERT's normalisation, one character at a time,
    each worked out on first sight: drop control/format/unassigned characters, turn
    whitespace into spaces, space out CJK ideographs, strip accents, lower-case."""

    def __missing__(self, cp: int) -> str:
        ch = chr(cp)
        if cp == 0 or cp == 0xFFFD or (unicodedata.category(ch)[0] == "C" and ch not in "\t\n\r"):
            out = ""
        elif ch.isspace():
            out = " "
        elif _is_cjk(cp):
            out = f" {ch} "
        else:
            nfd = unicodedata.normalize("NFD", ch)
            out = "".join(c.lower() for c in nfd if unicodedata.category(c) != "Mn")
        self[cp] = out
        return out


def _is_cjk(cp: int) -> bool:
    """BERT's 'Chinese character' blocks (CJK Unified Ideographs and extensions)."""
    return (
        0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F
    )


class _WordPiece:
    """BERT's uncased WordPiece (what Hugging Face ``tokenizers`` does for this vocabulary).

    Words are runs between whitespace and punctuation; each punctuation character is
    a word. A word is split greedily into the longest vocabulary pieces (``##`` marks
    a continuation); a word that cannot be split, or is too long, is unknown and
    dropped, as model2vec does. Words repeat, so their ids are cached.
    """

    _CACHE_LIMIT = 200_000

    def __init__(self, vocab: list[str], spec: Mapping[str, Any]) -> None:
        self._vocab = {token: i for i, token in enumerate(vocab)}
        self._prefix = spec["continuing_subword_prefix"]
        self._max_chars = int(spec["max_input_chars_per_word"])
        punct = r"!-/:-@\[-`{-~" + "".join(
            f"\\U{a:08x}-\\U{b:08x}" for a, b in spec["punctuation"]
        )
        self._words = re.compile(f"[{punct}]|[^\\s{punct}]+")
        self._normalise = _Normaliser()
        self._cache: dict[str, tuple[int, ...]] = {}

    def ids(self, text: str, limit: int) -> list[int]:
        # A word piece has a character or more, plus a space at most: a prefix of
        # 32 characters per token keeps the limit, and bounds work on huge inputs.
        text = text[: limit * 32].translate(self._normalise)
        out: list[int] = []
        cache = self._cache
        for word in self._words.findall(text):
            pieces = cache.get(word)
            if pieces is None:
                pieces = self._split(word)
                if len(cache) >= self._CACHE_LIMIT:
                    cache.clear()
                cache[word] = pieces
            out.extend(pieces)
            if len(out) >= limit:
                return out[:limit]
        return out

    def _split(self, word: str) -> tuple[int, ...]:
        if len(word) > self._max_chars:
            return ()
        vocab, pieces, start = self._vocab, [], 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else self._prefix + word[start:end]
                if piece in vocab:
                    pieces.append(vocab[piece])
                    start = end
                    break
            else:
                return ()
        return tuple(pieces)


# --- embedders the user runs ---------------------------------------------------


class SentenceTransformerEmbedder:
    """A sentence-transformers model already on disk (a path, or a name in the HF cache).

    It never downloads: run time has no network, so a model that is not local is an
    error that says so. Needs ``pip install sentence-transformers`` (and torch).
    """

    def __init__(self, model: str, *, dim: int | None = None, device: str | None = None) -> None:
        self.model = model
        self.name = f"sentence-transformers:{model}"
        self._dim = dim
        self._device = device
        self._st: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._st is None:
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError as e:
                    raise EmbedderError(
                        "memory.embedder kind sentence-transformers needs the package: "
                        "pip install sentence-transformers"
                    ) from e
                try:
                    self._st = SentenceTransformer(
                        self.model, device=self._device, local_files_only=True
                    )
                except Exception as e:  # any loading failure is one user error
                    raise EmbedderError(f"{self.name}: cannot load the model locally: {e}") from e
                # get_embedding_dimension since sentence-transformers 5, the old name before
                dimension = (getattr(self._st, "get_embedding_dimension", None)
                             or self._st.get_sentence_embedding_dimension)
                got = int(dimension())
                _check_dim(self.name, self._dim, got)
                self._dim = got
            return self._st

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._load()
        assert self._dim is not None
        return self._dim

    def embed(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        return _fill(texts, lambda: self.dim, lambda batch: model.encode(batch, convert_to_numpy=True))


class _HttpEmbedder:
    """Shared by the HTTP kinds: batching, JSON over urllib, errors, dim checks."""

    path = ""

    def __init__(self, name: str, url: str, *, dim: int | None, timeout: float,
                 batch_size: int, headers: dict[str, str] | None = None) -> None:
        self.name = name
        url = url.rstrip("/")
        self.url = url if url.endswith(self.path) else url + self.path
        self._dim = dim
        self._timeout = timeout
        self._batch_size = max(1, batch_size)
        self._headers = {"Content-Type": "application/json", **(headers or {})}

    @property
    def dim(self) -> int:
        if self._dim is None:  # not configured: ask the server once
            self.embed(["dimension probe"])
        assert self._dim is not None
        return self._dim

    def embed(self, texts: list[str]) -> np.ndarray:
        def batches(batch: list[str]) -> np.ndarray:
            rows = []
            for i in range(0, len(batch), self._batch_size):
                rows.extend(self._vectors(self._post(self._body(batch[i : i + self._batch_size]))))
            array: np.ndarray
            try:
                array = np.asarray(rows, dtype=np.float32)
            except (TypeError, ValueError):
                array = np.zeros(0)
            if array.ndim != 2 or len(array) != len(batch) or array.shape[1] == 0:
                raise EmbedderError(f"{self.name}: {self.url} did not send one vector of "
                                    f"numbers per text ({len(rows)} for {len(batch)} texts)")
            _check_dim(self.name, self._dim, array.shape[1])
            self._dim = array.shape[1]
            return array

        return _fill(texts, lambda: self.dim, batches)

    def _body(self, texts: list[str]) -> dict[str, Any]:
        raise NotImplementedError

    def _vectors(self, answer: Any) -> list[list[float]]:
        raise NotImplementedError

    def _post(self, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            self.url, data=json.dumps(body).encode(), headers=self._headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as e:
            detail = " ".join(e.read(300).decode("utf-8", "replace").split())
            raise EmbedderError(f"{self.name}: {self.url} answered HTTP {e.code}: {detail}") from e
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise EmbedderError(f"{self.name}: cannot reach {self.url}: {reason}") from e
        except ValueError as e:
            raise EmbedderError(f"{self.name}: {self.url} did not answer JSON") from e


class OllamaEmbedder(_HttpEmbedder):
    """Ollama's ``POST /api/embed``; ``url`` defaults to ``$OLLAMA_HOST`` or 127.0.0.1:11434."""

    path = "/api/embed"

    def __init__(self, model: str, url: str | None = None, *, dim: int | None = None,
                 timeout: float = 60.0, batch_size: int = 64) -> None:
        self.model = model
        super().__init__(f"ollama:{model}", url or _ollama_host(), dim=dim, timeout=timeout,
                         batch_size=batch_size)

    def _body(self, texts: list[str]) -> dict[str, Any]:
        return {"model": self.model, "input": texts}

    def _vectors(self, answer: Any) -> list[list[float]]:
        if not isinstance(answer, dict) or not isinstance(answer.get("embeddings"), list):
            raise EmbedderError(f"{self.name}: {self.url} answered without 'embeddings'")
        return answer["embeddings"]


class OpenAIEmbedder(_HttpEmbedder):
    """An OpenAI-compatible ``POST {url}/embeddings`` (OpenAI, LM Studio, llama.cpp, vLLM...).

    ``url`` is the API base, as for the OpenAI SDK (``.../v1``). The key, if any, is read
    from the environment variable ``api_key_env`` (never from the config file); ``dim``,
    when set, is also sent as ``dimensions`` for models that can shorten their vectors.
    """

    path = "/embeddings"

    def __init__(self, model: str, url: str | None = None, *, dim: int | None = None,
                 api_key_env: str = "OPENAI_API_KEY", timeout: float = 60.0,
                 batch_size: int = 256) -> None:
        self.model = model
        key = os.environ.get(api_key_env, "") if api_key_env else ""
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        super().__init__(f"openai:{model}", url or OPENAI_URL, dim=dim, timeout=timeout,
                         batch_size=batch_size, headers=headers)
        self._send_dim = dim

    def _body(self, texts: list[str]) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "input": texts}
        if self._send_dim:
            body["dimensions"] = self._send_dim
        return body

    def _vectors(self, answer: Any) -> list[list[float]]:
        try:
            data = sorted(answer["data"], key=lambda item: item["index"])
            return [item["embedding"] for item in data]
        except (TypeError, KeyError) as e:
            raise EmbedderError(f"{self.name}: {self.url} answered without data[].embedding") from e


def _ollama_host() -> str:
    """Where Ollama's own CLI would look: ``$OLLAMA_HOST`` ("0.0.0.0:11434", "host", a URL)."""
    host = os.environ.get("OLLAMA_HOST", "").strip()
    if not host:
        return OLLAMA_URL
    parts = urllib.parse.urlsplit(host if "://" in host else f"http://{host}")
    hostname = parts.hostname or "127.0.0.1"
    if hostname == "0.0.0.0":  # a server's "listen everywhere" is reached on loopback
        hostname = "127.0.0.1"
    if ":" in hostname:
        hostname = f"[{hostname}]"
    return f"{parts.scheme}://{hostname}:{parts.port or 11434}{parts.path}"


def _fill(texts: list[str], dim: Callable[[], int], embed_batch: Callable[[list[str]], Any]) -> np.ndarray:
    """Embed the texts that have content with ``embed_batch``; blank ones get zero rows
    (servers reject empty input, and a blank text means nothing anyway)."""
    todo = [i for i, t in enumerate(texts) if t.strip()]
    vectors = np.asarray(embed_batch([texts[i] for i in todo]), dtype=np.float32) if todo else None
    width = vectors.shape[1] if vectors is not None else dim()
    out = np.zeros((len(texts), width), dtype=np.float32)
    if vectors is not None:
        out[todo] = vectors
    return _unit_rows(out)


def _check_dim(name: str, want: int | None, got: int) -> None:
    if want is not None and want != got:
        raise EmbedderError(f"{name}: vectors have {got} dimensions, memory.embedder.dim says {want}")


# --- from config ----------------------------------------------------------------

_default: StaticEmbedder | None = None
_default_lock = threading.Lock()


def get_embedder(section: Any = None) -> Embedder:
    """The embedder that ``memory.embedder`` asks for (a mapping or a config struct with
    the keys of docs/embeddings.md); ``None`` or kind ``static`` without a ``model``
    path is the bundled model, shared by the whole process."""
    kind = _get(section, "kind") or "static"
    model, url, dim = _get(section, "model"), _get(section, "url"), _get(section, "dim")
    timeout = float(_get(section, "timeout") or 60.0)
    batch_size = _get(section, "batch_size")
    if kind not in KINDS:
        raise ConfigError(f"memory.embedder.kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "static":
        if model:
            return StaticEmbedder(Path(model).expanduser())
        global _default
        with _default_lock:
            if _default is None:
                _default = StaticEmbedder()
            return _default
    if not model:
        raise ConfigError(f"memory.embedder.model is required for kind {kind}")
    if kind == "sentence-transformers":
        return SentenceTransformerEmbedder(model, dim=dim, device=_get(section, "device"))
    if kind == "ollama":
        return OllamaEmbedder(model, url, dim=dim, timeout=timeout, batch_size=batch_size or 64)
    key_env = _get(section, "api_key_env")  # kind openai
    return OpenAIEmbedder(model, url, dim=dim, timeout=timeout, batch_size=batch_size or 256,
                          api_key_env="OPENAI_API_KEY" if key_env is None else key_env)


def _get(section: Any, key: str) -> Any:
    if section is None:
        return None
    if isinstance(section, Mapping):
        return section.get(key)
    return getattr(section, key, None)
