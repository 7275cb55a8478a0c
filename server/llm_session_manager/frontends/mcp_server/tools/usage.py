"""The ``usage`` tool: tokens and cost grouped like ccusage's reports, the last 30 days by default."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from ....core.args import LocalDate, Provider, UsageGroup
from ....core.models import ATTRIBUTION_GROUPS, Provenance, UsageReportRow, UsageTotals
from ..tool import Args, to_json, tool

DEFAULT_DAYS = 30  # without since/until: the last 30 days, not every day on record


class UsageArgs(Args, frozen=True):  # frozen like Args: said again so type checkers see it
    by: Annotated[UsageGroup, Meta(
        description="Group by local day, week (its Monday), month, session, model, project or provider; or by what "
                    "responses did: agent (sub-agent type, '(main)'), tool (the first tool a response called), "
                    "mcp-server or skill, '(none)' for responses that called none.",
    )] = "day"
    since: Annotated[LocalDate | None, Meta(description="First local date, YYYY-MM-DD (default: 30 days ago).")] = None
    until: Annotated[LocalDate | None, Meta(description="Last local date, YYYY-MM-DD.")] = None
    provider: Annotated[Provider | None, Meta(description="Only this assistant's usage.")] = None
    limit: Annotated[int, Meta(ge=1, le=1000, description="At most this many rows (the latest days, else the largest).")] = 31
    detail: Annotated[bool, Meta(description="Each row's input, output, cache write and cache read tokens too.")] = False


class RowBrief(msgspec.Struct):
    """A row in short; ``detail`` adds input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens.
    By agent, tool, mcp-server or skill, rows also have ``calls``, ``result_tokens`` (estimated) and ``ours``."""

    key: str
    total_tokens: int
    cost_usd: float | None
    provenance: Provenance


class UsageAnswer(msgspec.Struct):
    rows: list[RowBrief]
    totals: UsageTotals  # over the whole period, rows cut by ``limit`` included
    since: str | None
    until: str | None
    truncated: bool


@tool(UsageArgs, UsageAnswer, title="Token usage and cost", fresh=True)
def usage(conn, config, a: UsageArgs) -> dict[str, Any]:
    """Tokens and cost in USD per group, with totals: the numbers ccusage reports.

    `input_tokens` exclude cache reads, `output_tokens` include reasoning, `total_tokens`
    sums input, output, cache write and cache read. Days and months in date order,
    other groups largest first.
    """
    from ....services import usage as service

    since = a.since
    if since is None and a.until is None:
        since = (datetime.date.today() - datetime.timedelta(days=DEFAULT_DAYS)).isoformat()
    report = service.report(conn, a.by, since=since, until=a.until, provider=a.provider)
    rows = report.rows
    shown = rows[-a.limit:] if a.by in ("day", "week", "month") else rows[: a.limit]
    return {
        "rows": [to_json(r) if a.detail else _brief(r, a.by in ATTRIBUTION_GROUPS) for r in shown],
        "totals": to_json(report.totals), "since": since, "until": a.until, "truncated": len(shown) < len(rows),
    }


def _brief(r: UsageReportRow, attributed: bool) -> dict[str, Any]:
    """A row in short: its key, total and cost, where they come from, and its calls when grouped by what was called."""
    brief: dict[str, Any] = {"key": r.key, "total_tokens": r.total_tokens, "cost_usd": r.cost_usd,
                             "provenance": to_json(r.provenance)}
    if attributed:
        brief.update(calls=r.calls, result_tokens=r.result_tokens)
        if r.ours is True:
            brief["ours"] = True
    return brief
