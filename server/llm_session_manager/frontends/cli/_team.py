"""``llm-session team ...``: the team server's commands (docs/team.md).

``init-db``, ``serve``, ``user`` and ``token`` work on the server's database
(``--database-url`` or ``$DATABASE_URL``); ``join``, ``push`` and ``usage`` on
this machine, talking to the server over HTTP.
"""

from __future__ import annotations

import sys
from typing import Any

from ._context import Context


def cmd_team_init_db(ctx: Context) -> None:
    from ...team import db

    with db.session(db.database_url(ctx.args.database_url)) as conn:
        before, after = db.migrate(conn)
    ctx.emit({"schema_version": after, "was": before},
             lambda _: print(f"team database at schema version {after}"
                             + (f" (was {before})" if before != after else " (already)"), file=sys.stderr))


def cmd_team_serve(ctx: Context) -> None:
    from ...team import db, serve
    from ..web.app import build as dashboard

    a = ctx.args
    serve.run(db.database_url(a.database_url), a.host, a.port, a.insecure, dashboard)


def cmd_team_user_add(ctx: Context) -> None:
    from ...team import admin, db

    with db.session(db.database_url(ctx.args.database_url)) as conn:
        user = admin.add_user(conn, ctx.args.name, ctx.args.role)
    ctx.emit(user, lambda _: print(f"added {user.role} {user.name}", file=sys.stderr))


def cmd_team_user_list(ctx: Context) -> None:
    from ...team import admin, db

    with db.session(db.database_url(ctx.args.database_url)) as conn:
        users = admin.list_users(conn)

    def human(_: Any) -> None:
        for u in users:
            print(f"{u.name}\t{u.role}\t{', '.join(u.devices) or '-'}")

    ctx.emit(users, human)


def cmd_team_token_create(ctx: Context) -> None:
    from ...team import admin, db

    with db.session(db.database_url(ctx.args.database_url)) as conn:
        issued = admin.create_token(conn, ctx.args.user, ctx.args.device)

    def human(_: Any) -> None:
        print(issued.token)
        print(f"the token of {issued.user}'s device {issued.device}, shown this once: on that machine run "
              "'llm-session team join URL --token TOKEN'", file=sys.stderr)

    ctx.emit(issued, human)


def cmd_team_token_revoke(ctx: Context) -> None:
    from ...team import admin, db

    with db.session(db.database_url(ctx.args.database_url)) as conn:
        revoked = admin.revoke_tokens(conn, ctx.args.user, ctx.args.device)
    ctx.emit(revoked, lambda _: print(f"revoked {revoked.tokens} token(s) of {revoked.user}'s device "
                                      f"{revoked.device}", file=sys.stderr))


def cmd_team_join(ctx: Context) -> None:
    from ...services.team import link

    a = ctx.args
    joined = link.Link(url=link.check_url(a.url, a.insecure), token=a.token.strip())
    where = link.save(joined)
    device = link.client_id(ctx.conn)
    ctx.emit({"url": joined.url, "device_id": device, "path": str(where)},
             lambda _: print(f"joined {joined.url} (saved in {where}); push with 'llm-session team push'",
                             file=sys.stderr))


def cmd_team_push(ctx: Context) -> None:
    from ...services.team import link, push

    joined = link.load()  # before the scan: a machine that joined nothing is told at once
    done = push.push(ctx.fresh_conn(conversation_later=not ctx.config.team.push_messages), joined, batch_size=ctx.args.batch_size,
                     config=ctx.config)
    ctx.emit(done, lambda _: print(
        f"pushed {done.usage} response(s) ({done.usage_new} new to the team) and {done.sessions} session(s) "
        f"to {done.url}" + (f"; {done.messages} message(s), {done.file_refs} file reference(s), {done.memories} "
                            "memory(ies)" if done.messages or done.file_refs or done.memories else ""),
        file=sys.stderr))


def cmd_team_usage(ctx: Context) -> None:
    from ...services.team import link, report

    a = ctx.args
    shown = report.usage(link.load(), a.by, since=a.since, until=a.until, timezone=a.timezone)
    ctx.emit(shown, lambda render: render.usage_table(ctx.console, shown, a.by))
