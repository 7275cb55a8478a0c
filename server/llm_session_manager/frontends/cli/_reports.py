"""Commands that report on the store: usage, analytics, billing blocks, advice, tokens."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ...core import args
from ...core.errors import BadInput
from ...core.models import ATTRIBUTION_GROUPS
from ._context import Context, warn_unpriced, write_pieces


def cmd_usage(ctx: Context) -> None:
    from ...services import usage

    a = ctx.args
    # By what responses did: that is read with the conversation, which must be stored first.
    conn = ctx.fresh_conn(conversation_later=a.by not in ATTRIBUTION_GROUPS)
    if a.json and a.by == "session" and not any((a.since, a.until, a.provider, a.project, a.timezone, a.breakdown)):
        from ...services import usage_kept

        document = usage_kept.per_session(conn)  # the whole history's, as kept
        warn_unpriced(document.unpriced_models)
        write_pieces(document.pieces)
        return
    report = usage.report(conn, a.by, since=a.since, until=a.until, provider=a.provider, project=a.project,
                          timezone=a.timezone, breakdown=a.breakdown)

    def human(render: Any) -> None:
        from ...services import sessions  # for people only: it loads the process scanner
        from ._sessions import filters_given

        render.usage_table(
            ctx.console, report, a.by,
            labels=sessions.short_ids(conn, [r.key for r in report.rows]) if a.by == "session" else None,
            filters=filters_given(a, "since", "until", "provider", "project"),
            total=sessions.count(conn) if not report.rows else None,
        )

    warn_unpriced(report.unpriced_models)
    ctx.emit(report, human)


def cmd_analytics(ctx: Context) -> None:
    from ...services import analytics

    a = ctx.args
    days = analytics.parse_count("days", a.days, args.Days)
    top = analytics.parse_count("top", a.top, args.Top)
    report = analytics.report(ctx.fresh_conn(), ctx.config, days=days, top=top)
    warn_unpriced(report.unpriced_models)
    ctx.emit(report, lambda render: render.analytics(ctx.console, report))


def cmd_blocks(ctx: Context) -> None:
    from ...services import analytics

    a = ctx.args
    days = analytics.parse_count("days", a.days, args.Days) if a.days is not None else None
    shown = analytics.blocks_report(ctx.fresh_conn(), days=days, active=a.active)
    warn_unpriced(sorted({m for b in shown for m in b.unpriced_models}))
    ctx.emit(shown, lambda render: render.billing_blocks(ctx.console, shown))


def cmd_recommend(ctx: Context) -> None:
    from ...services import recommend, sessions

    conn = ctx.fresh_conn()
    if ctx.args.ids:
        found = [sessions.get_session(conn, ctx.config, ref) for ref in dict.fromkeys(ctx.args.ids)]
    else:
        found = recommend.considered(conn, ctx.config)
    recs = recommend.for_sessions(found, ctx.config, only_recent=not ctx.args.ids, conn=conn)
    ctx.emit(recs, lambda render: render.recommendations(ctx.console, recs))


def cmd_local(ctx: Context) -> None:
    from ...services import local_models

    found = local_models.loaded(ctx.config)
    ctx.emit(found, lambda render: render.local_models(ctx.console, found))


def cmd_count_tokens(ctx: Context) -> None:
    from ...services import tokens

    source = ctx.args.file
    if source == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(source).read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            raise BadInput(f"cannot read {source}: {e.strerror}") from e
    count = tokens.count_tokens(text, ctx.args.model, ctx.conn)
    ctx.emit(count, lambda render: render.token_count(ctx.console, count))
