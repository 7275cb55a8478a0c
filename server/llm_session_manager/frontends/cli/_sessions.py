"""Commands that fill the store and look at or label its sessions."""

from __future__ import annotations

import sys
from argparse import Namespace
from pathlib import Path

import msgspec

from ...core.models import short_id
from ._context import Context, ScanProgress, parse_since, warn_unpriced, write_pieces, write_text


def cmd_scan(ctx: Context) -> None:
    result = ctx.scan()
    ctx.emit(result, lambda render: render.scan_result(ctx.console, result))


def cmd_import(ctx: Context) -> None:
    from ... import ingest
    from ...sources.exports import EXPORTS

    a = ctx.args
    with ScanProgress(enabled=not a.json) as progress:
        result = ingest.import_files(ctx.conn, EXPORTS[a.kind] if a.kind else None,
                                     [Path(f).expanduser() for f in a.files], progress=progress)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    ctx.emit(result, lambda render: render.scan_result(ctx.console, result))


def cmd_list(ctx: Context) -> None:
    from ...services import sessions, unpriced_models

    a = ctx.args
    filters = sessions.Filters(
        provider=a.provider, tag=a.tag, project=a.project, active=a.active,
        since=parse_since(a.since) if a.since else None,
    )
    conn = ctx.fresh_conn()
    if a.json and a.sort == "last_activity" and not a.reverse and not a.active:
        from ...services import session_listing

        listing = session_listing.listing(conn, ctx.config, filters, limit=a.limit)
        warn_unpriced(unpriced_models.of_sessions(conn, listing.unpriced))
        write_pieces(listing.pieces)
        return
    found = sessions.list_sessions(conn, ctx.config, filters, sort=a.sort, reverse=a.reverse, limit=a.limit)
    warn_unpriced(unpriced_models.of_sessions(conn, [s.id for s in found if not s.cost_complete]))
    ctx.emit(found, lambda render: render.session_table(
        ctx.console, found, emoji=ctx.config.dashboard.show_emoji,
        ids=sessions.short_ids(conn, [s.id for s in found]),
        filters=filters_given(a, "provider", "tag", "project", "active", "since"),
        total=sessions.count(conn) if not found else None,
    ))


def filters_given(args: Namespace, *names: str) -> str:
    """The options among ``names`` the user gave, as typed: ``--provider codex --active``."""
    given = []
    for name in names:
        value = getattr(args, name, None)
        if value is True:
            given.append(f"--{name}")
        elif value not in (None, False):
            given.append(f"--{name} {value}")
    return " ".join(given)


def cmd_show(ctx: Context) -> None:
    from ...services import export, sessions, unpriced_models

    if ctx.args.message is not None:
        from ._search import show_message

        show_message(ctx)
        return
    conn = ctx.fresh_conn()
    session = sessions.get_session(conn, ctx.config, ctx.args.id)
    if not session.cost_complete:
        warn_unpriced(unpriced_models.of_sessions(conn, [session.id]))
    if ctx.args.json:
        ctx.emit(session, lambda _: None)
        return
    from . import render

    # The export's JSON, secrets redacted as in every export, read back for the terminal.
    report = msgspec.json.decode(export.render(conn, ctx.config, session.id, "json"), type=export.SessionReport)
    render.session_report(ctx.console, report)


def cmd_export(ctx: Context) -> None:
    from ...services import export

    text = export.render(ctx.fresh_conn(), ctx.config, ctx.args.id, ctx.args.format)
    write_text(text, ctx.args.output)


def cmd_tag(ctx: Context) -> None:
    from ...services import sessions

    sid = sessions.tag(ctx.conn, ctx.args.id, ctx.args.tags)
    ctx.emit({"id": sid, "tags": sessions.get_session(ctx.conn, ctx.config, sid).tags},
             lambda _: print(f"Tagged {short_id(sid)}: {' '.join(ctx.args.tags)}"))


def cmd_untag(ctx: Context) -> None:
    from ...services import sessions

    sid = sessions.untag(ctx.conn, ctx.args.id, ctx.args.tags)
    ctx.emit({"id": sid, "tags": sessions.get_session(ctx.conn, ctx.config, sid).tags},
             lambda _: print(f"Removed from {short_id(sid)}: {' '.join(ctx.args.tags)}"))


def cmd_set_project(ctx: Context) -> None:
    from ...services import sessions

    sid = sessions.set_project(ctx.conn, ctx.args.id, ctx.args.name)
    ctx.emit({"id": sid, "project": ctx.args.name.strip()},
             lambda _: print(f"Session {short_id(sid)} is now in project {ctx.args.name.strip()!r}"))
