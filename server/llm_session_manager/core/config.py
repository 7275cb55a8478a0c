"""The user's YAML config: where it lives, what it may say, and its defaults.

Every setting has a default, so no file (or an empty one) is a valid config. A
file that is there but wrong is never half-used: any problem is one
``ConfigError`` line naming the file and the key, because a silently ignored
typo is worse than a refusal to start. docs/config.md describes every key and a
test keeps it complete.
"""

from __future__ import annotations

import os
import re
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from .. import DATA_DIR
from .config_alerts import TeamAlertsConfig
from .config_chat import ChatConfig
from .config_notifications import Notifications
from .errors import ConfigError
from .models import PROVIDERS

ENV_VAR = "LLM_SESSION_CONFIG"

Percent = Annotated[float, msgspec.Meta(ge=0, le=100)]
Positive = Annotated[float, msgspec.Meta(gt=0)]
Weight = Annotated[float, msgspec.Meta(ge=0)]
ColorScheme = Literal["dark", "light", "cyberpunk", "minimal"]
ProviderId = Literal[PROVIDERS]  # type: ignore[valid-type]  # msgspec checks config keys against models.PROVIDERS


class _Section(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Base of every config struct: immutable, and a misspelt key is an error."""


class HealthThresholds(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    """Score bands (0-100): from ``healthy`` up is healthy, from ``warning`` up a warning."""

    healthy: Percent = 70.0
    warning: Percent = 40.0

    def __post_init__(self) -> None:
        if self.warning > self.healthy:
            got = f"got warning {self.warning:g} and healthy {self.healthy:g}"
            raise ValueError(f"must have warning <= healthy, {got}")


class HealthWeights(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    """Relative weights of the health score's components; only their ratios matter."""

    token_usage: Weight = 0.40
    duration: Weight = 0.20
    activity: Weight = 0.20
    errors: Weight = 0.20

    def __post_init__(self) -> None:
        if self.token_usage + self.duration + self.activity + self.errors <= 0:
            raise ValueError("must not all be zero")


class Recommendations(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    context_percent: Percent = 85.0
    max_duration_hours: Positive = 4.0
    idle_minutes: Positive = 30.0
    archive_after_days: Positive = 14.0  # idle this long: archive rather than idle advice
    merge_similarity: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.75  # summaries this alike: the same work
    repeat_similarity: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.6  # a memory this close: recall it


class Dashboard(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    refresh_interval: Positive = 5.0  # seconds
    show_emoji: bool = True
    color_scheme: ColorScheme = "dark"


class SessionDiscovery(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    scan_interval: Positive = 30.0  # seconds
    ignore_patterns: tuple[str, ...] = ()  # fnmatch globs over absolute log paths


class SourceConfig(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    enabled: bool = True
    paths: tuple[Path, ...] = ()  # extra data directories, absolute
    url: str | None = None  # a local model server's address (ollama, lmstudio)


class EmbedderConfig(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    """Which model turns memories into vectors (docs/embeddings.md)."""

    kind: Literal["static", "sentence-transformers", "ollama", "openai"] = "static"
    model: str | None = None
    url: str | None = None
    dim: Annotated[int, msgspec.Meta(gt=0)] | None = None
    device: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    timeout: Positive = 60.0
    batch_size: Annotated[int, msgspec.Meta(gt=0)] | None = None


class MemoryConfig(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    """The ``memory:`` section: what memory recall embeds with (docs/memory.md)."""

    embedder: EmbedderConfig = EmbedderConfig()
    auto_memorize: bool = False  # hooks: memorize a session at PreCompact and SessionEnd (docs/hooks.md)


class HooksConfig(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    """The ``hooks:`` section: what ``llm-session hook`` may do for an assistant (docs/hooks.md)."""

    time_budget_ms: Annotated[int, msgspec.Meta(ge=50, le=5000)] = 300
    session_start_tokens: Annotated[int, msgspec.Meta(ge=0)] = 0  # memories handed to a new session; 0: none


StatuslineSegment = Literal["model", "context", "session", "today", "five_hour", "weekly", "health"]
STATUSLINE_SEGMENTS: tuple[StatuslineSegment, ...] = ("model", "context", "session", "today", "five_hour", "weekly",
                                                      "health")


class StatuslineConfig(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    """The ``statusline:`` section: what ``llm-session statusline`` shows (docs/statusline.md)."""

    segments: tuple[StatuslineSegment, ...] = STATUSLINE_SEGMENTS
    format: str | None = None  # a template of {model} {context} ...; None: the segments joined by " | "
    agent: bool = True  # a resident process draws the line (docs/statusline.md#the-agent); false: each run alone
    agent_idle_minutes: Annotated[float, msgspec.Meta(gt=0)] = 15.0  # the agent exits after this long unasked


class RetentionConfig(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    """The ``retention:`` section: how long message bodies stay in the store (docs/conversations.md)."""

    conversation_days: Positive | None = None  # None: keep every conversation
class MetricsConfig(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    """The ``metrics:`` section: ``serve``'s ``/metrics`` and its OTLP metrics export (docs/metrics.md)."""

    max_models: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 20  # per-model series; the rest are model="other"
    otlp_endpoint: str | None = None  # e.g. http://localhost:4318/v1/metrics; None: no export
    otlp_headers: dict[str, str] = {}  # sent with every export
    otlp_headers_env: dict[str, str] = {}  # header -> the environment variable holding its value (API keys)
    otlp_interval: Annotated[float, msgspec.Meta(ge=1)] = 60.0  # seconds between exports
    otlp_timeout: Positive = 10.0  # seconds one export may take


class TeamConfig(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    """The ``team:`` section: what ``team push`` sends beyond sessions and usage (docs/team.md)."""

    push_messages: tuple[str, ...] = ()  # projects whose conversation is pushed, redacted; none by default


class TeamServerConfig(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    """The ``team_server:`` section: read by ``team serve`` only (docs/team.md#pruning)."""

    audit_retention_days: Annotated[int, msgspec.Meta(ge=1)] = 365  # audit entries older than this are pruned


class PrivacyConfig(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    """The ``privacy:`` section: message bodies encrypted at rest (docs/privacy.md)."""

    encrypt_conversations: bool = False  # a scan encrypts the store's new bodies (the key: docs/privacy.md)


class Config(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    token_limits: dict[str, Annotated[int, msgspec.Meta(gt=0)]] = {}
    health_thresholds: HealthThresholds = HealthThresholds()
    health_weights: HealthWeights = HealthWeights()
    recommendations: Recommendations = Recommendations()
    dashboard: Dashboard = Dashboard()
    session_discovery: SessionDiscovery = SessionDiscovery()
    sources: dict[ProviderId, SourceConfig] = {}
    memory: MemoryConfig = MemoryConfig()
    notifications: Notifications = Notifications()
    hooks: HooksConfig = HooksConfig()
    statusline: StatuslineConfig = StatuslineConfig()
    retention: RetentionConfig = RetentionConfig()
    metrics: MetricsConfig = MetricsConfig()
    team: TeamConfig = TeamConfig()
    chat: ChatConfig = ChatConfig()  # the chat bots on serve (docs/chat.md)
    team_alerts: TeamAlertsConfig = TeamAlertsConfig()  # the team server's budget and critical-session alerts (docs/team.md)
    privacy: PrivacyConfig = PrivacyConfig()  # message bodies encrypted at rest (docs/privacy.md)
    team_server: TeamServerConfig = TeamServerConfig()  # team serve's own housekeeping (docs/team.md#pruning)

    def source(self, provider: str) -> SourceConfig:
        """The settings for ``provider``; an unlisted provider is enabled with no extra paths."""
        return self.sources.get(provider, _DEFAULT_SOURCE)


_DEFAULT_SOURCE = SourceConfig()


def config_path(explicit: Path | None = None) -> Path:
    """The config file: ``explicit`` (``--config``), else ``LLM_SESSION_CONFIG``, else XDG's."""
    return _locate(explicit)[0]


def load(explicit: Path | None = None) -> Config:
    """The config, with defaults for everything the file does not say.

    A missing file at the default place means all defaults; a missing file the
    user named (flag or env) is an error, since they meant a file to be used.
    """
    path, named_by = _locate(explicit)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if named_by is None:
            return Config()
        raise ConfigError(f"{_shown(path)}: no such config file (named by {named_by})") from None
    except OSError as e:
        raise ConfigError(f"{_shown(path)}: cannot read: {e.strerror}") from e
    except UnicodeDecodeError as e:
        raise ConfigError(f"{_shown(path)}: not UTF-8 text (bad byte at offset {e.start})") from e
    return _parse(text, path)


def to_dict(config: Config) -> dict[str, Any]:
    """Plain JSON/YAML-ready data (lists, strings) for ``config show``."""
    return msgspec.json.decode(msgspec.json.encode(config, enc_hook=str))


def default_yaml() -> str:
    """The commented default config that ``init`` writes; it parses to ``Config()``."""
    return (DATA_DIR / "config.default.yaml").read_text(encoding="utf-8")


def init(path: Path, force: bool = False) -> Path:
    """Write the default config to ``path``; an existing file is kept unless ``force``."""
    if path.exists() and not force:
        raise ConfigError(
            f"{_shown(path)}: already exists, not overwriting (use --force to replace it)"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), 0o600)  # owner only, like the store: a config may name tokens (team, webhooks)
            f.write(default_yaml())
    except OSError as e:
        raise ConfigError(f"{_shown(path)}: cannot write: {e.strerror}") from e
    return path


# --- parsing and error messages ----------------------------------------------


def _locate(explicit: Path | None) -> tuple[Path, str | None]:
    """The config path and who named it (``None``: nobody, the default place)."""
    if explicit is not None:
        return explicit.expanduser(), "--config"
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser(), ENV_VAR
    return _default_path(), None


def _default_path() -> Path:
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(Path.home(), ".config")
    return Path(xdg) / "llm-session-manager" / "config.yaml"


def _parse(text: str, path: Path) -> Config:
    from . import config_cache  # YAML as last parsed: a status line must not pay for PyYAML

    known, data = config_cache.read(text)
    if not known:
        data = _yaml(text, path)
        config_cache.write(text, data)
    if data is None:
        return Config()
    if isinstance(data, dict):
        # A section whose lines are all commented out reads as null: take its defaults.
        data = {k: v for k, v in data.items() if v is not None}

    base = path.absolute().parent

    def dec_hook(tp: Any, obj: Any) -> Any:
        # Relative data directories are relative to the config file, not to
        # whichever directory the CLI or daemon happened to start in.
        if tp is Path and isinstance(obj, str):
            return base / Path(obj).expanduser()
        raise TypeError(f"must be a path, got {_show(obj)}")

    try:
        return msgspec.convert(data, Config, dec_hook=dec_hook)
    except msgspec.ValidationError as e:
        message = _explain(str(e), data, Config, [], dec_hook)
        raise ConfigError(f"{_shown(path)}: {message}") from None


def _yaml(text: str, path: Path) -> Any:
    import yaml  # only when there is a file: keeps every command's start-up short

    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{_shown(path)}: invalid YAML{where}: {e.problem}") from e
    except yaml.YAMLError as e:
        one_line = " ".join(str(e).split())
        raise ConfigError(f"{_shown(path)}: invalid YAML: {one_line}") from e


_AT = re.compile(r"^(?P<msg>.*?)(?: - at (?P<key>`key` in )?`\$(?P<path>[^`]*)`)?$", re.S)
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")
_KINDS = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "str": "a string",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


def _explain(error: str, data: Any, tp: Any, where: list[str], dec_hook: Any) -> str:
    """msgspec's ``Expected `float`, got `str` - at `$.a.b``` as ``a.b must be a number, got 'x'``.

    msgspec writes a dict entry's place as ``[...]``; the entry is found again by
    converting each one alone, so the message can name the user's key.
    """
    m = _AT.match(error)
    assert m is not None  # the pattern matches any string
    msg = m["msg"]
    for name, index in _STEP.findall(m["path"] or ""):
        tp = _bare(tp)
        if index == "...":
            value_tp = typing.get_args(tp)[1]
            for key, value in data.items():
                try:
                    msgspec.convert(value, value_tp, dec_hook=dec_hook)
                except msgspec.ValidationError as e:
                    return _explain(str(e), value, value_tp, [*where, str(key)], dec_hook)
            break  # no entry fails alone; report at the dict itself
        if index:
            data, tp = data[int(index)], typing.get_args(tp)[0]
            where = [*where, f"[{index}]"]
        else:
            data, tp = data[name], _field_types(tp)[name]
            where = [*where, name]
    tp = _bare(tp)
    here = _dotted(where)

    if unknown := re.match(r"Object contains unknown field `(.*)`$", msg):
        return _unknown_key(where, unknown[1], list(_field_types(tp)))
    if m["key"]:
        key_tp = typing.get_args(tp)[0] if typing.get_origin(tp) is dict else str
        bad = next(k for k in data if not _converts(k, key_tp))
        if typing.get_origin(key_tp) is Literal and isinstance(bad, str):
            return _unknown_key(where, bad, list(typing.get_args(key_tp)))
        return f"{f'{here} keys' if here else 'top-level keys'} must be strings, got {_show(bad)}"
    if typing.get_origin(tp) is Literal:
        choices = [str(c) for c in typing.get_args(tp)]
        import difflib  # only for a config with a mistake in it

        close = difflib.get_close_matches(str(data), choices, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"{here} must be one of {', '.join(choices)}, got {_show(data)}{hint}"
    if missing := re.match(r"Object missing required field `(.*)`$", msg):
        return f"{_dotted([*where, missing[1]])} is required"
    if expected := re.match(r"Expected `([\w |]+)`(.*?)(?:, got `\w+`)?$", msg):
        kinds = " or ".join(_KINDS.get(k, k) for k in expected[1].split(" | "))
        kind = kinds + re.sub(r"(\d)\.0\b", r"\1", expected[2])
        return f"{here or 'the top level'} must be {kind}, got {_show(data)}"
    return f"{here} {msg}" if here else msg


def _unknown_key(where: list[str], key: str, known: list[str]) -> str:
    import difflib  # only for a config with a mistake in it

    close = difflib.get_close_matches(key, known, n=1)
    if close:
        hint = f"did you mean '{_dotted([*where, close[0]])}'?"
    else:
        hint = f"expected one of {', '.join(known)}"
    return f"unknown key '{_dotted([*where, key])}' ({hint})"


def _field_types(tp: Any) -> dict[str, Any]:
    return {f.name: f.type for f in msgspec.structs.fields(tp)}


def _bare(tp: Any) -> Any:
    """``tp`` without ``Annotated`` constraints, and an optional section without its ``| None``."""
    if typing.get_origin(tp) is Annotated:
        return typing.get_args(tp)[0]
    if isinstance(tp, types.UnionType):
        structs = [a for a in typing.get_args(tp) if isinstance(a, type) and issubclass(a, msgspec.Struct)]
        return structs[0] if len(structs) == 1 else tp
    return tp


def _converts(value: Any, tp: Any) -> bool:
    try:
        msgspec.convert(value, tp)
    except msgspec.ValidationError:
        return False
    return True


def _dotted(where: list[str]) -> str:
    return "".join(p if p.startswith("[") or i == 0 else f".{p}" for i, p in enumerate(where))


def _show(value: Any) -> str:
    """A value as the user wrote it in YAML."""
    if isinstance(value, str):
        return repr(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return str(value)


def _shown(path: Path) -> str:
    """``path`` with the home directory as ``~``, as users write it."""
    try:
        return f"~/{path.relative_to(Path.home())}"
    except ValueError:
        return str(path)
