"""Commands that keep running: the LSP and MCP servers, ``serve`` and the dashboard."""

from __future__ import annotations

import sys

from ._context import Context


def cmd_lsp(ctx: Context) -> None:
    import gc

    # Start-up is mostly imports (lsprotocol builds a class per LSP type), and every
    # collection during them walks all that is alive; the server turns the collector
    # back on once it is built (``lsp.server.run_stdio``).
    gc.disable()
    from ..lsp import run_stdio

    code = run_stdio(ctx.args.config, verbose=ctx.args.verbose)
    if code:
        raise SystemExit(code)


def cmd_mcp(ctx: Context) -> None:
    from ..mcp_server.server import run_stdio

    run_stdio(ctx.args.config, verbose=ctx.args.verbose)


def cmd_mcp_install(ctx: Context) -> None:
    from ..mcp_server import install

    a = ctx.args
    target = install.target(a.client, a.scope)
    if a.print:
        snippet = install.install(target, dry_run=True).snippet
        ctx.emit({"client": a.client, "scope": a.scope, "path": str(target.path), "snippet": snippet},
                 lambda _: print(f"# {target.path}\n{snippet}"))
        return
    done = install.install(target)
    ctx.emit({"client": a.client, "scope": a.scope, "path": str(done.path), "changed": done.changed,
              "backup": str(done.backup) if done.backup else None},
             lambda _: print(f"{'Added llm-session to' if done.changed else 'Already set up in'} {done.path}"
                             + (f" (backup: {done.backup})" if done.backup else ""), file=sys.stderr))


def cmd_serve(ctx: Context) -> None:
    a = ctx.args
    if a.print_token:
        from ...runtime import serve_token

        print(serve_token.load_or_create())
        return
    from .. import serve

    doors = serve.Doors(host=a.host, port=a.port, lsp_port=a.lsp_port, allow_remote=a.allow_remote,
                        max_clients=a.max_clients, idle_timeout=a.idle_timeout)
    serve.run(doors, a.config, verbose=a.verbose)


def cmd_dashboard(ctx: Context) -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("error: the dashboard needs a terminal; in scripts and pipes use "
              "'llm-session list' or 'llm-session analytics' (both take --json)", file=sys.stderr)
        raise SystemExit(2)
    from ..tui import open_dashboard  # Textual only for this command: it costs start-up time

    app = open_dashboard(ctx.config, ctx.conn, theme=ctx.args.theme, refresh=ctx.args.refresh)
    app.run()
    if app.return_code:
        raise SystemExit(app.return_code)
