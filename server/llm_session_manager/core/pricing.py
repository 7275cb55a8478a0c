"""Model prices and context windows, offline, priced the way ccusage prices them.

The table is LiteLLM's ``model_prices_and_context_window.json`` cut down to the
providers whose assistants we read (Anthropic, OpenAI, Google Gemini). It ships
in ``data/pricing.json`` and can be replaced by ``<data dir>/pricing.json``
(``update()``); nothing is ever downloaded at run time.

Costs must agree with ccusage to the cent, so matching and arithmetic follow
its current implementation (the Rust port, ``rust/crates/ccusage/src/pricing.rs``
and ``cost.rs``) rule for rule:

* an entry is usable only with both ``input_cost_per_token`` and
  ``output_cost_per_token``; a missing cache-write price is input x 1.25 and a
  missing cache-read price is input x 0.1;
* a model name is looked up (``model_match``) exactly, else among the keys it contains or that
  contain it (also with ``.``/``@`` read as ``-``), only at word boundaries and
  never across a version number (``claude-sonnet-4`` does not match
  ``claude-sonnet-4-5``, but ``claude-sonnet-4-5`` matches
  ``claude-sonnet-4-5-20250929``); the longest such key wins, ties going to
  the alphabetically first. So ``anthropic/claude-…``, ``openai/gpt-5`` or a
  dated alias find their entry;
* each token kind (input, output, cache write, cache read) is tiered on its
  own: when the model has an ``*_above_200k_tokens`` price and that kind's
  count is over 200,000, the first 200,000 are billed at the base price and
  the rest at the higher one;
* one-hour cache writes cost input x 2 (tiered with input's higher price).
"""

import datetime
import os
from pathlib import Path
from typing import Annotated, Any

import msgspec

from .. import DATA_DIR
from .errors import BadInput
from .model_match import best_key
from .paths import data_dir

TIER_THRESHOLD = 200_000
DEFAULT_CONTEXT_LIMIT = 200_000  # the window Claude Code gives every Claude model by default
LONG_CONTEXT_LIMIT = 1_000_000  # Claude's long-context variant
LONG_CONTEXT_SUFFIX = "[1m]"  # how Claude Code names it (``claude-sonnet-4-5[1m]``)
TABLE_NAME = "pricing.json"
BUILTIN_NAME = "pricing_builtin.json"
CACHE_NAME = "pricing.cache"  # in the data dir: the table in force as read last (``_Cached``)
META_KEY = "_meta"
PROVIDERS = frozenset({"anthropic", "openai", "gemini", "vertex_ai-language-models"})
MODES = frozenset({"chat", "responses"})
# ccusage embeds every LiteLLM entry named so, whatever its provider or mode
# (its build.rs): Bedrock's ``anthropic.``/``us.anthropic.`` ids, Azure and
# OpenRouter copies. They take part in its fuzzy matching, so we keep them too.
CCUSAGE_PREFIXES = (
    "claude-", "anthropic.", "anthropic/", "us.anthropic.", "eu.anthropic.", "global.anthropic.",
    "jp.anthropic.", "au.anthropic.", "gpt-", "openai/", "azure/", "openrouter/openai/",
)

# Where a response's cost came from: the ``usage.priced`` column.
FROM_LOG = 0  # the log's own figure (Claude Code's costUSD, a vendor's cost export)
FROM_TABLE = 1  # priced from the table at ingest (or at the last repricing)
UNKNOWN = 2  # no price for its model: cost_usd holds 0, reports say "unknown"

_Price = Annotated[float, msgspec.Meta(ge=0)]
_Tokens = Annotated[int, msgspec.Meta(gt=0)]


