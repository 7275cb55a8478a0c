"""OTLP attribute values read as usage rows: what log events (``otlp.py``) and trace
spans (``otlp_spans.py``) share, so a count, a time or a price is read one way
whichever signal brought it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from ..core import pricing
from ..store.otlp_usage import Heard

_Record = TypeVar("_Record")


class Unusable(Exception):
    """A usage record we recognise but cannot count (no session, unreadable counts)."""


def collect(records: Iterable[_Record], read: Callable[[_Record], Heard | None]) -> tuple[list[Heard], list[str]]:
    """Each record ``read`` into a billed response (None: not one), and why each unusable one was rejected."""
    heard: list[Heard] = []
    rejected: list[str] = []
    for record in records:
        try:
            h = read(record)
        except Unusable as e:
            rejected.append(str(e))
            continue
        if h is not None:
            heard.append(h)
    return heard, rejected


def attributes(pairs: Iterable[Any]) -> dict[str, Any]:
    """OTLP ``KeyValue``s as a dict of plain values."""
    return {kv.key: _value(kv.value) for kv in pairs}


def _value(v: Any) -> Any:
    which = v.WhichOneof("value")
    if which is None:
        return None
    if which in ("array_value", "kvlist_value", "bytes_value"):
        return None  # no usage attribute is one of these
    return getattr(v, which)


def text(v: Any) -> str | None:
    return v if isinstance(v, str) else (None if v is None else str(v))


def count(a: Mapping[str, Any], name: str) -> int:
    """A token count: an int, or the string of one (Claude Code sends both); absent is 0."""
    v = a.get(name)
    if v is None or v == "":
        return 0
    if isinstance(v, bool):
        raise Unusable(f"{name} is not a count")
    try:
        n = int(v) if not isinstance(v, float) or v.is_integer() else -1
    except (TypeError, ValueError):
        n = -1
    if n < 0:
        raise Unusable(f"{name} is not a count: {v!r}"[:120])
    return n


def number(v: Any) -> float | None:
    try:
        return None if v is None or isinstance(v, bool) else float(v)
    except (TypeError, ValueError):
        return None


def seconds(nanos: int) -> float | None:
    """An OTLP ``*_unix_nano`` time in epoch seconds; None for 0 (not set)."""
    return nanos / 1e9 if nanos else None


def priced(prices: pricing.PriceTable, key: str, session: str, ts: float, model: str, fresh: int, output: int,
           written: int, read: int, own: float | None, sidechain: bool = False) -> tuple:
    """The ``usage`` row: priced from the table as the log's row will be, else the assistant's own figure."""
    cost = prices.cost(model, fresh, output, written, read)
    if cost is not None:
        source = pricing.FROM_TABLE
    elif own is not None:
        cost, source = own, pricing.FROM_LOG
    else:
        cost, source = 0.0, pricing.UNKNOWN
    return (key, session, ts, model, fresh, output, written, read, cost, source, True, sidechain, 0)
