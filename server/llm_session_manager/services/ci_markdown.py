"""A CI report as Markdown: the job summary and the pull or merge request comment.

It starts with a hidden marker, by which the comment on a pull request is found
and updated in place on the next run rather than posted again.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..core.models import UsageReportRow
from .ci_report import CiReport

MARKER = "<!-- llm-session-report -->"
_USAGE_HEAD = "| {key} | Input | Output | Cache write | Cache read | Total | Cost |\n|---|--:|--:|--:|--:|--:|--:|"


def render(report: CiReport) -> str:
    source = "the team server" if report.source == "team" else "committed or uploaded transcripts"
    parts = [MARKER, "## AI usage", "",
             f"From {source}: {report.totals.total_tokens:,} tokens, {_cost(report.totals.cost_usd, report.totals.cost_complete)}."]
    if report.unpriced_models:
        parts.append(f"No price known for {', '.join(report.unpriced_models)}: its cost is not counted.")
    if report.gates:
        parts += ["", "### Budgets", "", "| Gate | Result | |", "|---|---|---|"]
        parts += [f"| `{g.name}` | {'pass' if g.passed else '**fail**'} | {_cell(g.message)} |" for g in report.gates]
    parts += _usage("By model", "Model", report.by_model)
    parts += _usage("By author", "Device" if report.source == "team" else "Author", report.by_author)
    parts += _usage("By day", "Day", report.by_day)
    parts += ["", f"### Sessions on `{report.branch}`" if report.branch else "### Sessions on this branch", ""]
    if report.source == "team":
        parts.append("The team server keeps no branches: sessions are listed from transcripts only.")
    elif not report.sessions:
        parts.append("No session worked on this branch.")
    else:
        parts += ["| Session | Assistant | Author | Model | Last active | Tokens | Cost | Health |",
                  "|---|---|---|---|---|--:|--:|--:|"]
        parts += [f"| {_cell(s.title or s.id[:8])} (`{s.id[:8]}`) | {s.provider} | {_cell(s.author)} | {s.model or ''} | "
                  f"{(s.last_activity or '')[:16].replace('T', ' ')} | {s.total_tokens:,} | "
                  f"{_cost(s.cost_usd, True)} | {s.health.score:g} {s.health.status} |" for s in report.sessions]
    parts += ["", "### Instruction files", ""]
    if not report.instruction_files:
        parts.append("None in this repository.")
    else:
        parts += ["Sent with every turn of every session (o200k_base tokens, estimated).", "",
                  "| File | Tokens per turn | Largest sections |", "|---|--:|---|"]
        parts += [f"| `{f.path}` | {f.tokens:,} | {_cell(f.largest())} |" for f in report.instruction_files]
    return "\n".join(parts) + "\n"


def _usage(title: str, key: str, rows: Iterable[UsageReportRow]) -> list[str]:
    rows = list(rows)
    lines = ["", f"### {title}", ""]
    if not rows:
        return [*lines, "No usage."]
    lines.append(_USAGE_HEAD.format(key=key))
    lines += [f"| {_cell(r.key)} | {r.input_tokens:,} | {r.output_tokens:,} | {r.cache_creation_tokens:,} | "
              f"{r.cache_read_tokens:,} | {r.total_tokens:,} | {_cost(r.cost_usd, r.cost_complete)} |" for r in rows]
    return lines


def _cost(cost: float | None, complete: bool) -> str:
    if cost is None:
        return "unknown"
    return f"${cost:,.2f}" + ("" if complete else " + unpriced")


def _cell(text: str) -> str:
    """``text`` safe in a table cell: pipes escaped, one line."""
    return text.replace("|", "\\|").replace("\n", " ")
