"""What both vendors' usage exports share: a CSV of totals per time bucket,
with named columns, read into one usage row per line.

An export is downloaded again and again over overlapping periods, so a row's
key is made of the columns that say *which* total it is (bucket, model,
project or workspace, API key, line kind), never its position in the file:
re-reading an export, or a later one covering the same days, stores nothing
twice, and a day exported while still running is replaced by its fuller total
(the store keeps the larger of two rows with one key).

Rows are grouped into one session per scope (an OpenAI project, an Anthropic
workspace, else the API key) and UTC day: what the vendor's console itself
shows side by side. A bucket has no time of day; its row is placed at the
bucket's middle (noon UTC for a day), which keeps it on the day the export
names in local-time reports for any UTC offset within 12 hours.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime

from ...core.models import Batch, SessionRow, UsageRow
from ..base import utc_seconds

DAY = 86400.0
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}$")
_SPACES = re.compile(r"\s+")


def _delimiter(first_line: str) -> str:
    """Tab for an export saved from a spreadsheet as TSV, else comma."""
    return "\t" if "\t" in first_line and "," not in first_line else ","


def columns(head: bytes) -> frozenset[str]:
    """The column names on the first line of ``head``, lower-case."""
    first = head.decode("utf-8-sig", errors="replace").split("\n", 1)[0].rstrip("\r")
    names = next(csv.reader([first], delimiter=_delimiter(first)), [])
    return frozenset(name.strip().lower() for name in names if name.strip())


Row = dict[str, str]


def records(data: bytes) -> tuple[frozenset[str], Iterator[Row | None]]:
    """The columns of an export and its non-blank rows, as column → stripped text.

    A row with fewer cells than the header (cut short, or a stray quote that
    swallowed the rest of the file) is None. Exports write every cell, blank
    or not; a trailing extra one is tolerated.
    """
    text = data.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]))
    names = [name.strip().lower() for name in next(reader, [])]

    def rows() -> Iterator[Row | None]:
        for values in reader:
            if len(values) < len(names):
                yield None if any(v.strip() for v in values) else {}
            elif any(v.strip() for v in values):
                yield {name: value.strip() for name, value in zip(names, values)}

    return frozenset(n for n in names if n), rows()


def tokens(row: Row, *names: str) -> int:
    """The sum of the named token columns; a blank or missing one counts 0.

    Exports write counts as ``59200`` or, via pandas, ``59200.0``.
    """
    total = 0
    for name in names:
        value = row.get(name, "").replace(",", "")
        if value:
            total += int(float(value))
    return total


def instant(value: str) -> float:
    """Unix seconds from unix seconds, or an ISO date-time (UTC unless it says otherwise)."""
    try:
        return float(value)
    except ValueError:
        return utc_seconds(value)


def bucket(start: str, end: str = "") -> tuple[float, str]:
    """Where a bucket's row goes: (its middle in unix seconds, its UTC day).

    ``start`` alone is a date (the whole day) or a moment (hourly exports).
    """
    if _DATE.match(start):
        begin = instant(start + "T00:00:00")
        finish = begin + DAY
    else:
        begin = instant(start)
        finish = instant(end) if end else begin
    if finish < begin:
        raise ValueError(f"bucket ends before it starts: {start} .. {end}")
    return (begin + finish) / 2, utc_day(begin)


def utc_day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


class Sheet:
    """The rows of one export on their way into a ``Batch``."""

    def __init__(self, provider: str, label: str) -> None:
        self.provider = provider
        self.label = label
        self.batch = Batch()
        self._keys: set[str] = set()

    def fill(self, rows: Iterator[Row | None], add: Callable[[Sheet, Row], None]) -> Batch:
        """Every row through ``add``; a row it cannot read is counted and skipped."""
        try:
            for row in rows:
                if row is None:
                    self.batch.malformed += 1
                    continue
                if not row:
                    continue
                try:
                    add(self, row)
                except (ValueError, ArithmeticError):  # a bad number or date; inf overflows
                    self.batch.malformed += 1
        except csv.Error:  # a quote never closed, a NUL: the rest of the file is unreadable
            self.batch.malformed += 1
        return self.batch

    def add(
        self,
        kind: str,
        identity: Sequence[str],
        *,
        scope: str,
        ts: float,
        day: str,
        model: str,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cache_creation_tokens: int = 0,
        cache_read_tokens: int = 0,
        cost_usd: float | None = None,
    ) -> None:
        """One row: ``kind`` and ``identity`` (the identifying columns) make its key."""
        key = f"{self.provider}:{kind}:" + "|".join(identity)
        if key in self._keys:
            # The export repeats these columns (it does, for some OpenAI days):
            # tell the rows apart by their numbers, which a re-export keeps.
            numbers = (input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd)
            key = base = key + "#" + "|".join(map(str, numbers))
            n = 1
            while key in self._keys:  # the very same line twice
                n += 1
                key = f"{base}#{n}"
        self._keys.add(key)
        name = scope or "organization"
        sid = f"{self.provider}:{_SPACES.sub('-', name)}:{day}"
        # A bucket's total says nothing of any one context window: context 0.
        self.batch.usage.append(UsageRow(
            key, sid, ts, model, input_tokens, output_tokens, cache_creation_tokens,
            cache_read_tokens, cost_usd, False, 0, None,
        ))
        self.batch.see_session(SessionRow(
            sid, self.provider, None, f"{self.label} · {name} · {day}", model or None, None, None, ts, ts,
        ))
