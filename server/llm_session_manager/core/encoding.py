"""The o200k_base tokenizer, from the copy shipped with the package.

A leaf module: sources use it to estimate tokens of assistants that log no
usage numbers, and ``services.tokens`` builds its model-aware counts on it.
tiktoken would download the ranks; we never touch the network at run time.

The shipped file is base64 text, and decoding its 200,000 tokens took 0.3 s of
every process that counts (a one-shot scan of a ChatGPT export, ``count-tokens``).
The first such process leaves the decoded ranks in the user's cache directory
as msgpack, which later ones read in about 0.06 s.
"""

from __future__ import annotations

import hashlib
import os
import threading
from binascii import a2b_base64
from functools import cache
from pathlib import Path

import msgspec

from .. import DATA_DIR
from . import whole_file
from .errors import LlmSessionError

ENCODING_NAME = "o200k_base"
ENCODING_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
_load_lock = threading.Lock()
_DIGEST = 32  # a cached file starts with the sha256 of the msgpack after it


def count_o200k(text: str) -> int:
    """Tokens of ``text`` in o200k_base: exact for OpenAI's current models, an
    estimate for everyone else."""
    return len(o200k().encode_ordinary(text))


@cache
def o200k():  # -> tiktoken.Encoding
    """o200k_base from the bundled ranks; loaded on first use (about 0.3 s, most of
    it tiktoken building its tables from the ranks).

    tiktoken keeps o200k's split pattern and special tokens inside its
    constructor, which fetches the ranks from a URL. We run that constructor
    with its loader pointed at our file, so the pattern, the special tokens and
    the expected sha256 all come from the installed tiktoken and stay in step
    with it. The ranks are read here rather than by ``load_tiktoken_bpe``,
    which copies every file it reads into its cache directory (and fails when
    ``TIKTOKEN_CACHE_DIR`` is read-only).
    """
    import tiktoken
    from tiktoken_ext import openai_public

    def local(_url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        return _ranks(expected_hash or ENCODING_SHA256)

    with _load_lock:
        original = openai_public.load_tiktoken_bpe
        openai_public.load_tiktoken_bpe = local
        try:
            spec = openai_public.o200k_base()
        finally:
            openai_public.load_tiktoken_bpe = original
    return tiktoken.Encoding(**spec)


def _ranks(expected_hash: str) -> dict[bytes, int]:
    """The ranks from the decoded copy in the cache, else from the shipped file
    (then cached). A cached copy that is damaged is read past and written again."""
    cached = cache_path(expected_hash)
    try:
        data = cached.read_bytes()
    except OSError:
        data = b""
    body = memoryview(data)[_DIGEST:]
    if data and hashlib.sha256(body).digest() == data[:_DIGEST]:
        try:
            return msgspec.msgpack.decode(body, type=dict[bytes, int])
        except msgspec.DecodeError:
            pass
    ranks = _read_ranks(_encoding_path(), expected_hash)
    _write_cache(cached, ranks)
    return ranks


def cache_path(expected_hash: str = ENCODING_SHA256) -> Path:
    """Where the decoded ranks are kept: the XDG cache dir, by the ranks' own hash."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(root) / "llm-session-manager" / f"{ENCODING_NAME}-{expected_hash[:16]}.msgpack"


def _write_cache(path: Path, ranks: dict[bytes, int]) -> None:
    """Write the decoded ranks atomically; a cache that cannot be written is only slower."""
    body = msgspec.msgpack.encode(ranks)
    whole_file.write_cache(path, (hashlib.sha256(body).digest(), body), mode=0o666, parents=True)


def _read_ranks(path: Path, expected_hash: str) -> dict[bytes, int]:
    """Parse a ``.tiktoken`` file (``base64(token) rank`` per line) after checking its hash."""
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != expected_hash:
        raise LlmSessionError(
            f"{path} is damaged (its sha256 is not {expected_hash}); reinstall llm-session-manager"
        )
    # Tokens and ranks alternate once split on whitespace; decoding them in bulk
    # takes a third less time than line by line (it runs in every process that counts).
    fields = data.split()
    return dict(zip(map(a2b_base64, fields[0::2]), map(int, fields[1::2]), strict=True))


def _encoding_path() -> Path:
    return DATA_DIR / f"{ENCODING_NAME}.tiktoken"
