"""``llm-session context ID``: what a session's context holds, what it cost, and what to cut."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._context import Context

if TYPE_CHECKING:
    from rich.console import Console

    from ...services.context_report import ContextReport


def cmd_context(ctx: Context) -> None:
    from ...services import context_report
    from ..mcp_server.tools.context import own_tools_cost

    report = context_report.build(ctx.fresh_conn(), ctx.config, ctx.args.id, query=ctx.args.query,
                                  own_tools=own_tools_cost())
    ctx.emit(report, lambda _render: _show(ctx.console, report))


def _short(path: str, cwd: str | None) -> str:
    return path[len(cwd.rstrip("/")) + 1:] if cwd and path.startswith(cwd.rstrip("/") + "/") else path


def _tokens(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def _show(console: Console, r: ContextReport) -> None:
    from rich.table import Table

    console.print(f"[bold]Session {r.session_id}[/] ({r.provider}, {r.model or 'model unknown'}): "
                  f"context {r.context.used:,} / {r.context.limit:,} tokens, {r.turns:,} turns")
    if r.suggestions:
        console.print("\n[bold]Suggestions[/] (token figures estimated)")
        for s in r.suggestions:
            console.print(f"  • {s.message}")
    files = Table(title="Files", title_justify="left")
    for column in ("File", "Reads", "Edits", "Named", "Asked", "Then", "Now", "Used again"):
        files.add_column(column, justify="left" if column == "File" else "right")
    if r.query:
        files.add_column("Relevance", justify="right")
    for f in r.files:
        again = {True: "yes", False: "[yellow]no[/]", None: "—"}[f.referred_again]
        row = [_short(f.path, r.cwd), str(f.reads), str(f.edits), str(f.mentions), str(f.asked),
               _tokens(f.tokens_then), _tokens(f.tokens_now) if f.state == "counted" else f.state, again]
        files.add_row(*row, *([f"{f.score:.2f}"] if r.query and f.score is not None else []))
    console.print(files)
    if r.mentioned:
        named = Table(title="Named but never loaded", title_justify="left")
        for column in ("Name", "Found at", "Named", "Asked", "Tokens"):
            named.add_column(column)
        for m in r.mentioned:
            named.add_row(m.name, _short(m.path, r.cwd) if m.path else "—", str(m.mentions), str(m.asked), _tokens(m.tokens_now))
        console.print(named)
    for doc in r.instructions:
        mark = "" if doc.applies else f" (read by {doc.provider}, not this assistant)"
        console.print(f"\n[bold]{doc.path}[/]{mark}: {doc.tokens_per_turn:,} tokens every turn ({doc.token_source})")
        for part in doc.sections:
            flag = "" if part.relevant else "  [yellow]never relevant[/]"
            console.print(f"  {part.heading or '(top)'}: {part.tokens:,}{flag}")
    if r.mcp_servers:
        console.print("\n[bold]MCP servers[/] (tool definitions, every turn)")
        for server in r.mcp_servers:
            cost = f"{server.tokens_per_turn:,} tokens, {server.tools} tools ({server.source})" \
                if server.tokens_per_turn is not None else "cost unknown (its tool list is not in the logs)"
            console.print(f"  {server.name}: {cost}")
