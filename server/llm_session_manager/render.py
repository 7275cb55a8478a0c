"""Rich tables and panels for people; the CLI's ``--json`` bypasses all of this."""

from __future__ import annotations

import re
import time
from datetime import datetime

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .models import Recommendation, ScanResult, Session, TokenCount, UsageReport

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
            Text(s.id[:8], style="bold" if s.active else ""),
            *([s.provider] if wide else []),
            s.project or "—",
            (s.model if wide else _short_model(s.model)) or "—",
            compact(s.tokens.total),
            _context_bar(s.context.percent, 10 if wide else 5),
            f"${s.cost_usd:,.2f}",
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
        ("Cost (USD)", f"${t.cost_usd:,.2f}"),
    ):
        table.add_column(name, footer=footer, justify="right", no_wrap=True)
    for r in report.rows:
        table.add_row(
            r.key, num(r.input_tokens), num(r.output_tokens), num(r.cache_creation_tokens),
            num(r.cache_read_tokens), num(r.total_tokens), f"${r.cost_usd:,.2f}",
        )
    console.print(table)


def recommendations(console: Console, recs: list[Recommendation]) -> None:
    if not recs:
        console.print("[green]No recommendations: every recent session is in good shape.[/]")
        return
    style = {"critical": "red", "warning": "yellow", "info": "cyan"}
    for r in recs:
        who = f"[bold]{r.session_id[:8]}[/] " if r.session_id else ""
        console.print(f"[{style[r.severity]}]{r.severity:>8}[/] {who}{r.message}\n         → {r.action}")


def markdown(console: Console, text: str) -> None:
    from rich.markdown import Markdown  # heavy; only ``show`` needs it

    console.print(Markdown(text))


def token_count(console: Console, c: TokenCount) -> None:
    console.print(f"{c.tokens:,} tokens ({c.source}, {c.method})")


def compact(n: int) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)


def ago(iso: str | None, now: float) -> str:
    if not iso:
        return "—"
    seconds = max(0.0, now - datetime.fromisoformat(iso).timestamp())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit} ago"
    return "now"


def _short_model(model: str | None) -> str | None:
    """claude-sonnet-4-5-20250929 -> sonnet-4-5: enough to tell models apart."""
    if not model:
        return model
    return re.sub(r"-\d{8}$", "", model).removeprefix("claude-")


def _context_bar(percent: float, width: int = 10) -> Text:
    filled = min(width, round(percent / 100 * width))
    style = "red" if percent > 85 else "yellow" if percent > 60 else "green"
    return Text("█" * filled + "░" * (width - filled), style=style) + Text(f" {percent:4.1f}%")
