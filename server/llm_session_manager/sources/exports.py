"""Files the user downloads rather than files an assistant writes: which source
reads each one handed to ``llm-session import``.

The kind is told from the content (a CSV header, the JSON shape), never from
the file name, which browsers and people change at will.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..core.errors import BadInput
from . import chatgpt, usage_csv
from .base import SNIFF_BYTES, Source


class Export(Source, Protocol):
    def sniff(self, head: bytes) -> bool:
        """Whether a file starting with ``head`` is this kind of export."""
        ...


EXPORTS: dict[str, Export] = {s.provider: s for s in (usage_csv.OPENAI, usage_csv.ANTHROPIC, chatgpt.SOURCE)}


def source_for(path: Path, source: Source | None = None) -> Source:
    """The source that reads ``path``: ``source``, else the export its first bytes name.

    Either way the file must be readable: a bad path is one line, not a warning.
    """
    try:
        with path.open("rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError as e:
        raise BadInput(f"cannot read {path}: {e.strerror}") from e
    if source is not None:
        return source
    for export in EXPORTS.values():
        if export.sniff(head):
            return export
    raise BadInput(f"cannot tell what kind of export {path} is; pass --as {'|'.join(EXPORTS)}")
