"""The ``usage`` tool: tokens and cost grouped like ccusage's reports."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from ...models import PROVIDERS, UsageGroup, UsageReport
from ..tool import Args, tool

LocalDate = Annotated[str, Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class UsageArgs(Args):
    by: Annotated[UsageGroup, Meta(
        description="How to group: by local day (YYYY-MM-DD) or month (YYYY-MM), or by session id, model, project or provider.",
    )] = "day"
    since: Annotated[LocalDate | None, Meta(description="First local date included, YYYY-MM-DD.")] = None
    until: Annotated[LocalDate | None, Meta(description="Last local date included, YYYY-MM-DD.")] = None
    provider: Annotated[Literal[PROVIDERS] | None, Meta(description="Only this assistant's usage.")] = None


@tool(UsageArgs, UsageReport, title="Token usage and cost", fresh=True)
def usage(conn, config, a: UsageArgs) -> UsageReport:
    """Token usage and cost in USD, summed per group, with totals; the numbers ccusage reports.

    `input_tokens` exclude cache reads, `cache_read_tokens` are cached input,
    `output_tokens` include reasoning, `total_tokens` is the sum of the four.
    Rows are in date order for day/month, else largest first.
    """
    from ...services import usage as service

    return service.report(conn, a.by, since=a.since, until=a.until, provider=a.provider)
