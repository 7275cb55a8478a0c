"""The Claude Console's exports (platform.claude.com/usage and /cost → Export).

Two shapes, both keyed by ``usage_date_utc`` (a day, or an hour in hourly exports):

* usage (``claude_api_tokens_*.csv``): ``usage_date_utc, model_version, api_key,
  workspace, usage_type, context_window, usage_input_tokens_no_cache,
  usage_input_tokens_cache_write_5m, usage_input_tokens_cache_write_1h,
  usage_input_tokens_cache_read, usage_output_tokens, web_search_count,
  inference_geo, speed``. No cost: rows are priced from the table.
* cost (``claude_api_cost_*.csv``): ``usage_date_utc, model, workspace, api_key,
  usage_type, context_window, token_type, cost_usd, list_price_usd, cost_type,
  inference_geo, speed, api_key_id, api_key_status``: one row per token type,
  with the model's display name (``Claude Sonnet 4.5``). No token counts.
"""

from __future__ import annotations

import re

from ...core.models import Batch
from ._sheet import Row, Sheet, bucket, records, tokens

_COMMON_ID = (
    "usage_date_utc", "workspace", "api_key", "usage_type", "context_window", "inference_geo", "speed",
)
_USAGE_ID = (*_COMMON_ID, "model_version", "model")
# Not api_key_status: a key archived between two exports is still the same key.
_COST_ID = (*_COMMON_ID, "model", "api_key_id", "token_type", "cost_type")
# Older exports and hand-made sheets spell the fresh input column differently.
_FRESH_INPUT = ("usage_input_tokens_no_cache", "usage_input_tokens_no_cache_hit")


def kind(columns: frozenset[str]) -> str | None:
    """``usage`` or ``cost`` for a Claude Console export's columns, else None."""
    if "usage_date_utc" not in columns:
        return None
    if "cost_usd" in columns:
        return "cost"
    if columns & {*_FRESH_INPUT, "usage_output_tokens"}:
        return "usage"
    return None


def read(data: bytes) -> Batch:
    sheet = Sheet("anthropic-api", "Anthropic API")
    names, rows = records(data)
    what = kind(names)
    if what is None:
        sheet.batch.malformed += 1  # not a Claude Console export at all
        return sheet.batch
    return sheet.fill(rows, _usage if what == "usage" else _cost)


def _usage(sheet: Sheet, row: Row) -> None:
    ts, day = bucket(row.get("usage_date_utc", ""))
    sheet.add(
        "usage", [row.get(c, "") for c in _USAGE_ID], scope=row.get("workspace") or row.get("api_key", ""),
        ts=ts, day=day, model=row.get("model_version") or row.get("model") or "unknown",
        input_tokens=tokens(row, *_FRESH_INPUT),
        output_tokens=tokens(row, "usage_output_tokens"),
        cache_creation_tokens=tokens(
            row, "usage_input_tokens_cache_write_5m", "usage_input_tokens_cache_write_1h",
        ),
        cache_read_tokens=tokens(row, "usage_input_tokens_cache_read"),
    )


def _cost(sheet: Sheet, row: Row) -> None:
    ts, day = bucket(row.get("usage_date_utc", ""))
    cost = float(row.get("cost_usd") or 0)
    if cost < 0:
        raise ValueError(f"negative cost: {cost}")
    sheet.add(
        "cost", [row.get(c, "") for c in _COST_ID], scope=row.get("workspace") or row.get("api_key", ""),
        ts=ts, day=day, model=model_id(row.get("model", "")) or "unknown", cost_usd=cost,
    )


def model_id(display: str) -> str:
    """``Claude Sonnet 4.5`` → ``claude-sonnet-4-5``, as the API names the model."""
    return re.sub(r"[\s.]+", "-", display.strip().lower()).strip("-")
