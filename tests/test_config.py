"""The config file: where it is found, what a partial file means, and how mistakes read."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest
import yaml

from llm_session_manager.core import config
from llm_session_manager.core.config import Config
from llm_session_manager.core.errors import ConfigError

DOCS = Path(__file__).resolve().parents[1] / "docs" / "config.md"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake home, so no test reads or writes the real ~/.config."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("LLM_SESSION_CONFIG", raising=False)
    return home


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(text: str, tmp_path: Path) -> str:
    path = write(tmp_path / "config.yaml", text)
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return message.removeprefix(f"{path}: ")


def test_no_file_at_the_default_place_means_defaults(home: Path) -> None:
    assert config.config_path() == home / ".config" / "llm-session-manager" / "config.yaml"
    assert config.load() == Config()


def test_an_empty_file_means_defaults(tmp_path: Path) -> None:
    assert config.load(write(tmp_path / "c.yaml", "# nothing yet\n")) == Config()


def test_a_partial_file_changes_only_what_it_says(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        "health_weights:\n  duration: 0.5\n"
        "dashboard:\n  color_scheme: cyberpunk\n"
        "token_limits:\n  my-local-model: 32768\n"
        "recommendations:\n",  # a section with everything commented out
    )
    loaded = config.load(path)
    assert loaded.health_weights.duration == 0.5
    assert loaded.health_weights.token_usage == 0.40
    assert loaded.dashboard.color_scheme == "cyberpunk"
    assert loaded.dashboard.refresh_interval == 5
    assert loaded.token_limits == {"my-local-model": 32768}
    assert loaded.recommendations == Config().recommendations
    assert loaded.health_thresholds == Config().health_thresholds


def test_source_paths_expand_home_and_are_relative_to_the_config_file(home: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path / "conf" / "c.yaml",
        "sources:\n  codex:\n    paths: [~/archive, old-logs]\n  cursor:\n    enabled: false\n",
    )
    loaded = config.load(path)
    assert loaded.source("codex").paths == (home / "archive", tmp_path / "conf" / "old-logs")
    assert loaded.source("cursor").enabled is False
    assert loaded.source("gemini") == config.SourceConfig()


def test_the_default_file_parses_to_exactly_the_defaults(tmp_path: Path) -> None:
    assert config.load(write(tmp_path / "c.yaml", config.default_yaml())) == Config()


def test_to_dict_is_plain_data_that_loads_back(tmp_path: Path) -> None:
    loaded = config.load(write(tmp_path / "c.yaml", "sources:\n  aider:\n    paths: [/logs]\n"))
    data = config.to_dict(loaded)
    assert data["sources"] == {"aider": {"enabled": True, "paths": ["/logs"], "url": None}}
    assert data["dashboard"]["color_scheme"] == "dark"
    assert config.load(write(tmp_path / "again.yaml", yaml.safe_dump(data))) == loaded


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "health_wieghts:\n  duration: 0.1\n",
            "unknown key 'health_wieghts' (did you mean 'health_weights'?)",
        ),
        (
            "dashboard:\n  colour_scheme: light\n",
            "unknown key 'dashboard.colour_scheme' (did you mean 'dashboard.color_scheme'?)",
        ),
        (
            "health_weights:\n  duration: high\n",
            "health_weights.duration must be a number, got 'high'",
        ),
        (
            "health_weights:\n  errors: -1\n",
            "health_weights.errors must be a number >= 0, got -1",
        ),
        (
            "health_weights: {token_usage: 0, duration: 0, activity: 0, errors: 0}\n",
            "health_weights must not all be zero",
        ),
        (
            "health_thresholds:\n  warning: 80\n",
            "health_thresholds must have warning <= healthy, got warning 80 and healthy 70",
        ),
        (
            "dashboard:\n  color_scheme: neon\n",
            "dashboard.color_scheme must be one of dark, light, cyberpunk, minimal, got 'neon'",
        ),
        (
            "dashboard:\n  show_emoji: sometimes\n",
            "dashboard.show_emoji must be true or false, got 'sometimes'",
        ),
        (
            "sources:\n  claude:\n    enabled: false\n",
            "unknown key 'sources.claude' (did you mean 'sources.claude-code'?)",
        ),
        (
            "sources:\n  codex:\n    paths: [~/a, 3]\n",
            "sources.codex.paths[1] must be a path, got 3",
        ),
        (
            "token_limits:\n  gpt-4.1: lots\n",
            "token_limits.gpt-4.1 must be an integer, got 'lots'",
        ),
        (
            "- just\n- a list\n",
            "the top level must be a mapping, got a list",
        ),
    ],
)
def test_each_mistake_is_one_line_naming_the_key(text: str, message: str, tmp_path: Path) -> None:
    assert error_of(text, tmp_path) == message


def test_a_yaml_syntax_error_gives_its_line(tmp_path: Path) -> None:
    message = error_of("dashboard:\n  show_emoji: true\n  color_scheme: dark: light\n", tmp_path)
    assert message.startswith("invalid YAML at line 3")


def test_an_unreadable_file_is_an_error(tmp_path: Path) -> None:
    # A directory, because tests may run as root, who can read any file.
    path = tmp_path / "config.yaml"
    path.mkdir()
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: cannot read: "):
        config.load(path)


def test_errors_name_files_under_home_with_a_tilde(home: Path) -> None:
    write(home / ".config" / "llm-session-manager" / "config.yaml", "health_wieghts: {}\n")
    with pytest.raises(ConfigError, match=r"^~/\.config/llm-session-manager/config\.yaml: unknown key"):
        config.load()


def test_explicit_beats_env_beats_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    xdg = write(tmp_path / "xdg" / "llm-session-manager" / "config.yaml", "dashboard: {refresh_interval: 1}\n")
    env = write(tmp_path / "env.yaml", "dashboard: {refresh_interval: 2}\n")
    explicit = write(tmp_path / "explicit.yaml", "dashboard: {refresh_interval: 3}\n")

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config.config_path() == xdg
    assert config.load().dashboard.refresh_interval == 1

    monkeypatch.setenv("LLM_SESSION_CONFIG", str(env))
    assert config.config_path() == env
    assert config.load().dashboard.refresh_interval == 2

    assert config.config_path(explicit) == explicit
    assert config.load(explicit).dashboard.refresh_interval == 3


def test_a_named_file_that_is_missing_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match=r"no such config file \(named by --config\)$"):
        config.load(tmp_path / "nope.yaml")
    monkeypatch.setenv("LLM_SESSION_CONFIG", str(tmp_path / "gone.yaml"))
    with pytest.raises(ConfigError, match=r"gone\.yaml: no such config file \(named by LLM_SESSION_CONFIG\)$"):
        config.load()


def test_init_writes_the_defaults_and_refuses_to_clobber(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "config.yaml"
    assert config.init(path) == path
    assert config.load(path) == Config()

    path.write_text("dashboard: {show_emoji: false}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"already exists"):
        config.init(path)
    assert config.load(path).dashboard.show_emoji is False

    config.init(path, force=True)
    assert config.load(path) == Config()


def _keys(struct: type) -> set[str]:
    """Every key a config file may hold, at any depth."""
    keys: set[str] = set()
    for field in msgspec.structs.fields(struct):
        keys.add(field.name)
        for part in (field.type, *getattr(field.type, "__args__", ())):
            if isinstance(part, type) and issubclass(part, msgspec.Struct):
                keys |= _keys(part)
    return keys


@pytest.mark.parametrize(
    ("text", "spelling"),
    [(DOCS.read_text(encoding="utf-8"), "`{}`"), (config.default_yaml(), "{}:")],
    ids=["docs", "default-file"],
)
def test_every_key_is_documented(text: str, spelling: str) -> None:
    assert _keys(Config) >= {"healthy", "token_usage", "color_scheme", "ignore_patterns", "enabled", "paths"}
    missing = sorted(key for key in _keys(Config) if spelling.format(key) not in text)
    assert not missing, f"keys missing: {missing}"


def test_docs_name_the_environment_variables() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert "`LLM_SESSION_CONFIG`" in text
    assert "`LLM_SESSION_DATA_DIR`" in text
