"""``llm-session team chat link|link-code``: chat accounts linked to team users (docs/chat.md).

Run on the server with its database URL, like ``team user`` and ``team token``.
"""

from __future__ import annotations

import sys
import time

from ._context import Context


def cmd_team_chat_link(ctx: Context) -> None:
    from ...team import chat, db

    a = ctx.args
    with db.session(db.database_url(a.database_url)) as conn:
        made = chat.link(conn, a.platform, a.workspace or "", a.chat_user, a.user)
    ctx.emit(made, lambda _: print(f"linked {made.platform} user {made.chat_user} to team user {made.user}",
                                   file=sys.stderr))


def cmd_team_chat_link_code(ctx: Context) -> None:
    from ...team import chat, db

    with db.session(db.database_url(ctx.args.database_url)) as conn:
        issued = chat.link_code(conn, ctx.args.user, time.time())

    def human(_: object) -> None:
        print(issued.code)
        print(f"a one-time code for {issued.user}, valid until {issued.expires_at}: send '/llm link {issued.code}' "
              "to the bot from the chat account to link", file=sys.stderr)

    ctx.emit(issued, human)
