"""Memory commands: remember, memorize, recall, and memory import / list / forget (docs/memory.md)."""

from __future__ import annotations

import sys
from pathlib import Path

from ._context import Context, ScanProgress, parse_since


def cmd_remember(ctx: Context) -> None:
    from ...services import memory

    a = ctx.args
    m = memory.remember(ctx.conn, a.text, project=a.project, tags=a.tag or (), config=ctx.config)
    if a.share:
        from ...services.team import push_shared

        push_shared.share(ctx.conn, m.id, a.share)
    ctx.emit({"id": m.id}, lambda _: print(f"Remembered {m.id}"))


def cmd_memorize(ctx: Context) -> None:
    from ...services import memory

    found = memory.memorize(ctx.fresh_conn(), ctx.config, ctx.args.id)
    ctx.emit(found, lambda _: _print_memories(found, f"{len(found)} new memories"))


def cmd_recall(ctx: Context) -> None:
    from ...services import memory

    a = ctx.args
    conn = ctx.fresh_conn() if a.import_to else ctx.conn
    found = memory.recall(conn, a.query, limit=a.limit, project=a.project, tags=a.tag or (),
                          since=parse_since(a.since) if a.since else None, config=ctx.config)
    if a.import_to:
        written: list[memory.Memory] = list(found)
        path = memory.import_to_session(conn, ctx.config, a.import_to, written)
        print(f"Wrote {len(found)} memories to {path}", file=sys.stderr)
    cost = f"{len(found)} memories, {sum(m.tokens for m in found):,} tokens"
    ctx.emit(found, lambda _: _print_memories(found, cost if found else "No memories match."))


def cmd_memory_import(ctx: Context) -> None:
    from ...services import memory

    with _ImportProgress(enabled=not ctx.args.json) as progress:
        result = memory.import_jsonl(ctx.conn, Path(ctx.args.file), progress=progress, config=ctx.config)
    ctx.emit(result, lambda _: print(
        f"Imported {result.imported:,} memories; skipped {result.skipped:,} already stored, "
        f"{result.malformed:,} malformed lines"))


def cmd_memory_list(ctx: Context) -> None:
    from ...services import memory

    a = ctx.args
    found = memory.list_memories(ctx.conn, project=a.project, tag=a.tag, limit=a.limit)
    ctx.emit(found, lambda _: _print_memories(found, "No memories yet." if not found else None))


def cmd_memory_forget(ctx: Context) -> None:
    from ...services import memory

    a = ctx.args
    ids = memory.forget_where(
        ctx.conn, memory_id=a.id, session_id=_session_id(ctx, a.session) if a.session else None, tag=a.tag,
        since=parse_since(a.since) if a.since else None, dry_run=a.dry_run,
    )
    verb = "Would forget" if a.dry_run else "Forgot"
    ctx.emit(
        {**({"id": a.id} if a.id else {}), "forgotten": bool(ids) and not a.dry_run, "count": len(ids), "ids": ids,
         "dry_run": a.dry_run},
        lambda _: print(f"{verb} {a.id}" if a.id and not (a.session or a.tag or a.since) and ids
                        else f"{verb} {len(ids)} memor{'y' if len(ids) == 1 else 'ies'}"),
    )


def _session_id(ctx: Context, ref: str) -> str:
    """A session's full id from a prefix; an id no longer in the store is taken as it is."""
    from ...core.errors import NotFound
    from ...services import sessions

    try:
        return sessions.resolve_id(ctx.conn, ref)
    except NotFound:
        return ref


def _print_memories(found, note: str | None) -> None:
    for m in found:
        score = f"{m.score:.2f} " if m.score is not None else ""
        where = " ".join(x for x in (m.project and f"[{m.project}]", " ".join(f"#{t}" for t in m.tags)) if x)
        print(f"{score}{m.id[:8]}  {m.text}" + (f"  {where}" if where else ""))
    if note:
        print(note, file=sys.stderr)


class _ImportProgress(ScanProgress):
    """The scan's progress bar, over the bytes of an import file."""

    def update(self, done: int, total: int) -> None:
        super().update(done, total)
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, description="Importing memories")
