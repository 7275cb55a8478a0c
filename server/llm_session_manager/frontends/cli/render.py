"""Rich tables and panels for people; the CLI's ``--json`` bypasses all of this."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ...core.models import (
    AnalyticsReport,
    BillingBlock,
    LocalModel,
    Recommendation,
    ScanResult,
    Session,
    TokenCount,
    UsageModelRow,
    UsageReport,
    UsageReportRow,
    UsageShare,
    short_id,
)
from ..formatting import ago, compact, ellipsis, epoch, local_time, middle, money, short_model
from . import fit

if TYPE_CHECKING:
    from ...services.export import FileUse, SessionReport

_STATUS_STYLE = {"healthy": "green", "warning": "yellow", "critical": "red"}
_STATUS_EMOJI = {"healthy": "✅", "warning": "⚠️ ", "critical": "🔴"}


def scan_result(console: Console, r: ScanResult) -> None:
    console.print(
        f"Scanned {r.files:,} log files ({r.files_read:,} with new data): "
        f"{r.records:,} new records in {r.sessions:,} sessions"
        + (f", [yellow]{r.malformed:,} malformed lines skipped[/]" if r.malformed else "")
        + f" in {r.seconds:.2f} s"
    )


def nothing_found(console: Console, what: str, filters: str, total: int | None) -> None:
    """Why a listing is empty: an empty store, or options that left nothing of ``total`` sessions."""
    if total == 0:
        console.print("The store holds no sessions yet. Run 'llm-session scan' first, "
                      "or 'llm-session demo' to try it.")
    elif total is None:
        console.print(f"No {what} found" + (f" for {filters}." if filters else "."))
    elif filters:
        console.print(f"No {what} matches {filters} ({total:,} sessions in the store).")
    else:
        console.print(f"No {what} recorded in the {total:,} sessions of the store.")


def session_table(console: Console, sessions: list[Session], *, emoji: bool = True,
                  ids: dict[str, str] | None = None, filters: str = "", total: int | None = None) -> None:
    """Sessions, one a line; ``ids`` are the prefixes to show (unique in the store).

    Priorities (the highest goes first when the terminal is narrow): title 8,
    provider 7, tags 6, context 5, model 4, health 3, project and last activity 2,
    tokens and cost 1; the id stays. Project, model, tags and title shrink first.
    """
    if not sessions:
        nothing_found(console, "session", filters, total)
        return
    ids = ids or {}
    now = time.time()
    wide = console.width >= 130
    cols = [
        fit.Column("ID", [Text(ids.get(s.id, short_id(s.id)), style="bold" if s.active else "") for s in sessions]),
        fit.Column("Provider", [s.provider for s in sessions], priority=7),
        fit.Column("Project", [s.project or "—" for s in sessions], priority=2, squeeze=8),
        fit.Column("Model", [(s.model if wide else short_model(s.model)) or "—" for s in sessions],
                   priority=4, squeeze=8),
        fit.Column("Tokens", [compact(s.tokens.total) for s in sessions], justify="right", priority=1),
        fit.Column("Context", [_context_bar(s.context.percent, 10 if wide else 5) for s in sessions], priority=5),
        fit.Column("Cost", [money(s.cost_usd, s.cost_complete) for s in sessions], justify="right", priority=1),
        fit.Column("Health", [_health(s, emoji) for s in sessions], justify="right", priority=3),
        fit.Column("Last active", [("● " if s.active else "") + ago(s.last_activity, now) for s in sessions],
                   justify="right", priority=2),
    ]
    if any(s.tags for s in sessions):
        cols.append(fit.Column("Tags", [", ".join(s.tags) for s in sessions], priority=6, squeeze=6))
    cols.append(fit.Column("Title", [("(log gone) " if s.log_gone else "") + ("(pinned) " if s.pinned else "")
                                     + " ".join((s.title or "").split())
                                     for s in sessions], priority=8, squeeze=12))
    console.print(fit.table(console, cols, title=f"{len(sessions)} sessions", title_justify="left"))


def _health(s: Session, emoji: bool) -> Text:
    status = s.health.status
    return Text(f"{_STATUS_EMOJI[status] if emoji else ''}{s.health.score:.0f}", style=_STATUS_STYLE[status])


def usage_table(console: Console, report: UsageReport, by: str, *,
                labels: dict[str, str] | None = None, filters: str = "", total: int | None = None) -> None:
    """Usage per group, with model rows under each when the report has them.

    Numbers are exact when every column fits, else abbreviated (1.2M), never
    cut. Priorities (the highest goes first): cache write 5, cache read 4,
    input 3, output 2; the key, total tokens and cost stay. ``labels`` show
    some keys shorter (session ids as their unique prefixes).
    """
    if not report.rows:
        nothing_found(console, "usage", filters, total)
        return
    exact = _usage_columns(report, by, labels or {}, lambda n: f"{n:,}")
    cols = exact if fit.fits(exact, console.width) else _usage_columns(report, by, labels or {}, compact)
    console.print(fit.table(console, cols))


_GROUP_HEADERS = {"mcp-server": "MCP server"}


def _usage_columns(report: UsageReport, by: str, labels: dict[str, str],
                   num: Callable[[int], str]) -> list[fit.Column]:
    lines: list[tuple[Text, UsageReportRow | UsageModelRow]] = []
    for r in report.rows:
        lines.append((Text(labels.get(r.key, r.key)), r))
        for m in r.models or []:
            lines.append((Text("  └ " + (short_model(m.model) or m.model or "?"), style="dim"), m))
    t = report.totals
    key_cut = (lambda text, w: ellipsis(short_model(text) or text, w)) if by == "model" else ellipsis

    def numbers(header: str, field: str, priority: int) -> fit.Column:
        return fit.Column(header, [_dim(num(getattr(x, field)), key) for key, x in lines],
                          footer=num(getattr(t, field)), justify="right", priority=priority)

    columns = [
        fit.Column(_GROUP_HEADERS.get(by, by.capitalize()), [key for key, _ in lines], footer="Total", squeeze=12,
                   cut=key_cut),
        numbers("Input", "input_tokens", 3),
        numbers("Output", "output_tokens", 2),
        numbers("Cache write", "cache_creation_tokens", 5),
        numbers("Cache read", "cache_read_tokens", 4),
        numbers("Total tokens", "total_tokens", 0),
        fit.Column("Cost (USD)", [_dim(money(x.cost_usd, x.cost_complete), key) for key, x in lines],
                   footer=money(t.cost_usd, t.cost_complete),
                   justify="right"),
    ]
    if any(isinstance(r.calls, int) for r in report.rows):  # by agent, tool, MCP server or skill
        def extra(header: str, field: str, priority: int) -> fit.Column:
            values = [getattr(r, field) for r in report.rows]
            return fit.Column(header, [num(v) for v in values], footer=num(sum(values)), justify="right",
                              priority=priority)

        columns += [extra("Calls", "calls", 6), extra("Results ~tokens", "result_tokens", 7)]
    return columns


def _dim(text: str, like: Text) -> Text:
    """A cell styled like its row's key: model rows under a group are dim."""
    return Text(text, style=like.style)