class ModelPrice(msgspec.Struct, frozen=True, omit_defaults=True):
    """One model's entry, with LiteLLM's field names (USD per token)."""

    input_cost_per_token: _Price
    output_cost_per_token: _Price
    cache_creation_input_token_cost: _Price | None = None
    cache_read_input_token_cost: _Price | None = None
    input_cost_per_token_above_200k_tokens: _Price | None = None
    output_cost_per_token_above_200k_tokens: _Price | None = None
    cache_creation_input_token_cost_above_200k_tokens: _Price | None = None
    cache_read_input_token_cost_above_200k_tokens: _Price | None = None
    max_input_tokens: _Tokens | None = None
    max_output_tokens: _Tokens | None = None
    litellm_provider: str | None = None
    mode: str | None = None


_FIELDS = ModelPrice.__struct_fields__


class PriceTable:
    """A loaded table; remembers how each model name it was asked about matched.

    Ingest prices every usage row, and a session uses a handful of model names,
    so the fuzzy scan over all keys runs once per distinct name.
    """

    def __init__(self, models: dict[str, ModelPrice], meta: dict[str, Any], path: Path, version: str = "",
                 builtin: frozenset[str] = frozenset()) -> None:
        self.models = models
        self.meta = meta
        self.path = path
        self.version = version  # changes whenever any price may have: the store reprices then
        self.builtin = builtin  # keys whose price is ccusage's own (pricing_builtin.json), not LiteLLM's
        self._windows = {name: p.max_input_tokens for name, p in models.items() if p.max_input_tokens}
        self._prices: dict[str, ModelPrice | None] = {}
        self._window_of: dict[str, int | None] = {}

    def lookup(self, model: str) -> ModelPrice | None:
        try:
            return self._prices[model]
        except KeyError:
            key = best_key(model, self.models)
            found = self._prices[model] = self.models[key] if key is not None else None
            return found

    def resolve(self, model: str) -> str | None:
        """The table key ``model`` is priced by (what ``pricing show`` names)."""
        return best_key(model, self.models)

    def close_names(self, model: str, n: int = 5) -> list[str]:
        """Keys that look like ``model``, for a user who mistyped a name."""
        import difflib  # only for the error path of ``pricing show``

        return difflib.get_close_matches(model, list(self.models), n=n, cutoff=0.6)

    def cost(
        self,
        model: str | None,
        input_tokens: int,
        output_tokens: int,
        cache_creation_tokens: int = 0,
        cache_read_tokens: int = 0,
        *,
        cache_creation_1h_tokens: int = 0,
        tiered: bool = True,
    ) -> float | None:
        """USD for one response; None (unknown) for a model the table does not know.

        ``cache_creation_1h_tokens`` is the part of ``cache_creation_tokens`` written
        with a one-hour TTL (Claude logs split them); ccusage bills it at twice the
        input price instead of the cache-write price. Ingest calls this per row on
        a table it loaded once, so there is no per-call lookup of the table itself.
        A response without tokens costs 0 whatever its model, and so does one of a
        model that runs locally (``runs_locally``). ``tiered=False`` prices a row
        that sums many responses (a vendor's daily export): the 200k tiers are
        per response, so such a total is billed at the base prices.
        """
        price = self.lookup(model) if model else None
        if price is None:
            if (input_tokens or output_tokens or cache_creation_tokens or cache_read_tokens) and not (
                model and runs_locally(model)
            ):
                return None
            return 0.0
        base = price.input_cost_per_token
        above = price.input_cost_per_token_above_200k_tokens
        write = price.cache_creation_input_token_cost
        read = price.cache_read_input_token_cost
        if not tiered:
            price = msgspec.structs.replace(
                price, input_cost_per_token_above_200k_tokens=None, output_cost_per_token_above_200k_tokens=None,
                cache_creation_input_token_cost_above_200k_tokens=None,
                cache_read_input_token_cost_above_200k_tokens=None,
            )
            above = None
        return (
            _tiered(input_tokens, base, above)
            + _tiered(output_tokens, price.output_cost_per_token, price.output_cost_per_token_above_200k_tokens)
            + _tiered(
                cache_creation_tokens - cache_creation_1h_tokens,
                write if write is not None else base * 1.25,
                price.cache_creation_input_token_cost_above_200k_tokens,
            )
            + _tiered(cache_creation_1h_tokens, base * 2.0, above * 2.0 if above is not None else None)
            + _tiered(
                cache_read_tokens,
                read if read is not None else base * 0.1,
                price.cache_read_input_token_cost_above_200k_tokens,
            )
        )

    def context_window(self, model: str) -> int | None:
        """``max_input_tokens`` of the best match among entries that have one."""
        try:
            return self._window_of[model]
        except KeyError:
            key = best_key(model, self._windows)
            found = self._window_of[model] = self._windows[key] if key is not None else None
            return found


