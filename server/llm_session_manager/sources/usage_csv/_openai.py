"""The OpenAI platform's exports (platform.openai.com/usage → Export).

Three shapes, told apart by their columns:

* usage (``completions_usage_*.csv``): the Usage API's completions buckets as
  CSV — ``start_time, end_time, start_time_iso, end_time_iso, project_id,
  num_model_requests, user_id, api_key_id, model, batch, service_tier,
  input_tokens, output_tokens, input_cached_tokens, input_uncached_tokens, …``.
  ``input_tokens`` includes the cached ones. A day without usage is a row of
  empty cells. No cost: rows are priced from the table (batch at full price).
* cost (``cost_*.csv``): the Costs API — ``start_time, end_time, …,
  amount_value, amount_currency, line_item, project_id, organization_id,
  organization_name``; ``line_item`` is like ``gpt-4o-2024-08-06, input`` when
  the export is grouped by line item, else empty. No token counts.
* legacy activity (2023–24): ``timestamp`` (unix), ``model`` or ``snapshot_id``,
  ``n_context_tokens_total``, ``n_generated_tokens_total``, optionally
  ``api_key_name``/``api_key_id``/``project_id`` and ``cost``; no cache counts.
"""

from __future__ import annotations

from collections.abc import Callable

from ...core.models import Batch
from ._sheet import Row, Sheet, bucket, instant, records, tokens, utc_day

_USAGE_ID = (
    "start_time", "end_time", "project_id", "user_id", "api_key_id", "model", "batch", "service_tier",
)
_COST_ID = ("start_time", "end_time", "line_item", "project_id", "api_key_id", "organization_id")
_LEGACY_ID = (
    "timestamp", "aggregation_timestamp", "model", "snapshot_id", "operation",
    "project_id", "api_key_id", "api_key_name", "organization_id",
)


def kind(columns: frozenset[str]) -> str | None:
    """``usage``, ``cost`` or ``legacy`` for an OpenAI export's columns, else None."""
    if "amount_value" in columns and "start_time" in columns:
        return "cost"
    if {"num_model_requests", "input_tokens", "start_time"} <= columns:
        return "usage"
    if "n_context_tokens_total" in columns and columns & {"timestamp", "aggregation_timestamp"}:
        return "legacy"
    return None


def read(data: bytes) -> Batch:
    sheet = Sheet("openai-api", "OpenAI API")
    names, rows = records(data)
    reader = _READERS.get(kind(names) or "")
    if reader is None:
        sheet.batch.malformed += 1  # not an OpenAI export at all
        return sheet.batch
    return sheet.fill(rows, reader)


def _scope(row: Row) -> str:
    return row.get("project_id") or row.get("api_key_id") or row.get("api_key_name", "")


def _span(row: Row) -> tuple[float, str]:
    start = row.get("start_time") or row.get("start_time_iso", "")
    return bucket(start, row.get("end_time") or row.get("end_time_iso", ""))


def _usage(sheet: Sheet, row: Row) -> None:
    model = row.get("model", "")
    total_in = tokens(row, "input_tokens")
    output = tokens(row, "output_tokens")
    if not model and not total_in and not output:
        return  # a day the export lists without usage
    cached = tokens(row, "input_cached_tokens")
    written = tokens(row, "input_cache_write_tokens")
    if cached + written > total_in:
        raise ValueError("more cached input than input")
    ts, day = _span(row)
    sheet.add(
        "usage", [row.get(c, "") for c in _USAGE_ID], scope=_scope(row), ts=ts, day=day,
        model=model or "unknown", input_tokens=total_in - cached - written, output_tokens=output,
        cache_creation_tokens=written, cache_read_tokens=cached,
    )


def _cost(sheet: Sheet, row: Row) -> None:
    amount = row.get("amount_value", "")
    if not amount:
        return  # a day without charges
    if row.get("amount_currency", "usd").lower() not in ("", "usd"):
        raise ValueError(f"not in USD: {row['amount_currency']}")
    ts, day = _span(row)
    line_item = row.get("line_item", "")
    sheet.add(
        "cost", [row.get(c, "") for c in _COST_ID], scope=_scope(row), ts=ts, day=day,
        model=line_item.split(",", 1)[0].strip() or "unknown", cost_usd=float(amount),
    )


def _legacy(sheet: Sheet, row: Row) -> None:
    ts = instant(row.get("timestamp") or row.get("aggregation_timestamp", ""))
    cost = row.get("cost", "")
    sheet.add(
        "activity", [row.get(c, "") for c in _LEGACY_ID], scope=_scope(row) or row.get("project", ""),
        ts=ts, day=utc_day(ts), model=row.get("model") or row.get("snapshot_id") or "unknown",
        input_tokens=tokens(row, "n_context_tokens_total"),
        output_tokens=tokens(row, "n_generated_tokens_total"),
        cost_usd=float(cost) if cost else None,
    )


_READERS: dict[str, Callable[[Sheet, Row], None]] = {
    "usage": _usage,
    "cost": _cost,
    "legacy": _legacy,
}