def session_report(console: Console, r: SessionReport) -> None:
    """One session in detail (``show``): what ``export --format markdown`` holds, laid out for the terminal.

    Paths are cut in the middle, keeping the file name; numbers are abbreviated
    when the exact ones do not fit. Columns go first: in the token table
    cache write 6, cache read 5, responses 4, input 3, output 2; in the file
    table actions 3, uses 2, tokens 1.
    """
    s = r.session
    width = console.width
    title = " ".join((s.title or f"Session {s.id}").split())
    console.print(Text(ellipsis(title, width), style="bold"))
    status = _STATUS_WORD[s.health.status]
    facts = [
        ("Session", f"{s.id} ({s.provider}{', running' if s.active else ''})"),
        ("Project", s.project or "—"),
        ("Directory", middle(s.cwd, width - 12) if s.cwd else "—"),
        ("Model", s.model or "—"),
        ("Active", f"{local_time(s.started_at)} → {local_time(s.last_activity)}"),
        ("Health", f"{status} {s.health.score:.0f}/100 ("
                   + ", ".join(f"{k.replace('_', ' ')} {v:.0f}" for k, v in s.health.components.items()) + ")"),
        ("Context", f"{s.context.used:,} / {s.context.limit:,} tokens ({s.context.percent:.1f}%)"),
        ("Cost", money(s.cost_usd, s.cost_complete)),
        ("Tags", ", ".join(s.tags) if s.tags else "—"),
    ]
    if s.log_gone:
        facts.append(("Log", "log gone (deleted or moved since it was read): this history is the store's copy"))
    if s.pinned:
        facts.append(("Pinned", "yes: retention keeps its whole conversation (llm-session record)"))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for name, value in facts:
        grid.add_row(name, Text(value))  # the user's text, never rich markup
    console.print(grid)
    console.print(Text(f"\nTokens ({s.tokens.source})", style="bold"))
    exact = _model_columns(r, lambda n: f"{n:,}")
    console.print(fit.table(console, exact if fit.fits(exact, width) else _model_columns(r, compact)))
    console.print(Text("\nFiles touched", style="bold"))
    if r.files:
        console.print(fit.table(console, [
            fit.Column("File", [f.path for f in r.files], priority=0, squeeze=16, cut=middle),
            fit.Column("Actions", [", ".join(f.actions) for f in r.files], priority=3, squeeze=6),
            fit.Column("Uses", [f"{f.uses:,}" for f in r.files], justify="right", priority=2),
            fit.Column("Tokens now", [_file_tokens(f) for f in r.files], justify="right", priority=1),
        ]))
    else:
        console.print("No file reads or edits recorded.")
    console.print(Text("\nRecommendations", style="bold"))
    recommendations(console, r.recommendations)