_cache: tuple[tuple[str | None, ...], PriceTable] | None = None
# What data_dir() depends on: the table is re-read only when one of them changes.
_DATA_DIR_ENV = ("LLM_SESSION_DATA_DIR", "XDG_DATA_HOME", "HOME")


def load_table() -> PriceTable:
    """The table in force: ``<data dir>/pricing.json`` if present, else the bundled one.

    Read once per process and data directory (``update()`` refreshes it): cost()
    runs per usage row at ingest, so the check here is three environment reads,
    not a file system access.
    """
    global _cache
    key = tuple(os.environ.get(name) for name in _DATA_DIR_ENV)
    if _cache is None or _cache[0] != key:
        _cache = (key, _cached_table(data_dir()))
    return _cache[1]


class _Cached(msgspec.Struct, array_like=True):
    """A table as read, for the next process: each short command (a status line
    storing one response) would otherwise decode, select and hash 200 KB of
    JSON again (3-6 ms). Valid while the files it was read from are unchanged."""

    files: list[tuple[str, int, int, int, int]]  # (path, inode, size, mtime_ns, ctime_ns) of each file read
    models: dict[str, ModelPrice]
    meta: dict[str, Any]
    path: str
    version: str
    builtin: list[str]


def _cached_table(directory: Path) -> PriceTable:
    """The table in force, from ``<data dir>/pricing.cache`` when the files it was read
    from are unchanged; else read from them and cached (if the directory is writable)."""
    override = directory / TABLE_NAME
    sources = [override] if override.is_file() else [_bundled_path(), DATA_DIR / BUILTIN_NAME]
    try:
        files = [(str(p), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns) for p in sources for st in [p.stat()]]
    except OSError:
        files = []  # reading it says what is wrong
    cache = directory / CACHE_NAME
    if files:
        try:
            cached = msgspec.msgpack.decode(cache.read_bytes(), type=_Cached)
        except (OSError, msgspec.DecodeError):
            cached = None
        if cached is not None and cached.files == files:
            return PriceTable(cached.models, cached.meta, Path(cached.path), cached.version,
                              frozenset(cached.builtin))
    table = _read_table(override) if len(sources) == 1 else _bundled_table()
    if files and directory.is_dir():  # never creates the data dir: a command that stores nothing leaves none
        document = _Cached(files, table.models, table.meta, str(table.path), table.version, sorted(table.builtin))
        try:
            _write_atomically(cache, msgspec.msgpack.encode(document))
        except OSError:
            pass  # a read-only data dir: the next process reads the JSON again
    return table


def lookup(model: str | None) -> ModelPrice | None:
    """The price entry for ``model`` as ccusage would find it, or None."""
    return load_table().lookup(model) if model else None


def cost(
    model: str | None,
    input_tokens: int,
    output_tokens: int,
    cache_creation_tokens: int = 0,
    cache_read_tokens: int = 0,
    *,
    cache_creation_1h_tokens: int = 0,
    tiered: bool = True,
) -> float | None:
    """USD for one response under the table in force (None: no price); see ``PriceTable.cost``."""
    return load_table().cost(
        model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens,
        cache_creation_1h_tokens=cache_creation_1h_tokens, tiered=tiered,
    )


