"""A repository's AI usage for a CI job (``ci report``): tokens and cost by model, author and
day, the sessions that worked on the branch being built, what its instruction files cost,
and the budget gates that fail the job.

Two sources. **Transcripts**: a directory laid out like a home directory
(``.claude/projects/...``, ``.codex/sessions/...``, ``.gemini/tmp/...``), committed
or downloaded as an artifact; they are read by the ordinary scan with ``HOME``
pointed into that directory, into a throw-away store, so the runner's own home and
any config's ``sources:`` play no part. **The team server**: its ``GET /api/usage``
by model, day and device (a device, ``user/device``, stands for the author); it
keeps no branches, so no sessions are listed and ``min-health`` has nothing to judge.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

import apsw
import msgspec

from ..core.config import Config
from ..core.errors import BadInput
from ..core.models import Health, UsageReport, UsageReportRow, UsageTotals
from . import ci_git, instructions_budget, unpriced_models
from .instructions_budget import InstructionCost


class BranchSession(msgspec.Struct):
    id: str
    provider: str
    title: str | None
    model: str | None
    author: str
    started_at: str | None  # ISO 8601, UTC
    last_activity: str | None
    total_tokens: int
    cost_usd: float | None
    health: Health


class Gate(msgspec.Struct):
    name: str  # max-cost | max-context-file-tokens | min-health
    limit: float
    value: float | None  # what was measured: the cost, the largest file's tokens, the lowest health
    passed: bool
    message: str


class CiReport(msgspec.Struct):
    source: str  # transcripts | team
    branch: str | None
    totals: UsageTotals
    by_model: list[UsageReportRow]
    by_author: list[UsageReportRow]
    by_day: list[UsageReportRow]
    sessions: list[BranchSession]  # those that worked on ``branch``, newest first
    instruction_files: list[InstructionCost]
    unpriced_models: list[str]
    gates: list[Gate] = []

    @property
    def failed(self) -> list[Gate]:
        return [g for g in self.gates if not g.passed]


class Budgets(msgspec.Struct):
    max_cost: float | None = None
    max_context_file_tokens: int | None = None
    min_health: float | None = None


def from_transcripts(transcripts: Path, repo: Path, config: Config, *, branch: str | None = None,
                     timezone: str | None = None) -> CiReport:
    """The report of the transcripts under ``transcripts`` (a home-like directory)."""
    from .. import ingest
    from ..store import connect

    if not transcripts.is_dir():
        raise BadInput(f"no transcripts directory {transcripts}: commit the assistants' logs there "
                       "(.claude/projects/..., .codex/sessions/...) or download them as an artifact")
    branch = branch or ci_git.branch(repo)
    with tempfile.TemporaryDirectory(prefix="llm-session-ci-") as scratch:
        conn = connect(Path(scratch) / "ci.db")
        try:
            home = transcripts.resolve()
            # Only the transcripts: no config ``sources:`` and none of the runner's assistant variables.
            ingest.scan(conn, msgspec.structs.replace(config, sources={}), env={"HOME": str(home)}, home=home)
            return _report(conn, config, repo, transcripts, branch, timezone)
        finally:
            conn.close()


def _report(conn: apsw.Connection, config: Config, repo: Path, transcripts: Path, branch: str | None,
            timezone: str | None) -> CiReport:
    from . import sessions, usage

    by_model = usage.report(conn, "model")
    by_day = usage.report(conn, "day", timezone=timezone)
    per_session = {r.key: r for r in usage.report(conn, "session").rows}
    history = ci_git.history(repo, transcripts)
    facts: list[tuple[str, float | None, float | None, str | None]] = conn.execute(  # type: ignore[assignment]
        "SELECT id, started_at, last_activity, git_branch FROM sessions").fetchall()
    authors = {sid: history.author(sid, started, last) for sid, started, last, _ in facts}
    on_branch = [sid for sid, _, _, b in facts if branch is not None and b == branch]
    found = sessions.by_ids(conn, config, on_branch)
    return CiReport(
        "transcripts", branch, by_model.totals, by_model.rows,
        _grouped(((authors.get(k, ci_git.UNKNOWN), r) for k, r in per_session.items())), by_day.rows,
        [BranchSession(s.id, s.provider, s.title, s.model, authors.get(s.id, ci_git.UNKNOWN), s.started_at,
                       s.last_activity, s.tokens.total, s.cost_usd, s.health) for s in found],
        instructions_budget.measure(instructions_budget.find(repo), base=repo),
        sorted(set(by_model.unpriced_models)),
    )


def from_team(url: str, token: str, repo: Path, *, branch: str | None = None, timezone: str | None = None,
              insecure: bool = False) -> CiReport:
    """The report of the team server's usage, as the token's owner may see it."""
    from .team import report
    from .team.link import Link, check_url

    link = Link(check_url(url, insecure), token)
    by_model: UsageReport = report.usage(link, "model", timezone=timezone)
    by_day = report.usage(link, "day", timezone=timezone)
    by_device = report.usage(link, "device", timezone=timezone)
    return CiReport("team", branch or ci_git.branch(repo), by_model.totals, by_model.rows, by_device.rows,
                    by_day.rows, [], instructions_budget.measure(instructions_budget.find(repo), base=repo),
                    sorted(set(by_model.unpriced_models)))


def _grouped(rows: Iterable[tuple[str, UsageReportRow]]) -> list[UsageReportRow]:
    """Session rows summed per author, most tokens first."""
    out: dict[str, UsageReportRow] = {}
    for key, r in rows:
        acc = out.setdefault(key, UsageReportRow(key, cost_usd=None))
        acc.input_tokens += r.input_tokens
        acc.output_tokens += r.output_tokens
        acc.cache_creation_tokens += r.cache_creation_tokens
        acc.cache_read_tokens += r.cache_read_tokens
        acc.total_tokens += r.total_tokens
        if r.cost_usd is not None:
            acc.cost_usd = (acc.cost_usd or 0.0) + r.cost_usd
        acc.cost_complete = acc.cost_complete and r.cost_complete
    for acc in out.values():
        acc.cost_usd = unpriced_models.known_cost(acc.cost_usd or 0.0, not acc.cost_complete)
    return sorted(out.values(), key=lambda r: (-r.total_tokens, r.key))


def judge(report: CiReport, budgets: Budgets) -> CiReport:
    """``report`` with a gate for each budget given; each failed one says what was over and by how much."""
    gates = []
    if budgets.max_cost is not None:
        cost = report.totals.cost_usd
        passed = (cost or 0.0) <= budgets.max_cost
        message = (f"cost ${cost or 0:,.2f} is within max-cost ${budgets.max_cost:,.2f}" if passed else
                   f"cost ${cost:,.2f} is over max-cost ${budgets.max_cost:,.2f}")
        if not report.totals.cost_complete:
            message += f" (not counting {', '.join(report.unpriced_models)}: no price known)"
        gates.append(Gate("max-cost", budgets.max_cost, cost, passed, message))
    if budgets.max_context_file_tokens is not None:
        tokens = budgets.max_context_file_tokens
        big = instructions_budget.over(report.instruction_files, tokens)
        largest = max((f.tokens for f in report.instruction_files), default=0)
        message = (f"every instruction file is within max-context-file-tokens {tokens:,}" if not big else
                   "; ".join(f"{f.path} is {f.tokens:,} tokens, over max-context-file-tokens {tokens:,}; "
                             f"largest sections: {f.largest()}" for f in big))
        gates.append(Gate("max-context-file-tokens", tokens, largest, not big, message))
    if budgets.min_health is not None:
        limit = budgets.min_health
        judged = report.sessions
        low = [s for s in judged if s.health.score < limit]
        lowest = min((s.health.score for s in judged), default=None)
        if not judged:
            message = f"no session worked on branch {report.branch or '(unknown)'}: nothing for min-health to judge"
        elif not low:
            message = f"every session on {report.branch} has health {lowest:g} or better, min-health {limit:g}"
        else:
            message = "; ".join(f"session {s.id} ({s.provider}, {s.author}) has health {s.health.score:g} "
                                f"({s.health.status}), under min-health {limit:g}" for s in low)
        gates.append(Gate("min-health", limit, lowest, not low, message))
    return msgspec.structs.replace(report, gates=gates)

