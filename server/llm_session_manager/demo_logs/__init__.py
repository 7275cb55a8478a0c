"""Claude Code and Codex logs written the way the assistants write them.

Two users need logs that are not the user's own: ``llm-session demo`` and the tests
want a small history that shows every case the product reports on (``demo``), and the
benchmark wants hundreds of megabytes of the same shape, fast (``corpus``). Both write
the assistants' real layouts under a root of their own, so nothing ever touches real logs.

Inside, by job: ``_format`` (JSON, timestamps, ids, writing a dated file), ``_content``
(file text and command output that tool results are made of), ``_claude_tools`` and
``_claude_lines`` (Claude Code 2.0.x tool calls and transcript lines), ``_codex_lines``
(Codex CLI 0.5x rollouts), ``_demo_script`` (what is said in the demo).
"""

from ._claude_lines import CLAUDE_VERSION, CLAUDE_WINDOW, HAIKU, OPUS, OPUS_41, SONNET, SONNET_4
from ._codex_lines import CODEX_VERSION, CODEX_WINDOW
from .corpus import CorpusStats, write_corpus
from .demo import DemoLayout, write_demo_logs

__all__ = [
    "CLAUDE_VERSION",
    "CLAUDE_WINDOW",
    "CODEX_VERSION",
    "CODEX_WINDOW",
    "HAIKU",
    "OPUS",
    "OPUS_41",
    "SONNET",
    "SONNET_4",
    "CorpusStats",
    "DemoLayout",
    "write_corpus",
    "write_demo_logs",
]