# Names of models served on the user's own machine: Ollama and LM Studio
# through LiteLLM-style prefixes (Aider), GGUF files (the llm CLI's local plugins).
_LOCAL_PREFIXES = ("ollama/", "ollama_chat/", "lm_studio/", "lmstudio/", "llamafile/")


def runs_locally(model: str) -> bool:
    """Whether ``model`` names a model run locally, whose usage costs nothing (not an unknown price)."""
    name = model.lower()
    return name.startswith(_LOCAL_PREFIXES) or "gguf" in name


def context_limit(model: str | None, overrides: dict[str, int] | None = None, *, long_context: bool = False) -> int:
    """The window a model runs with: the config's ``token_limits``, else the table, else 200,000.

    Override keys match model names by the same rules as prices, so a key
    ``claude-sonnet-4-5`` covers ``claude-sonnet-4-5-20250929``. A Claude model
    runs with 200,000 tokens unless it is the long-context variant: named with
    Claude Code's ``[1m]`` suffix, or ``long_context`` (the caller saw a turn
    bigger than 200,000). The table's ``max_input_tokens`` is what the model can
    be given at most (1M for Opus 4.6 and Sonnet 4.x), not what Claude Code
    gives it by default.
    """
    if not model:
        return DEFAULT_CONTEXT_LIMIT
    if overrides:
        key = best_key(model, overrides)
        if key is not None:
            return overrides[key]
    window = load_table().context_window(model) or DEFAULT_CONTEXT_LIMIT
    if "claude" not in model.lower():
        return window
    if long_context or LONG_CONTEXT_SUFFIX in model.lower():
        return max(window, LONG_CONTEXT_LIMIT)
    return min(window, DEFAULT_CONTEXT_LIMIT)


def update(file: Path) -> int:
    """Install the usable entries of a local LiteLLM file as ``<data dir>/pricing.json``.

    Models the file lacks but the bundled table has (LiteLLM drops retired
    models, whose usage is still in old logs) keep their bundled price. The
    file is validated completely before anything is written, and written
    atomically. Returns the number of models in the installed table.
    """
    try:
        data = file.read_bytes()
    except OSError as e:
        raise BadInput(f"cannot read pricing file {file}: {e.strerror or e}") from e
    try:
        raw = msgspec.json.decode(data)
    except msgspec.DecodeError as e:
        raise BadInput(f"pricing file {file} is not valid JSON: {e}") from e
    if not isinstance(raw, dict):
        raise BadInput(f"pricing file {file} is not a LiteLLM table: expected a JSON object of models")
    models = select_models(raw, origin=f"pricing file {file}")
    if not models:
        raise BadInput(
            f"pricing file {file} has no usable model entries "
            "(Anthropic, OpenAI or Gemini chat models with input and output prices)"
        )
    bundled = _bundled_table()
    merged = merge_models(models, bundled.models)
    meta = {
        "source": f"local LiteLLM file {file.name}, over the bundled table",
        "bundled": bundled.meta.get("source"),
        "date": datetime.date.today().isoformat(),
        "models": len(merged),
    }
    target = data_dir() / TABLE_NAME
    write_table(target, merged, meta)
    global _cache
    _cache = None
    return len(merged)


# --- the table file ------------------------------------------------------------


