"""What the price table says about one model: ``llm-session pricing show MODEL``.

The same lookup ingest prices with (``pricing.PriceTable.lookup``), laid out for
people: the key the name resolved to, its rates per million tokens as they are
billed (one-hour cache writes at twice the input rate, the defaults for a
missing cache price), the higher rates above 200k tokens, the context window a
Claude model runs with, and which table it came from.
"""

from __future__ import annotations

import msgspec

from ..core import pricing
from ..core.errors import NotFound

PER_MILLION = 1_000_000


class Rates(msgspec.Struct):
    """USD per million tokens of each kind."""

    input: float
    output: float
    cache_write_5m: float
    cache_write_1h: float
    cache_read: float


class PriceInfo(msgspec.Struct):
    model: str  # as asked
    resolved: str  # the table's key it is priced by
    per_million: Rates
    above_200k: Rates | None  # rates for the tokens of a kind past 200,000 in one response, if the model has them
    context_window: int  # what Claude Code runs it with by default (200k for Claude unless [1m])
    max_input_tokens: int | None  # the most the model can be given, per the table
    source: str  # "litellm", or "ccusage": ccusage's own price (data/pricing_builtin.json)
    table: str  # the file the table was read from
    table_version: str  # pricing_version: changes whenever any price may have
    table_date: str | None
    table_source: str | None


def describe(model: str) -> PriceInfo:
    """The price of ``model``; ``NotFound`` (with close names) when the table has none."""
    table = pricing.load_table()
    key = table.resolve(model) if model else None
    if key is None:
        if model and pricing.runs_locally(model):
            raise NotFound(f"no price for model {model!r}: it runs locally, so its usage costs $0")
        close = table.close_names(model)
        hint = f"; close names: {', '.join(close)}" if close else ""
        raise NotFound(f"no price for model {model!r} in the pricing table{hint}")
    p = table.models[key]
    write = p.cache_creation_input_token_cost
    read = p.cache_read_input_token_cost
    base = Rates(
        input=_m(p.input_cost_per_token),
        output=_m(p.output_cost_per_token),
        cache_write_5m=_m(write if write is not None else p.input_cost_per_token * 1.25),
        cache_write_1h=_m(p.input_cost_per_token * 2),
        cache_read=_m(read if read is not None else p.input_cost_per_token * 0.1),
    )
    return PriceInfo(
        model=model,
        resolved=key,
        per_million=base,
        above_200k=_above(p, base),
        context_window=pricing.context_limit(model),
        max_input_tokens=p.max_input_tokens,
        source="ccusage" if key in table.builtin else "litellm",
        table=str(table.path),
        table_version=table.version,
        table_date=table.meta.get("date"),
        table_source=table.meta.get("source"),
    )


def _above(p: pricing.ModelPrice, base: Rates) -> Rates | None:
    """Rates above 200k tokens; a kind without a higher rate keeps its base rate (as it is billed)."""
    fields = (p.input_cost_per_token_above_200k_tokens, p.output_cost_per_token_above_200k_tokens,
              p.cache_creation_input_token_cost_above_200k_tokens, p.cache_read_input_token_cost_above_200k_tokens)
    if all(f is None for f in fields):
        return None
    i, o, w, r = fields
    return Rates(
        input=_m(i) if i is not None else base.input,
        output=_m(o) if o is not None else base.output,
        cache_write_5m=_m(w) if w is not None else base.cache_write_5m,
        cache_write_1h=_m(i * 2) if i is not None else base.cache_write_1h,
        cache_read=_m(r) if r is not None else base.cache_read,
    )


def _m(per_token: float) -> float:
    return round(per_token * PER_MILLION, 6)