_STATUS_WORD = {"healthy": "✅ healthy", "warning": "⚠️  warning", "critical": "🔴 critical"}


def _model_columns(r: SessionReport, num: Callable[[int], str]) -> list[fit.Column]:
    ms, t, s = r.usage_by_model, r.session.tokens, r.session

    def numbers(header: str, field: str, total: int | None, priority: int) -> fit.Column:
        return fit.Column(header, [num(getattr(m, field)) for m in ms], footer=num(total) if total is not None else "",
                          justify="right", priority=priority)

    return [
        fit.Column("Model", [m.model for m in ms], footer="Total", squeeze=10,
                   cut=lambda text, w: ellipsis(short_model(text) or text, w)),
        numbers("Responses", "responses", sum(m.responses for m in ms), 4),
        numbers("Input", "input_tokens", t.input, 3),
        numbers("Output", "output_tokens", t.output, 2),
        numbers("Cache write", "cache_creation_tokens", t.cache_creation, 6),
        numbers("Cache read", "cache_read_tokens", t.cache_read, 5),
        fit.Column("Cost", [money(m.cost_usd) for m in ms], footer=money(s.cost_usd, s.cost_complete), justify="right"),
    ]


def _file_tokens(f: FileUse) -> str:
    if f.tokens is None:
        return "— (gone)"
    return f"{f.tokens:,}" + (" est." if f.token_source == "estimated" else "")


