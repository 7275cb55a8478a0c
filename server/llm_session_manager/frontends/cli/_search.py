"""``search`` and ``show ID --message N``: where something was said, and that message in its place (docs/search.md)."""

from __future__ import annotations

import sys

from ._context import Context, parse_since

HIGHLIGHT = "bold yellow"  # rich drops the colour under NO_COLOR and keeps the bold


def cmd_search(ctx: Context) -> None:
    from ...services import history

    a = ctx.args
    result = history.search(
        ctx.fresh_conn(), a.query, session_id=a.session, provider=a.provider, project=a.project,
        since=parse_since(a.since) if a.since else None, role=a.role, sort=a.sort, limit=a.limit,
    )
    ctx.emit(result, lambda _: _print_matches(ctx, result))


def _print_matches(ctx: Context, result) -> None:
    from rich.text import Text

    from ...core.models import short_id

    console = ctx.console
    for m in result.matches:
        where = " ".join(x for x in (m.provider, m.project and f"[{m.project}]", m.role if m.kind == m.role else
                                     f"{m.role}/{m.kind}") if x)
        head = Text(f"{short_id(m.session_id)} #{m.message}", style="bold")
        head.append(f"  {(m.ts or '')[:16].replace('T', ' ')}  {where}", style="dim")
        if m.score is not None:
            head.append(f"  {m.score:.2f}", style="dim")
        console.print(head, soft_wrap=True)
        body = Text("  " + m.snippet)
        for start, end in m.highlights:
            body.stylize(HIGHLIGHT, start + 2, end + 2)
        console.print(body, soft_wrap=True)
    if not result.matches:
        print("No messages match.", file=sys.stderr)
    else:
        more = " (more match: raise --limit or narrow the search)" if result.truncated else ""
        print(f"{len(result.matches)} matches{more}; 'llm-session show ID --message N' shows one in its place",
              file=sys.stderr)


def show_message(ctx: Context) -> None:
    """``show ID --message N``: that message with its neighbours, secrets redacted."""
    from ...services import history

    found = history.message_context(ctx.fresh_conn(), ctx.args.id, ctx.args.message)
    ctx.emit(found, lambda _: _print_context(ctx, found))


def _print_context(ctx: Context, found) -> None:
    from rich.text import Text

    from ...services.conversation import size_words

    console = ctx.console
    console.print(Text(f"{found.session_id} ({found.provider}{', ' + found.project if found.project else ''}): "
                       f"message {found.message} of {found.total}", style="bold"))
    for line in found.messages:
        mark = ">" if line.message == found.message else " "
        head = Text(f"{mark} #{line.message}  {(line.ts or '')[:19].replace('T', ' ')}  {line.role}/{line.kind}",
                    style="bold" if mark == ">" else "dim")
        console.print(head, soft_wrap=True)
        console.print(Text(line.text), style=None if mark == ">" else "dim", soft_wrap=True)
        for call in line.tools:
            size = f" · result {size_words(call.result_bytes)}" if call.result_bytes is not None else ""
            console.print(Text(f"  ⚙ {call.name}" + (f" · {call.input}" if call.input else "") + size,
                               style="cyan" if mark == ">" else "dim"), soft_wrap=True)
