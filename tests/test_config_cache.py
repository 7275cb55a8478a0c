"""The config file's YAML as last parsed (``<data dir>/config.cache``): a status line with
a config file must not pay for PyYAML, and an edited file is read as it now is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from llm_session_manager.core import config
from llm_session_manager.core.errors import ConfigError


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "data"
    directory.mkdir()
    monkeypatch.setenv("LLM_SESSION_DATA_DIR", str(directory))
    return directory


def _yaml_imported_by_a_load(path: Path) -> bool:
    code = "import sys\nfrom llm_session_manager.core import config\nconfig.load()\nprint('yaml' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "LLM_SESSION_CONFIG": str(path)}).stdout
    return out.strip() == "True"


def test_a_config_read_once_is_read_without_yaml_next_time_and_an_edit_is_seen_at_once(data, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("statusline:\n  segments: [model, today]\n")
    assert config.load(path).statusline.segments == ("model", "today")
    assert (data / "config.cache").stat().st_mode & 0o777 == 0o600  # a config may hold tokens
    assert not _yaml_imported_by_a_load(path)

    # The same size and times, other text: the cache is keyed on the text itself.
    st = path.stat()
    path.write_text("statusline:\n  segments: [today, model]\n")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert config.load(path).statusline.segments == ("today", "model")


def test_yaml_that_makes_more_than_plain_data_is_parsed_every_time(data, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("statusline:\n  format: 2026-12-07\n")  # YAML makes a date of it
    for _ in range(2):
        with pytest.raises(ConfigError, match=r"statusline\.format"):
            config.load(path)
    assert not (data / "config.cache").exists()


def test_a_config_with_mistakes_says_so_the_same_way_each_time(data, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("statusline:\n  segments: [model\n")
    for _ in range(2):
        with pytest.raises(ConfigError, match="invalid YAML"):
            config.load(path)
    path.write_text("statusline:\n  segmints: [model]\n")
    errors = []
    for _ in range(2):
        with pytest.raises(ConfigError) as caught:
            config.load(path)
        errors.append(str(caught.value))
    assert errors[0] == errors[1] and "segmints" in errors[0]
