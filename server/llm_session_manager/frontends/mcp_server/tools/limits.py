"""The ``limits`` tool: each assistant's 5-hour and weekly plan windows, with provenance."""

from __future__ import annotations

from ....services.limits import LimitsReport
from ..tool import Args, tool


class LimitsArgs(Args, frozen=True):  # frozen like Args: said again so type checkers see it
    """No arguments: every assistant with a plan meter or usage."""


@tool(LimitsArgs, LimitsReport, title="Plan limits", fresh=True)
def limits(conn, config, a: LimitsArgs) -> LimitsReport:
    """The 5-hour and weekly plan windows of Claude Code and Codex, as `llm-session limits --json`.

    `used_percent` is the assistant's own meter (`sources.used_percent: official`, with its
    `age_seconds`) or null (`unknown`); tokens and cost in the window are exact from logs;
    `weekly_pacing` says whether the weekly window runs out before it resets at the current rate.
    """
    from ....services import limits as service

    return service.report(conn)