def recommendations(console: Console, recs: list[Recommendation]) -> None:
    if not recs:
        console.print("[green]No recommendations: every recent session is in good shape.[/]")
        return
    style = {"critical": "red", "warning": "yellow", "info": "cyan"}
    for r in recs:
        who = f"[bold]{short_id(r.session_id)}[/] " if r.session_id else ""
        console.print(f"[{style[r.severity]}]{r.severity:>8}[/] {who}{r.message}\n         → {r.action}")


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
        console.print("No sessions in that window; widen it with --days.")
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
    # Priorities: title 5, model 4, project 3 (and they shrink first); id, tokens and cost stay.
    top = r.top_sessions
    console.print(fit.table(console, [
        fit.Column("ID", [short_id(x.id) for x in top]),
        fit.Column("Project", [x.project or "—" for x in top], priority=3, squeeze=8),
        fit.Column("Model", [short_model(x.model) or "—" for x in top], priority=4, squeeze=8),
        fit.Column("Title", [" ".join((x.title or "").split()) for x in top], priority=5, squeeze=10),
        fit.Column("Tokens", [compact(x.total_tokens) for x in top], justify="right"),
        fit.Column("Cost", [money(x.cost_usd) for x in top], justify="right"),
    ], title="Top sessions", title_justify="left"))
    # Priorities: responses 4, days 3, sessions 2; the project shrinks first.
    active = r.most_active_projects
    console.print(fit.table(console, [
        fit.Column("Project", [p.project for p in active], squeeze=8),
        fit.Column("Days", [str(p.active_days) for p in active], justify="right", priority=3),
        fit.Column("Sessions", [f"{p.sessions:,}" for p in active], justify="right", priority=2),
        fit.Column("Responses", [f"{p.responses:,}" for p in active], justify="right", priority=4),
        fit.Column("Cost", [money(p.cost_usd) for p in active], justify="right"),
    ], title="Most active projects", title_justify="left"))
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
    lines: list[tuple[str, Text, str, str, int, float | None, bool]] = []
    for b in blocks:
        used = _duration(epoch(b.last_activity) - epoch(b.start))
        status = Text("ACTIVE", style="green") if b.active else Text(used)
        models = ", ".join(short_model(m) or m for m in b.models)
        lines.append((local_time(b.start), status, models, f"{b.responses:,}", b.total_tokens, b.cost_usd, b.cost_complete))
        if b.projection:
            lines.append(("", Text("PROJECTED", style="yellow"), "", "", b.projection.total_tokens,
                          b.projection.cost_usd, b.cost_complete))

    # Priorities: models 4 (they shrink first), responses 3, status 2; start, tokens and cost stay.
    def columns(num: Callable[[int], str]) -> list[fit.Column]:
        return [
            fit.Column("Block start", [x[0] for x in lines]),
            fit.Column("Status", [x[1] for x in lines], priority=2),
            fit.Column("Models", [x[2] for x in lines], priority=4, squeeze=8),
            fit.Column("Responses", [x[3] for x in lines], justify="right", priority=3),
            fit.Column("Tokens", [num(x[4]) for x in lines], justify="right"),
            fit.Column("Cost", [money(x[5], x[6]) for x in lines], justify="right"),
        ]

    exact = columns(lambda n: f"{n:,}")
    console.print(fit.table(console, exact if fit.fits(exact, console.width) else columns(compact)))


def sparkline(values: Sequence[float], width: int) -> str:
    """One block character per bucket of consecutive values (summed), scaled to the largest."""
    if not values:
        return ""
    n = len(values)
    buckets = [sum(values[k * n // width:(k + 1) * n // width]) for k in range(min(width, n))] if n > width else values
    top = max(buckets)
    if top <= 0:
        return _SPARKS[0] * len(buckets)
    return "".join(_SPARKS[min(7, int(v / top * 7.999))] if v > 0 else " " for v in buckets)


def _share_table(console: Console, title: str, rows: list[UsageShare], total_cost: float | None) -> None:
    """Priorities: share 3, sessions 2, tokens 1; the name shrinks first, the cost stays."""
    console.print(fit.table(console, [
        fit.Column("Name", [x.key for x in rows], squeeze=10),
        fit.Column("Sessions", [f"{x.sessions:,}" for x in rows], justify="right", priority=2),
        fit.Column("Tokens", [compact(x.total_tokens) for x in rows], justify="right", priority=1),
        fit.Column("Cost", [money(x.cost_usd) for x in rows], justify="right"),
        fit.Column("Share", [f"{(x.cost_usd or 0.0) / total_cost if total_cost else 0.0:.0%}" for x in rows],
                   justify="right", priority=3),
    ], title=title, title_justify="left"))


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
