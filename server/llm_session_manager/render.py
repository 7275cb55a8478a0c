"""Rich tables and panels for people; the CLI's ``--json`` bypasses all of this."""

from __future__ import annotations

import time

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .formatting import ago, compact, epoch, local_time, money, short_model
from .models import (
    AnalyticsReport, BillingBlock, LocalModel, Recommendation, ScanResult, Session, TokenCount, UsageReport,
    UsageShare, short_id,
)

_STATUS_STYLE = {"healthy": "green", "warning": "yellow", "critical": "red"}
_STATUS_EMOJI = {"healthy": "✅", "warning": "⚠️ ", "critical": "🔴"}


def scan_result(console: Console, r: ScanResult) -> None:
    console.print(
        f"Scanned {r.files:,} log files ({r.files_read:,} with new data): "
        f"{r.records:,} new records in {r.sessions:,} sessions"
        + (f", [yellow]{r.malformed:,} malformed lines skipped[/]" if r.malformed else "")
        + f" in {r.seconds:.2f} s"
    )


def session_table(console: Console, sessions: list[Session], *, emoji: bool = True) -> None:
    if not sessions:
        console.print("No sessions found. Run 'llm-session scan' first, or 'llm-session demo' to try it.")
        return
    wide = console.width >= 130
    show_tags = any(s.tags for s in sessions)
    table = Table(title=f"{len(sessions)} sessions", title_justify="left",
                  box=None, pad_edge=False, header_style="bold underline")
    columns = [("ID", "left")] + ([("Provider", "left")] if wide else []) + [
               ("Project", "left"), ("Model", "left"),
               ("Tokens", "right"), ("Context", "left"), ("Cost", "right"), ("Health", "right"),
               ("Last active", "right")] + ([("Tags", "left")] if show_tags else [])
    for name, justify in columns:
        squeezable = name in ("Project", "Model", "Tags")
        table.add_column(name, justify=justify, no_wrap=not squeezable,
                         min_width=8 if squeezable else None, overflow="ellipsis")
    now = time.time()
    for s in sessions:
        status = s.health.status
        health = f"{_STATUS_EMOJI[status] if emoji else ''}{s.health.score:.0f}"
        table.add_row(
            Text(short_id(s.id), style="bold" if s.active else ""),
            *([s.provider] if wide else []),
            s.project or "—",
            (s.model if wide else short_model(s.model)) or "—",
            compact(s.tokens.total),
            _context_bar(s.context.percent, 10 if wide else 5),
            money(s.cost_usd),
            Text(health, style=_STATUS_STYLE[status]),
            ("● " if s.active else "") + ago(s.last_activity, now),
            *([", ".join(s.tags)] if show_tags else []),
        )
    console.print(table)


def usage_table(console: Console, report: UsageReport, by: str) -> None:
    if not report.rows:
        console.print("No usage recorded for that selection.")
        return
    # Exact figures when they fit; on a narrow terminal, 1.2M beats 1,2…
    num = (lambda n: f"{n:,}") if console.width >= 110 else compact
    table = Table(header_style="bold underline", show_footer=True, box=None, pad_edge=False)
    t = report.totals
    table.add_column(by.capitalize(), footer="Total", no_wrap=True)
    for name, footer in (
        ("Input", num(t.input_tokens)),
        ("Output", num(t.output_tokens)),
        ("Cache write", num(t.cache_creation_tokens)),
        ("Cache read", num(t.cache_read_tokens)),
        ("Total tokens", num(t.total_tokens)),
        ("Cost (USD)", money(t.cost_usd, t.cost_complete)),
    ):
        table.add_column(name, footer=footer, justify="right", no_wrap=True)
    for r in report.rows:
        table.add_row(
            r.key, num(r.input_tokens), num(r.output_tokens), num(r.cache_creation_tokens),
            num(r.cache_read_tokens), num(r.total_tokens), money(r.cost_usd, r.cost_complete),
        )
    console.print(table)


