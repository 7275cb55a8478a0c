"""Token counts for text that has no usage numbers: files, prompts, memories.

Every count says how it was made. OpenAI's models use the o200k_base encoding,
which ships in ``data/o200k_base.tiktoken`` (tiktoken would download it), so
their counts are exact offline. Claude's tokenizer is not public: with an
``ANTHROPIC_API_KEY`` the count-tokens endpoint gives the exact number (cached
in the store by content hash, so each distinct text is sent once); without a
key, or when the call fails, the o200k count is scaled by a factor calibrated
against Claude's tokenizers (docs/pricing.md). Other models (Gemini, local
ones) get the o200k count, marked estimated.
"""

from __future__ import annotations

import hashlib
import os
import re

import apsw

from ..core.encoding import ENCODING_NAME, o200k
from ..core.models import TokenCount

METHOD_TIKTOKEN = f"tiktoken:{ENCODING_NAME}"
METHOD_ANTHROPIC = "anthropic:count_tokens"
ANTHROPIC_TIMEOUT_S = 3.0

# Claude tokens per o200k token (derivation in docs/pricing.md). Opus 4.7
# brought a new tokenizer that needs roughly 30% more tokens for the same text;
# models before it share the older one.
CLAUDE_FACTOR = 1.20
CLAUDE_47_FACTOR = 1.50
_CLAUDE_47 = (4, 7)

_O200K_NOT_IN_TIKTOKEN = ("codex-mini",)  # a fine-tune of o4-mini that tiktoken does not list
_VERSION = re.compile(r"(?<![0-9])([0-9]{1,2})(?:[-.]([0-9]{1,2}))?(?![0-9])")


def count_tokens(text: str, model: str | None, conn: apsw.Connection | None = None, *,
                 offline: bool = False) -> TokenCount:
    """How many tokens ``text`` is for ``model``, and whether that is exact.

    ``conn`` (the store) lets Claude counts from the API be reused across runs;
    ``offline``: never ask the API (many files at once: the bundled tokenizer only).
    """
    name = _bare(model) if model else ""
    if "claude" in name.lower():
        return _count_claude(text, model, name, conn, offline)
    tokens = len(o200k().encode_ordinary(text))
    source = "exact" if _is_o200k_openai(name) else "estimated"
    return TokenCount(tokens=tokens, source=source, method=METHOD_TIKTOKEN, model=model)


def _claude_factor(name: str) -> float:
    """The o200k-to-Claude factor for a Claude model name."""
    lowered = name.lower()
    match = _VERSION.search(lowered[lowered.find("claude") + len("claude") :])
    if match is None:  # unversioned names (e.g. "claude-mythos-preview") are the newest models
        return CLAUDE_47_FACTOR
    version = (int(match.group(1)), int(match.group(2) or 0))
    return CLAUDE_47_FACTOR if version >= _CLAUDE_47 else CLAUDE_FACTOR


def _count_claude(text: str, model: str | None, name: str, conn: apsw.Connection | None,
                  offline: bool = False) -> TokenCount:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    if conn is not None:
        row = conn.execute(
            "SELECT tokens, method FROM token_counts WHERE hash = ? AND model = ?", (digest, name)
        ).fetchone()
        if row is not None:
            return TokenCount(tokens=row[0], source="exact", method=row[1], model=model)
    exact = None if offline else _anthropic_count(text, name)
    if exact is not None:
        if conn is not None:
            conn.execute(
                "INSERT OR REPLACE INTO token_counts (hash, model, tokens, method) VALUES (?, ?, ?, ?)",
                (digest, name, exact, METHOD_ANTHROPIC),
            )
        return TokenCount(tokens=exact, source="exact", method=METHOD_ANTHROPIC, model=model)
    factor = _claude_factor(name)
    tokens = round(len(o200k().encode_ordinary(text)) * factor)
    return TokenCount(tokens=tokens, source="estimated", method=f"estimate:o200k*{factor:.2f}", model=model)


def _anthropic_count(text: str, name: str) -> int | None:
    """The count-tokens API's answer, or None without a key or on any failure.

    No retries and a short timeout: a slow or failing API must cost an editor
    hover a few seconds at most, and the estimate is always there to fall
    back on. The SDK honours ``ANTHROPIC_BASE_URL``.
    """
    key = os.environ.get("ANTHROPIC_API_KEY")
    if not key or not text:
        return None
    import anthropic  # slow to import; only this path needs it

    try:
        client = anthropic.Anthropic(api_key=key, timeout=ANTHROPIC_TIMEOUT_S, max_retries=0)
        result = client.messages.count_tokens(model=name, messages=[{"role": "user", "content": text}])
    except anthropic.AnthropicError:
        return None
    tokens = getattr(result, "input_tokens", None)
    return tokens if isinstance(tokens, int) and tokens >= 0 else None


def _bare(model: str) -> str:
    """The model id without a provider prefix or a ``[1m]``-style suffix."""
    return re.sub(r"\[[^\]]*\]$", "", model.rsplit("/", 1)[-1]).strip()


def _is_o200k_openai(name: str) -> bool:
    import tiktoken.model

    try:
        return tiktoken.model.encoding_name_for_model(name) == ENCODING_NAME
    except KeyError:
        return name.startswith(_O200K_NOT_IN_TIKTOKEN)
