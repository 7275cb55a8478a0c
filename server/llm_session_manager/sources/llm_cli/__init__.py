"""Simon Willison's ``llm`` CLI: ``logs.db`` in its user directory.

``llm`` logs every prompt to SQLite (``llm/migrations.py``): ``conversations(id,
name, model)`` and one ``responses`` row per model call with ``prompt``, ``system``,
``response``, ``conversation_id``, ``datetime_utc`` (UTC, ISO 8601; older versions
wrote it without a zone) and, since 0.19 (migration ``m013_usage``), ``input_tokens``,
``output_tokens`` and ``token_details`` (JSON of whatever else the plugin
reported); 0.24 added ``resolved_model``. Older databases lack the later columns,
so they are looked up before reading.

One session per conversation (``llm:<conversation id>``), one usage row per
response (``llm:<response id>``): exact when ``input_tokens`` is set, else
estimated with o200k from what was sent (the conversation so far, the system
prompt and the prompt) and what came back. Rows carry the model name ``llm``
logged (``gpt-4o-mini``, ``anthropic/claude-…``), which is what prices them.

``logs.db`` only grows and ``llm`` never rewrites a response, so the file's state
is a ``Mark`` of the newest response read, and each later read takes only the
responses after it (``sqlite_readonly``). To estimate a new response without
usage, the state also keeps the tokens said so far in each conversation that
needed an estimate; one that never did has its earlier responses looked up.
That reading is in ``_responses``, imported on first use: a rescan that finds
nothing new never needs it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from ...core.models import Batch
from ..base import Layout

PROVIDER = "llm"
APP_NAME = "io.datasette.llm"
DB_NAME = "logs.db"


def user_dir(env: Mapping[str, str], home: Path, platform: str = sys.platform) -> Path:
    """``LLM_USER_PATH``, else what ``click.get_app_dir("io.datasette.llm")`` gives, as
    ``llm.user_dir()`` does."""
    explicit = env.get("LLM_USER_PATH", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    if platform == "win32":
        return Path(env.get("APPDATA") or home) / APP_NAME
    if platform == "darwin":
        return home / "Library" / "Application Support" / APP_NAME
    return Path(env.get("XDG_CONFIG_HOME") or home / ".config") / APP_NAME


class LlmCli:
    provider = PROVIDER
    exact = True
    layout: Layout = "sqlite"
    watched = True

    def default_roots(self, env: Mapping[str, str], home: Path) -> list[Path]:
        return [user_dir(env, home)]

    def discover(self, root: Path) -> Iterator[str]:
        db = os.path.join(root, DB_NAME)
        if os.path.isfile(db):
            yield db

    def parse(self, path: Path, data: bytes, state: bytes | None) -> Batch:
        """Rows of the responses logged since ``state`` (all of them without one).

        Raises ``Busy`` (an ``OSError``) while ``llm`` holds a lock on the file;
        a damaged one is counted as malformed and keeps its old state.
        """
        from ._responses import read_responses

        return read_responses(path, state)


SOURCE = LlmCli()

__all__ = ["SOURCE", "LlmCli", "user_dir"]