def recommendations(console: Console, recs: list[Recommendation]) -> None:
    if not recs:
        console.print("[green]No recommendations: every recent session is in good shape.[/]")
        return
    style = {"critical": "red", "warning": "yellow", "info": "cyan"}
    for r in recs:
        who = f"[bold]{short_id(r.session_id)}[/] " if r.session_id else ""
        console.print(f"[{style[r.severity]}]{r.severity:>8}[/] {who}{r.message}\n         → {r.action}")


def markdown(console: Console, text: str) -> None:
    from rich.markdown import Markdown  # heavy; only ``show`` needs it

    console.print(Markdown(text))


def token_count(console: Console, c: TokenCount) -> None:
    console.print(f"{c.tokens:,} tokens ({c.source}, {c.method})")


def _context_bar(percent: float, width: int = 10) -> Text:
    filled = min(width, round(percent / 100 * width))
    style = "red" if percent > 85 else "yellow" if percent > 60 else "green"
    return Text("█" * filled + "░" * (width - filled), style=style) + Text(f" {percent:4.1f}%")


# --- analytics and billing blocks ----------------------------------------------

_SPARKS = "▁▂▃▄▅▆▇█"


def analytics(console: Console, r: AnalyticsReport) -> None:
    t, s = r.totals, r.sessions
    console.rule(f"[bold]Analytics[/] {r.since} → {r.until} ({r.days} days)")
    if not s.count and not t.total_tokens:
        console.print("No sessions in that window. Run 'llm-session scan', or widen it with --days.")
        return
    console.print(
        f"{compact(t.total_tokens)} tokens, [bold]{money(t.cost_usd, t.cost_complete)}[/] in {s.count:,} sessions; "
        f"average session {_duration(s.average_duration_s)} (median {_duration(s.median_duration_s)}); "
        f"[green]{s.healthy_share:.0%} healthy[/] ({s.healthy} / [yellow]{s.warning}[/] / [red]{s.critical}[/])"
    )
    width = max(10, min(len(r.daily), console.width - 32))  # room for the label and the peak
    tokens = [d.total_tokens for d in r.daily]
    costs = [d.cost_usd or 0.0 for d in r.daily]
    console.print(f"Tokens/day  {sparkline(tokens, width)}  peak {compact(max(tokens))}")
    console.print(f"Cost/day    {sparkline(costs, width)}  peak {money(max(costs))}")
    for title, rows in (("Cost by project", r.by_project), ("Cost by model", r.by_model),
                        ("Cost by provider", r.by_provider)):
        _share_table(console, title, rows, t.cost_usd)
    table = Table(title="Top sessions", title_justify="left", box=None, pad_edge=False,
                  header_style="bold underline")
    for name, justify in (("ID", "left"), ("Project", "left"), ("Model", "left"), ("Title", "left"),
                          ("Tokens", "right"), ("Cost", "right")):
        table.add_column(name, justify=justify, no_wrap=True, overflow="ellipsis",
                         max_width=max(10, console.width - 64) if name == "Title" else None)
    for x in r.top_sessions:
        table.add_row(short_id(x.id), x.project or "—", short_model(x.model) or "—", " ".join((x.title or "").split()),
                      compact(x.total_tokens), money(x.cost_usd))
    console.print(table)
    table = Table(title="Most active projects", title_justify="left", box=None, pad_edge=False,
                  header_style="bold underline")
    for name in ("Project", "Days", "Sessions", "Responses", "Cost"):
        table.add_column(name, justify="left" if name == "Project" else "right", no_wrap=True)
    for p in r.most_active_projects:
        table.add_row(p.project, str(p.active_days), f"{p.sessions:,}", f"{p.responses:,}", money(p.cost_usd))
    console.print(table)
    h = r.limit_hits
    console.print(
        f"[bold]Limits[/]: {h.sessions:,} sessions filled their context to {h.context_percent:g}% or more"
        + (f" ({', '.join(f'{short_id(x.session_id)} {x.context_percent:g}%' for x in h.top[:5])})" if h.top else "")
        + f"; {h.api_errors:,} API errors ({h.limit_errors:,} about limits) in {h.sessions_with_api_errors:,} sessions"
    )
    if r.claude_block:
        _block_summary(console, r.claude_block)
    else:
        console.print("[bold]Claude 5-hour block[/]: none active")


