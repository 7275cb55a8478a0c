"""Local model servers: which models Ollama and LM Studio hold loaded, with their context.

Neither writes a log of conversations; what they can tell is live state, so
this is asked at the moment a frontend shows it, like ``processes``. A server
that is not running refuses the connection at once; one that hangs is given
``TIMEOUT_S``; either way it is left out without a word, since most machines
run neither.

* Ollama: ``GET /api/ps`` on ``OLLAMA_HOST`` (its own variable; default
  127.0.0.1:11434), or ``sources.ollama.url``: the loaded models, each with
  ``context_length`` (the context it was loaded with), size and VRAM.
* LM Studio: ``GET /api/v0/models`` on ``sources.lmstudio.url`` (default
  http://127.0.0.1:1234): every downloaded model, ``state`` saying which are
  loaded, with ``loaded_context_length`` or else ``max_context_length``.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..core.config import Config
from ..core.models import LocalModel

TIMEOUT_S = 0.5
OLLAMA_DEFAULT = "http://127.0.0.1:11434"
LMSTUDIO_DEFAULT = "http://127.0.0.1:1234"


def loaded(config: Config, env: Mapping[str, str] | None = None) -> list[LocalModel]:
    """The models loaded right now in every enabled local server that answers."""
    env = os.environ if env is None else env
    asks = []
    if config.source("ollama").enabled:
        asks.append((_ollama, config.source("ollama").url or _ollama_url(env.get("OLLAMA_HOST", ""))))
    if config.source("lmstudio").enabled:
        asks.append((_lmstudio, config.source("lmstudio").url or LMSTUDIO_DEFAULT))
    with ThreadPoolExecutor(max_workers=len(asks) or 1) as pool:  # both wait at once, not in turn
        answers = list(pool.map(lambda ask: ask[0](ask[1].rstrip("/")), asks))
    return [model for models in answers for model in models]


def _ollama_url(host: str) -> str:
    """``OLLAMA_HOST`` as Ollama reads it: ``host[:port]`` or a URL; 0.0.0.0 means this machine."""
    host = host.strip()
    if not host:
        return OLLAMA_DEFAULT
    scheme, sep, rest = host.partition("://")
    if not sep:
        scheme, rest = "http", host
    name, colon, port = rest.rstrip("/").rpartition(":") if ":" in rest else (rest, "", "")
    if name in ("", "0.0.0.0", "[::]"):
        name = "127.0.0.1"
    return f"{scheme}://{name}:{port if colon else '11434'}"


def _ollama(base: str) -> list[LocalModel]:
    body = _get(f"{base}/api/ps")
    out = []
    for m in _items(body, "models"):
        name = m.get("name") or m.get("model")
        if not isinstance(name, str):
            continue
        out.append(LocalModel(
            provider="ollama", model=name, url=base,
            context_limit=_int(m.get("context_length")),
            size_bytes=_int(m.get("size")), vram_bytes=_int(m.get("size_vram")),
            expires_at=m.get("expires_at") if isinstance(m.get("expires_at"), str) else None,
        ))
    return out


def _lmstudio(base: str) -> list[LocalModel]:
    body = _get(f"{base}/api/v0/models")
    out = []
    for m in _items(body, "data"):
        if m.get("state") != "loaded" or not isinstance(m.get("id"), str):
            continue
        out.append(LocalModel(
            provider="lmstudio", model=m["id"], url=base,
            context_limit=_int(m.get("loaded_context_length")) or _int(m.get("max_context_length")),
            size_bytes=None, vram_bytes=None, expires_at=None,
        ))
    return out


def _get(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            return json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None  # not running, not answering, or not what we expected: nothing loaded


def _items(body: Any, key: str) -> list[dict[str, Any]]:
    items = body.get(key) if isinstance(body, dict) else None
    return [m for m in items if isinstance(m, dict)] if isinstance(items, list) else []


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
