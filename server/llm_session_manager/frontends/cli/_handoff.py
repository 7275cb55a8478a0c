"""``llm-session handoff``, ``take``, ``team history`` and ``memory share``: a session
handed to a teammate and carried on there, its history, and memories shared with
the team (docs/team.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ._context import Context


def cmd_handoff(ctx: Context) -> None:
    from ...services.sessions import resolve_id
    from ...services.team import handoff, link, push

    a = ctx.args
    joined = link.load()
    conn = ctx.fresh_conn()
    session_id = resolve_id(conn, a.id)
    project = next((p for (p,) in conn.execute("SELECT project FROM sessions WHERE id = ?", (session_id,))), None)
    if project not in ctx.config.team.push_messages and not a.json:
        print(f"note: project {project or '(none)'} is not in team.push_messages: {a.to} gets no conversation "
              "of this session to resume from", file=sys.stderr)
    push.push(conn, joined, config=ctx.config)  # the receiver gets the session as it is now
    made = handoff.hand_off(joined, session_id, a.to, a.note)
    ctx.emit(made, lambda _: print(f"handed session {session_id} to {made.receiver}; they run "
                                   f"'llm-session take {session_id}'", file=sys.stderr))


def cmd_take(ctx: Context) -> None:
    from ...services.team import handoff, link

    a = ctx.args
    pack = handoff.fetch(link.load(), a.id.strip())
    checkout = Path(a.checkout or ".").resolve()
    resume = handoff.resume_pack(pack, checkout, a.exchanges)
    if a.print:
        ctx.emit(resume, lambda _: sys.stdout.write(handoff.markdown(resume)))
        return
    resume = handoff.place(pack, resume, handoff.claude_config_dir(), force=a.force)

    def human(_: Any) -> None:
        print(f"took session {resume.session_id} from {resume.sender}; resume pack in {resume.pack_markdown}",
              file=sys.stderr)
        if resume.transcript:
            print(f"transcript written to {resume.transcript}", file=sys.stderr)
            print(resume.resume)
        elif not resume.exchanges:
            print("no conversation of it was pushed (its project is not in the sender's team.push_messages): "
                  "the pack has no exchanges and there is no transcript to resume", file=sys.stderr)

    ctx.emit(resume, human)


def cmd_team_history(ctx: Context) -> None:
    from ...core.team_share_wire import History, history_path
    from ...services.team import client, link

    found = client.request(link.load(), history_path(ctx.args.id.strip()), History)

    def human(_: Any) -> None:
        from datetime import datetime

        def at(ts: float | None) -> str:
            return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts is not None else "-"

        for d in found.devices:
            print(f"{d.user}/{d.device}\t{at(d.first)} .. {at(d.last)}\t{d.messages} message(s)\t"
                  f"{d.responses} response(s)")
        for h in found.handoffs:
            taken = f", taken {at(h.taken_at)}" if h.taken_at is not None else ""
            print(f"handoff {h.sender} -> {h.receiver} {at(h.created_at)}{taken}" + (f": {h.note}" if h.note else ""))

    ctx.emit(found, human)


def cmd_memory_share(ctx: Context) -> None:
    from ...services.team import push_shared

    found = push_shared.share(ctx.conn, ctx.args.id, ctx.args.scope)
    ctx.emit({"id": found, "scope": ctx.args.scope},
             lambda _: print(f"memory {found} shared ({ctx.args.scope}); 'llm-session team push' sends it",
                             file=sys.stderr))