def billing_blocks(console: Console, blocks: list[BillingBlock]) -> None:
    if not blocks:
        console.print("No Claude usage in that window.")
        return
    table = Table(box=None, pad_edge=False, header_style="bold underline")
    for name, justify in (("Block start", "left"), ("Status", "left"), ("Models", "left"),
                          ("Responses", "right"), ("Tokens", "right"), ("Cost", "right")):
        table.add_column(name, justify=justify, no_wrap=name != "Models")
    for b in blocks:
        start = local_time(b.start)
        used = _duration(epoch(b.last_activity) - epoch(b.start))
        status = Text("ACTIVE", style="green") if b.active else Text(used)
        models = ", ".join(short_model(m) or m for m in b.models)
        table.add_row(start, status, models, f"{b.responses:,}", f"{b.total_tokens:,}", money(b.cost_usd, b.cost_complete))
        if b.projection:
            table.add_row("", Text("PROJECTED", style="yellow"), "", "", f"{b.projection.total_tokens:,}",
                          money(b.projection.cost_usd))
    console.print(table)


def sparkline(values: list[float], width: int) -> str:
    """One block character per bucket of consecutive values (summed), scaled to the largest."""
    if not values:
        return ""
    n = len(values)
    buckets = [sum(values[k * n // width:(k + 1) * n // width]) for k in range(min(width, n))] if n > width else values
    top = max(buckets)
    if top <= 0:
        return _SPARKS[0] * len(buckets)
    return "".join(_SPARKS[min(7, int(v / top * 7.999))] if v > 0 else " " for v in buckets)


def _share_table(console: Console, title: str, rows: list[UsageShare], total_cost: float) -> None:
    table = Table(title=title, title_justify="left", box=None, pad_edge=False, header_style="bold underline")
    for name in ("Name", "Sessions", "Tokens", "Cost", "Share"):
        table.add_column(name, justify="left" if name == "Name" else "right", no_wrap=True, overflow="ellipsis")
    for x in rows:
        share = (x.cost_usd or 0.0) / total_cost if total_cost else 0.0
        table.add_row(x.key, f"{x.sessions:,}", compact(x.total_tokens), money(x.cost_usd), f"{share:.0%}")
    console.print(table)


def _block_summary(console: Console, b: BillingBlock) -> None:
    now = time.time()
    left = max(0.0, epoch(b.end) - now)
    line = (f"[bold]Claude 5-hour block[/] {local_time(b.start, '%H:%M')}–{local_time(b.end, '%H:%M')}, "
            f"{_duration(left)} left: {compact(b.total_tokens)} tokens, {money(b.cost_usd)} so far")
    if b.burn_rate:
        rate = b.burn_rate
        line += f"; burning {compact(round(rate.tokens_per_minute))} tokens/min, {money(rate.cost_per_hour)}/h"
    if b.projection:
        line += f"; at this rate {compact(b.projection.total_tokens)} tokens, {money(b.projection.cost_usd)} by its end"
    console.print(line)


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60}h {minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def local_models(console: Console, found: list[LocalModel]) -> None:
    if not found:
        console.print("No local model server answered with a loaded model (Ollama, LM Studio).")
        return
    table = Table(header_style="bold underline", box=None, pad_edge=False)
    for name in ("Server", "Model", "Context", "Size", "VRAM", "Unloads at"):
        table.add_column(name, justify="right" if name in ("Context", "Size", "VRAM") else "left")
    for m in found:
        table.add_row(
            m.provider, m.model, f"{m.context_limit:,}" if m.context_limit else "?",
            _gb(m.size_bytes), _gb(m.vram_bytes), local_time(m.expires_at, "%H:%M") if m.expires_at else "",
        )
    console.print(table)


def _gb(n: int | None) -> str:
    return f"{n / 1e9:.1f} GB" if n else ""
