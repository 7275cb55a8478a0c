"""``export-conversation``, ``record``, ``unrecord`` and ``prune`` (docs/conversations.md).

``replay`` is in ``_replay``: it owns the terminal while it plays.
"""

from __future__ import annotations

from ._context import Context, write_text


def cmd_export_conversation(ctx: Context) -> None:
    from ...services import conversation_export

    text = conversation_export.render(ctx.fresh_conn(), ctx.config, ctx.args.id, ctx.args.format,
                                      system=ctx.args.system)
    write_text(text, ctx.args.output)


def cmd_record(ctx: Context) -> None:
    from ...services import retention

    if ctx.args.off:
        return cmd_unrecord(ctx)
    done = retention.pin(ctx.conn, ctx.args.id)
    ctx.emit(done, lambda _: print(f"Pinned {done.id}: its whole conversation is kept"
                                   + ("" if done.changed else " (it already was pinned)")))


def cmd_unrecord(ctx: Context) -> None:
    from ...services import retention

    done = retention.unpin(ctx.conn, ctx.args.id)
    ctx.emit(done, lambda _: print(f"Unpinned {done.id}: retention applies to it again"
                                   if done.changed else f"{done.id} was not pinned"))


def cmd_prune(ctx: Context) -> None:
    from ...services import retention

    done = retention.prune(ctx.conn, ctx.config, days=ctx.args.days, dry_run=ctx.args.dry_run)

    def human(_: object) -> None:
        verb = "Would empty" if done.dry_run else "Emptied"
        print(f"{verb} {done.messages:,} message bodies ({done.chars:,} characters) in {done.sessions:,} sessions, "
              f"older than {done.before} ({done.days:g} days)")
        if done.pinned_kept:
            print(f"Kept {done.pinned_kept:,} pinned sessions whole")
        print("Usage, costs and file references are kept." + (" Nothing changed (dry run)." if done.dry_run else ""))

    ctx.emit(done, human)