def select_models(raw: dict[str, Any], origin: str = "pricing table") -> dict[str, ModelPrice]:
    """The entries of a LiteLLM table that can price our assistants' models.

    Kept: Anthropic, OpenAI and Gemini (API and Vertex) chat/responses models
    with both an input and an output price (entries naming no provider or mode
    are kept too, for hand-written tables). A price that is present but not a
    non-negative number is an error naming the model and field, not a skip:
    silently dropping it would price that model at 0.
    """
    chosen: dict[str, dict[str, Any]] = {}
    for name, entry in raw.items():
        if name == META_KEY or name.startswith("ft:") or not isinstance(entry, dict):
            continue
        provider, mode = entry.get("litellm_provider"), entry.get("mode")
        ours = (provider is None or provider in PROVIDERS) and (mode is None or mode in MODES)
        if not ours and not name.startswith(CCUSAGE_PREFIXES):
            continue
        fields = {k: entry[k] for k in _FIELDS if entry.get(k) is not None}
        if "input_cost_per_token" not in fields or "output_cost_per_token" not in fields:
            continue  # ccusage cannot price it either
        chosen[name] = fields
    try:  # in one call, not one per model: every process that prices anything reads the table
        return msgspec.convert(chosen, dict[str, ModelPrice])
    except msgspec.ValidationError as e:
        for name, fields in chosen.items():  # the entry to name in the message
            try:
                msgspec.convert(fields, ModelPrice)
            except msgspec.ValidationError as bad:
                raise BadInput(f"{origin}: model {name!r}: {bad}") from bad
        raise BadInput(f"{origin}: {e}") from e


def merge_models(newer: dict[str, ModelPrice], older: dict[str, ModelPrice]) -> dict[str, ModelPrice]:
    """``newer``'s entries, plus ``older``'s for models ``newer`` no longer lists."""
    return {**older, **newer}


def write_table(path: Path, models: dict[str, ModelPrice], meta: dict[str, Any]) -> None:
    """Write ``models`` (sorted, after a ``_meta`` entry) atomically to ``path``."""
    document = {META_KEY: meta, **dict(sorted(models.items()))}
    _write_atomically(path, msgspec.json.format(msgspec.json.encode(document), indent=1) + b"\n")


def _write_atomically(path: Path, data: bytes) -> None:
    import tempfile  # only here: every report imports this module for its prices

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".pricing-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o644)  # mkstemp's 0600 would hide it from other users of a shared install
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_table(path: Path) -> PriceTable:
    import hashlib  # only here: a table read from the cache needs no hashing (loading OpenSSL: 2-3 ms)

    data = _read_bytes(path)
    raw = _decode(path, data)
    meta = raw.get(META_KEY)
    version = hashlib.sha256(data).hexdigest()[:16]
    return PriceTable(select_models(raw, origin=str(path)), meta if isinstance(meta, dict) else {}, path, version)


def _bundled_table() -> PriceTable:
    """LiteLLM's table as shipped, with ccusage's own prices on top (they win, as in ccusage).

    ``pricing_builtin.json`` is what ccusage charges where it does not take
    LiteLLM's word (its built-in table, measured by ``bench/ccusage_prices.py``).
    A table installed by ``update()`` already has them merged in, under the
    user's file: like a fresh LiteLLM table fetched by ccusage, it wins.
    """
    import hashlib

    table, builtin = _read_table(_bundled_path()), _read_table(DATA_DIR / BUILTIN_NAME)
    version = hashlib.sha256(f"{table.version}+{builtin.version}".encode()).hexdigest()[:16]
    return PriceTable({**table.models, **builtin.models}, table.meta, table.path, version, frozenset(builtin.models))


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise BadInput(f"cannot load pricing table {path}: {e.strerror or e}") from e


def _decode(path: Path, data: bytes) -> dict[str, Any]:
    try:
        raw = msgspec.json.decode(data)
    except msgspec.DecodeError as e:
        raise BadInput(f"cannot load pricing table {path}: {e}") from e
    if not isinstance(raw, dict):
        raise BadInput(f"pricing table {path} is not a JSON object of models")
    return raw


def _bundled_path() -> Path:
    return DATA_DIR / TABLE_NAME


# --- cost, as ccusage computes it --------------------------------------------------


def _tiered(tokens: int, base: float, above: float | None) -> float:
    if tokens <= 0:
        return 0.0
    if above is not None and tokens > TIER_THRESHOLD:
        return TIER_THRESHOLD * base + (tokens - TIER_THRESHOLD) * above
    return tokens * base
