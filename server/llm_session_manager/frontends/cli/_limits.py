"""``llm-session limits``: each assistant's 5-hour and weekly plan windows, with provenance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._context import Context

if TYPE_CHECKING:
    from ...services.limits import LimitsReport, LimitWindow

_NAMES = {"five_hour": "5-hour", "seven_day": "weekly"}


def cmd_limits(ctx: Context) -> None:
    from ...services import limits

    found = limits.report(ctx.fresh_conn(conversation_later=True))
    ctx.emit(found, lambda render: print(_text(found)))


def _text(report: LimitsReport) -> str:
    if not report.assistants:
        return ("no plan limits known yet: Claude Code reports them to `llm-session statusline` "
                "(docs/statusline.md), Codex in its logs")
    out: list[str] = []
    for a in report.assistants:
        out.append(a.provider)
        out.extend(f"  {_window(w)}" for w in a.windows)
        p = a.weekly_pacing
        if p.runs_out_at is not None:
            verdict = "runs out before it resets" if p.runs_out_before_reset else "lasts until it resets"
            out.append(f"  weekly pace: {p.percent_per_hour:.2f} %/h ({p.basis}): at this rate it {verdict} "
                       f"(runs out {p.runs_out_at}, resets {p.resets_at}) [{p.source}]")
        else:
            out.append(f"  weekly pace: unknown ({p.basis})")
    return "\n".join(out)


def _window(w: LimitWindow) -> str:
    s = w.sources
    used = f"{w.used_percent:.0f}% used [{s['used_percent']}]" if w.used_percent is not None \
        else f"% used unknown [{s['used_percent']}]"
    parts = [f"{_NAMES.get(w.window, w.window):7} {used}"]
    if w.age_seconds is not None:
        parts.append(f"read {_age(w.age_seconds)} ago")
    if w.resets_in_seconds is not None:
        parts.append(f"resets in {_age(w.resets_in_seconds)} [{s['resets_at']}]")
    cost = f"${w.cost_usd:.2f}" if w.cost_usd is not None else "cost unknown"
    parts.append(f"{w.tokens:,} tokens, {cost} in the window [{s['tokens']}]")
    return "; ".join(parts)


def _age(seconds: int) -> str:
    d, h, m = seconds // 86400, seconds % 86400 // 3600, seconds % 3600 // 60
    if d:
        return f"{d}d {h}h"
    return f"{h}h {m:02d}m" if h else f"{m}m"
