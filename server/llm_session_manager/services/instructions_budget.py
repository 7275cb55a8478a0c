"""What each assistant instruction file of a repository costs per turn, and which are over a budget.

CLAUDE.md, AGENTS.md, GEMINI.md, .cursorrules and copilot-instructions.md are
sent with every turn of every session in the repository, so their size is a
cost paid again and again. Counts are o200k_base tokens (``estimated`` for
Claude and Gemini, whose tokenizers are not public; the same figure for every
file, so files and sections compare fairly), never an API call: a pre-commit
hook and a CI job must not need a key or the network.

Loading the tokenizer costs about 0.4 s, more than a pre-commit hook may take.
So each section's count is kept in the store's ``token_counts`` table, keyed
by the sha256 of its text, when a store exists: a file whose sections were
counted before is measured without the tokenizer. Without a store nothing is
kept and nothing is created (a CI runner, a fresh clone).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

import apsw
import msgspec

from ..core.encoding import ENCODING_NAME
from .markdown_sections import section_bounds

# The file names an assistant sends with every turn, wherever they are in the tree.
NAMES = frozenset(("CLAUDE.md", "CLAUDE.local.md", "AGENTS.md", "GEMINI.md", ".cursorrules",
                   "copilot-instructions.md"))
DEFAULT_MAX_TOKENS = 4000  # about 2 % of a 200k window, paid on every turn
LARGEST = 3  # sections named when a file is over its budget
_METHOD = f"tiktoken:{ENCODING_NAME}"
_SKIP_DIRS = frozenset((".git", "node_modules", ".venv", "venv", "__pycache__", ".llm-sessions"))


class SectionCost(msgspec.Struct):
    heading: str | None  # None: the text before the first heading
    line: int  # 1-based line of its heading, as editors and pre-commit output show lines
    tokens: int


class InstructionCost(msgspec.Struct):
    path: str  # as given, or relative to the repository
    tokens: int  # sent with every turn
    source: str  # estimated: o200k_base counts
    sections: list[SectionCost]  # largest first

    def largest(self, n: int = LARGEST) -> str:
        """The ``n`` largest sections, for a message: ``"## Testing" (1,200), ...``."""
        return ", ".join(f'"{s.heading or "(before the first heading)"}" line {s.line} ({s.tokens:,})'
                         for s in self.sections[:n])


def is_instruction_file(path: str) -> bool:
    return os.path.basename(path) in NAMES


def find(root: Path) -> list[Path]:
    """The instruction files under ``root``, skipping VCS, dependency and transcript directories."""
    found: list[Path] = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        found += [Path(directory, f) for f in sorted(files) if f in NAMES]
    return found


def measure(paths: Iterable[Path], conn: apsw.Connection | None = None, base: Path | None = None) -> list[InstructionCost]:
    """The cost of each readable file of ``paths``; ``conn`` (the store) keeps and reuses section counts."""
    out = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        lines = text.splitlines()
        parts = [(heading, line, "\n".join(lines[line:end])) for line, heading, end in section_bounds(lines)]
        counts = _counts([body for _, _, body in parts], conn)
        found = sorted((SectionCost(heading, line + 1, n) for (heading, line, _), n in zip(parts, counts)
                        if heading is not None or n), key=lambda s: -s.tokens)
        shown = str(path.relative_to(base)) if base is not None and path.is_relative_to(base) else str(path)
        out.append(InstructionCost(shown, sum(counts), "estimated", found))
    return out


def over(costs: list[InstructionCost], max_tokens: int) -> list[InstructionCost]:
    return [c for c in costs if c.tokens > max_tokens]


def _counts(texts: list[str], conn: apsw.Connection | None) -> list[int]:
    """o200k counts of ``texts``: from the store's ``token_counts`` where it has them, else counted (and kept)."""
    digests = [hashlib.sha256(t.encode("utf-8", "surrogatepass")).hexdigest() for t in texts]
    known: dict[str, int] = {}
    if conn is not None and digests:
        marks = ",".join("?" * len(digests))
        rows = conn.execute(f"SELECT hash, tokens FROM token_counts WHERE model = ? AND hash IN ({marks})",
                            (ENCODING_NAME, *digests)).fetchall()
        known = {str(h): int(n) for h, n in rows}  # type: ignore[arg-type]
    missing = [(d, t) for d, t in zip(digests, texts) if d not in known]
    if missing:
        from ..core.encoding import count_o200k  # the tokenizer: loaded only when a text is new

        fresh = {d: count_o200k(t) for d, t in missing}
        known.update(fresh)
        if conn is not None:
            try:
                conn.executemany("INSERT OR REPLACE INTO token_counts (hash, model, tokens, method) VALUES (?, ?, ?, ?)",
                                 [(d, ENCODING_NAME, n, _METHOD) for d, n in fresh.items()])
            except apsw.BusyError:
                pass  # a scan holds the write lock: counted again next time
    return [known[d] for d in digests]
