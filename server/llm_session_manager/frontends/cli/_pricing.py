"""``pricing show MODEL``: what a model costs and where the price comes from."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._context import Context

if TYPE_CHECKING:
    from ...services.price_info import PriceInfo


def cmd_pricing_show(ctx: Context) -> None:
    from ...services import price_info

    info = price_info.describe(ctx.args.model)
    ctx.emit(info, lambda _: _print(info))


def _print(info: PriceInfo) -> None:
    rates = info.per_million
    above = info.above_200k
    lines = [
        f"{info.model}" + (f" (priced as {info.resolved})" if info.resolved != info.model else ""),
        "USD per million tokens" + ("    above 200k" if above else ""),
    ]
    for label, name in (("input", "input"), ("output", "output"), ("cache write 5m", "cache_write_5m"),
                        ("cache write 1h", "cache_write_1h"), ("cache read", "cache_read")):
        line = f"  {label:<16}{getattr(rates, name):>10.4f}"
        if above:
            line += f"    {getattr(above, name):>10.4f}"
        lines.append(line)
    window = f"context window   {info.context_window:,}"
    if info.max_input_tokens and info.max_input_tokens != info.context_window:
        window += f" (up to {info.max_input_tokens:,} with the long-context variant)"
    lines.append(window)
    source = "ccusage's own price (pricing_builtin.json)" if info.source == "ccusage" else "LiteLLM"
    lines.append(f"source           {source}; table {info.table} ({info.table_date or 'undated'}, "
                 f"version {info.table_version})")
    print("\n".join(lines))
