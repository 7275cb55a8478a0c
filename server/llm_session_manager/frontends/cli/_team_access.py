"""``team user passwd``, ``team grants`` and ``share``: who may sign in and who may see what (docs/team.md).

``team user passwd`` works on the server's database, like ``team user add``;
``share`` and ``team grants`` ask the server this data dir joined.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from ...core.errors import BadInput
from ._context import Context


def cmd_team_user_passwd(ctx: Context) -> None:
    from ...team import db, passwords

    password = _read_password(ctx.args.password_stdin)
    passwords.check_strength(password)
    with db.session(db.database_url(ctx.args.database_url)) as conn:
        passwords.set_password(conn, ctx.args.name, password)
    ctx.emit({"user": ctx.args.name, "password_set": True},
             lambda _: print(f"set the web sign-in password of {ctx.args.name}; their sign-ins ended",
                             file=sys.stderr))


def cmd_team_grants(ctx: Context) -> None:
    from ...services.team import link, share

    found = share.grants(link.load())

    def human(_: Any) -> None:
        for g in found:
            level = g.access if g.access == g.effective else f"{g.access} (acts as {g.effective})"
            print(f"{g.id}\t{g.owner}'s {g.scope} {g.resource}\t-> {g.user}\t{level}")

    ctx.emit(found, human)


def cmd_share(ctx: Context) -> None:
    from ...services.team import link, share

    a = ctx.args
    joined = link.load()
    target: dict[str, str] = {"project": a.id} if a.project else {"session": share.session_id(ctx.conn, a.id)}
    if a.revoke:
        if a.write:
            raise BadInput("--write makes no sense with --revoke")
        gone = share.revoke(joined, user=a.with_user, **target)
        ctx.emit(gone, lambda _: print(f"{gone.user} no longer has {gone.scope} {gone.resource}", file=sys.stderr))
        return
    made = share.share(joined, user=a.with_user, write=a.write, **target)
    note = "" if made.access == made.effective else f" ({made.user} is a viewer: read only)"
    ctx.emit(made, lambda _: print(f"shared {made.scope} {made.resource} with {made.user}, {made.access}{note}",
                                   file=sys.stderr))


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise BadInput("no terminal to ask the password on: pass it with --password-stdin")
    first = getpass.getpass("new password: ")
    if getpass.getpass("again: ") != first:
        raise BadInput("the two passwords differ")
    return first
