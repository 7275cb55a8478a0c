"""``llm-session statusline``: the line Claude Code shows under its prompt.

Claude Code prints whatever this writes, and cancels a run that is still going
when the next update comes: so the line never fails (any error prints a
short fallback line and exits 0, never a traceback on the assistant's screen)
and imports nothing it does not draw (no rich: its colours are four ANSI codes).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from ._context import Context

if TYPE_CHECKING:
    from ...services.statusline import Facts, Figure, Payload, Window

_GREEN, _YELLOW, _RED, _DIM, _RESET = "\033[32m", "\033[33m", "\033[31m", "\033[2m", "\033[0m"
_SEPARATOR = " | "
# While another process writes the store (a cold scan), wait this long, then show what it has.
_BUSY_MS = 300


def cmd_statusline(ctx: Context) -> None:
    """Print the line; on any error, a fallback line (exit 0 either way)."""
    try:
        data = sys.stdin.buffer.read()
    except Exception:  # noqa: BLE001 -- an unreadable stdin is a payload we cannot read
        data = b""
    sys.stdout.write(text(ctx, data) + "\n")
    sys.stdout.flush()


def text(ctx: Context, data: bytes, busy_ms: int = _BUSY_MS) -> str:
    """The line for the payload ``data``, the options ``ctx.args`` and this process's
    environment (``NO_COLOR``, ``TZ``); on any error, the fallback line. Never raises.

    The command prints it; so does the status line's agent (frontends/cli/statusline_agent),
    with the store and config it keeps open in ``ctx`` and the client's environment applied,
    waiting for a busy store (``busy_ms``) less than its client waits for it.
    """
    try:
        return _line(ctx, data, busy_ms)
    except Exception as e:  # noqa: BLE001 -- the assistant's screen must never show a traceback
        if ctx.args.verbose:
            import traceback

            traceback.print_exc()
        return _fallback(data, e)


def _line(ctx: Context, data: bytes, busy_ms: int) -> str:
    from ...services import statusline

    payload = statusline.decode(data)
    config = ctx.config
    segments = _segments(ctx.args.segments, config.statusline.segments)
    template = ctx.args.template or config.statusline.format
    wanted = frozenset(segments) | _named(template)
    conn = ctx.conn
    conn.set_busy_timeout(busy_ms)
    found = statusline.facts(conn, payload, config=config, wanted=wanted)
    if ctx.args.json:
        import msgspec

        return msgspec.json.encode(_as_json(found)).decode()
    colour = not ctx.args.no_color and not os.environ.get("NO_COLOR")
    drawn = _draw(found, colour)
    if template:
        return template.format_map(_Blank(drawn)).strip()
    return _SEPARATOR.join(drawn[name] for name in segments if drawn.get(name))


def _segments(given: str | None, configured: tuple[str, ...]) -> list[str]:
    from ...core.config import STATUSLINE_SEGMENTS
    from ...core.errors import BadArgument

    if given is None:
        return list(configured)
    names = [n.strip() for n in given.split(",") if n.strip()]
    unknown = [n for n in names if n not in STATUSLINE_SEGMENTS]
    if unknown:
        raise BadArgument("segments", f"names no segment {unknown[0]!r}; one of {', '.join(STATUSLINE_SEGMENTS)}")
    return names


def _named(template: str | None) -> frozenset[str]:
    if not template:
        return frozenset()
    import string

    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


class _Blank(dict):
    """A template's unknown or empty segment is drawn as nothing."""

    def __missing__(self, key: str) -> str:
        return ""


def _draw(f: Facts, colour: bool) -> dict[str, str]:
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    def level(percent: float) -> str:
        return _RED if percent >= 80 else _YELLOW if percent >= 50 else _GREEN

    out: dict[str, str] = {}
    if f.model:
        out["model"] = f.model
    if f.context_percent is not None:
        out["context"] = "ctx " + paint(f"{f.context_percent.value:.0f}%", level(f.context_percent.value))
    if f.session_cost is not None:
        out["session"] = f"{_money(f.session_cost)} session"
    if f.today_cost is not None:
        out["today"] = f"{_money(f.today_cost)} today"
    if f.five_hour is not None:
        out["five_hour"] = "5h " + _window(f.five_hour, f.now, paint, level)
    if f.seven_day is not None:
        out["weekly"] = "wk " + _window(f.seven_day, f.now, paint, level)
    if f.health is not None:
        score, status = f.health
        code = _GREEN if status == "healthy" else _YELLOW if status == "warning" else _RED
        out["health"] = "health " + paint(f"{score:.0f}", code)
    return out


def _money(figure: Figure) -> str:
    mark = "~" if figure.source == "estimated" else ""
    return f"{mark}${figure.value:.2f}"


def _window(w: Window, now: float, paint, level) -> str:
    if w.used_percent is not None:
        text = paint(f"{w.used_percent:.0f}%", level(w.used_percent))
    elif w.cost_usd is not None:
        text = f"~${w.cost_usd:.2f}"  # an estimated window: what it has cost so far
    else:
        text = "~"
    if w.resets_at is not None:
        text += " " + paint(f"↻{_countdown(w.resets_at - now)}", _DIM)
    return text


def _countdown(seconds: float) -> str:
    s = max(0, int(seconds))
    d, h, m = s // 86400, s % 86400 // 3600, s % 3600 // 60
    if d:
        return f"{d}d{h}h"
    return f"{h}h{m:02d}m" if h else f"{m}m"


def _as_json(f: Facts) -> dict:
    def fig(x: Figure | None) -> dict | None:
        return None if x is None else {"value": round(x.value, 6), "source": x.source}

    def win(w: Window | None) -> dict | None:
        if w is None:
            return None
        return {"used_percent": w.used_percent, "resets_at": w.resets_at, "cost_usd": w.cost_usd, "source": w.source}

    return {"model": f.model, "context_percent": fig(f.context_percent), "session_cost_usd": fig(f.session_cost),
            "today_cost_usd": fig(f.today_cost), "five_hour": win(f.five_hour), "seven_day": win(f.seven_day),
            "health": None if f.health is None else {"score": f.health[0], "status": f.health[1]}}


def _fallback(data: bytes, error: BaseException) -> str:
    """What Claude Code shows when the line cannot be made: the model, if the payload names it."""
    model = None
    try:
        payload: Payload | None = _payload(data)
        model = _model_of(payload)
    except Exception:  # noqa: BLE001 -- a payload we cannot read still gets a line
        pass
    from ...core.errors import LlmSessionError

    if isinstance(error, LlmSessionError):  # something the user can fix: say what, shortly
        reason = str(error).splitlines()[0][:100]
    else:
        reason = "store busy" if error.__class__.__name__ == "BusyError" else "no status"
    return f"{model} | llm-session: {reason}" if model else f"llm-session: {reason}"


def _payload(data: bytes) -> Payload | None:
    from ...services.statusline import decode

    return decode(data) if data.strip() else None


def _model_of(payload: Payload | None) -> str | None:
    if payload is None or payload.model is None:
        return None
    return payload.model.display_name or payload.model.id
