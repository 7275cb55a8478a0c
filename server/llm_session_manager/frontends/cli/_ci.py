"""``ci report``, ``instructions-budget`` and ``health-check``: AI usage in CI jobs and pre-commit hooks (docs/ci.md)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from ...core.errors import BadInput, BudgetExceeded
from ._context import Context, write_json


def cmd_ci_report(ctx: Context) -> None:
    from ...services import ci_markdown, ci_report

    a = ctx.args
    repo = Path(a.repo)
    token = a.team_token or os.environ.get("LLM_SESSION_TEAM_TOKEN")
    if a.team_url:
        if not token:
            raise BadInput("--team-url needs a device token: --team-token or $LLM_SESSION_TEAM_TOKEN")
        report = ci_report.from_team(a.team_url, token, repo, branch=a.branch, timezone=a.timezone)
    else:
        transcripts = Path(a.transcripts)
        report = ci_report.from_transcripts(transcripts if transcripts.is_absolute() else repo / transcripts, repo,
                                            ctx.config, branch=a.branch, timezone=a.timezone)
    report = ci_report.judge(report, ci_report.Budgets(a.max_cost, a.max_context_file_tokens, a.min_health))
    markdown = ci_markdown.render(report)
    if a.summary:
        try:
            with open(a.summary, "a", encoding="utf-8") as f:  # GitHub's step summary is appended to, step by step
                f.write(markdown)
        except OSError as e:
            raise BadInput(f"cannot write the summary to {a.summary}: {e.strerror}") from e
    if a.comment:
        _comment(markdown)
    _emit(ctx, report, lambda: print(markdown, end=""))
    if report.failed:
        raise BudgetExceeded("; ".join(f"{g.name}: {g.message}" for g in report.failed))


def _emit(ctx: Context, value: Any, human: Callable[[], None]) -> None:
    """``ctx.emit`` without its table renderer: these commands print plain lines, and a hook
    cannot spare the renderer's start-up time."""
    if ctx.args.json:
        write_json(msgspec.json.format(msgspec.json.encode(value), indent=2))
    else:
        human()


def _comment(markdown: str) -> None:
    """Post or update the comment; a failure is a warning, not the job's failure (a fork's pull request
    gets a token that cannot write)."""
    from ...core.errors import CiCommentError
    from ...services import ci_comment

    try:
        posted = ci_comment.post(markdown)
    except CiCommentError as e:
        print(f"warning: {e}", file=sys.stderr)
        return
    print(f"{posted.action} the report comment: {posted.url}", file=sys.stderr)


def cmd_instructions_budget(ctx: Context) -> None:
    from ...services import instructions_budget as budget

    a = ctx.args
    paths = [Path(f) for f in a.files if budget.is_instruction_file(f)] if a.files else budget.find(Path("."))
    conn = _store_if_any()
    try:
        costs = budget.measure(paths, conn)
    finally:
        if conn is not None:
            conn.close()
    big = budget.over(costs, a.max_tokens)

    def human() -> None:
        for c in costs:
            print(f"{c.path}: {c.tokens:,} tokens per turn ({'over' if c in big else 'within'} {a.max_tokens:,})")

    _emit(ctx, costs, human)
    if big:
        raise BudgetExceeded("; ".join(f"{c.path} is {c.tokens:,} tokens, over the budget of {a.max_tokens:,} "
                                       f"(--max-tokens); largest sections: {c.largest()}" for c in big))


def _store_if_any() -> Any:
    """The store, to keep and reuse token counts, only where one exists: a hook never creates it."""
    from ...store import connect, db_path

    return connect() if db_path().is_file() else None


def cmd_health_check(ctx: Context) -> None:
    from ...services import health_check

    a = ctx.args
    found = health_check.check(Path(a.cwd), ctx.config)

    def human() -> None:
        if not found.store:
            print("no llm-session store on this machine: no session to check")
        elif found.health is None:
            print(f"no session has worked in {found.cwd}")
        else:
            print(f"session {found.session_id} ({found.provider}): health {found.health.score:g} {found.health.status}")

    _emit(ctx, found, human)
    if found.fails(a.fail_on):
        assert found.health is not None
        raise BudgetExceeded(f"the {found.provider} session {found.session_id} working here is {found.health.status} "
                             f"(health {found.health.score:g}; --fail-on {a.fail_on}): "
                             f"see 'llm-session show {found.session_id}' and 'llm-session recommend'")
    if found.worrying():
        assert found.health is not None
        print(f"warning: the {found.provider} session {found.session_id} working here is {found.health.status} "
              f"(health {found.health.score:g})", file=sys.stderr)
