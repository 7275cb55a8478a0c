"""A markdown file's sections: where each heading starts one and where it ends.

Its own module, free of the tokenizer and the rest of the context report: a
pre-commit hook (``instructions-budget``) splits files with it and must start fast.
"""

from __future__ import annotations

import re

_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def section_bounds(lines: list[str]) -> list[tuple[int, str | None, int]]:
    """(first line, heading, end) of each markdown section of ``lines``; headings in code fences do not count."""
    starts: list[tuple[int, str | None]] = [(0, None)]
    fenced = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and (m := _HEADING.match(line)):
            if i == 0:
                starts = []
            starts.append((i, m.group(1)))
    return [(line, heading, end) for (line, heading), (end, _) in
            zip(starts, [*starts[1:], (max(len(lines), 1), None)])]
