"""``llm-session hooks install|uninstall|status`` and ``llm-session hook EVENT`` (docs/hooks.md)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ._context import Context

if TYPE_CHECKING:
    from ._hooks_install import Change, Status


def cmd_hooks_install(ctx: Context) -> None:
    from . import _hooks_install

    done = _hooks_install.install(ctx.args.client)
    _report(ctx, done, "Registered llm-session hooks in" if done.changed else "Already registered in")


def cmd_hooks_uninstall(ctx: Context) -> None:
    from . import _hooks_install

    done = _hooks_install.uninstall(ctx.args.client)
    _report(ctx, done, "Removed llm-session hooks from" if done.changed else "No llm-session hooks in")


def _report(ctx: Context, done: Change, said: str) -> None:
    ctx.emit({"client": done.client, "path": str(done.path), "changed": done.changed,
              "backup": str(done.backup) if done.backup else None, "events": done.events},
             lambda _: print(f"{said} {done.path}" + (f" (backup: {done.backup})" if done.backup else ""),
                             file=sys.stderr))


def cmd_hooks_status(ctx: Context) -> None:
    from ...runtime import serve_address
    from . import _hooks_install

    clients = [ctx.args.client] if ctx.args.client else list(_hooks_install.CLIENTS)
    rows = [_hooks_install.status(c) for c in clients]
    serve = serve_address.current()
    ctx.emit({"clients": [{"client": s.client, "path": str(s.path), "events": s.events, "other_hooks": s.others}
                          for s in rows],
              "serve": serve},
             lambda _: _print_status(rows, serve))


def _print_status(rows: list[Status], serve: str | None) -> None:
    for s in rows:
        ours = ", ".join(s.events) if s.events else "not registered"
        others = f"; {s.others} other hook{'s' if s.others != 1 else ''}" if s.others else ""
        print(f"{s.client}: {ours} ({s.path}{others})")
    print(f"serve: {'running at ' + serve + ', hooks hand their work to it' if serve else 'not running'}")


def cmd_hook(ctx: Context) -> None:
    """Run by an assistant: never fails, never prints anything but its answer; errors go to hooks.log."""
    from ...runtime import hook_relay

    a = ctx.args
    try:
        if a.background is not None:
            hook_relay.background(a.background, a.config)
            return
        raw = a.payload.encode() if a.payload is not None else sys.stdin.buffer.read()
        out = hook_relay.run(a.event, raw, a.config, a.client)
        if out:
            sys.stdout.write(out + "\n")
            sys.stdout.flush()
    except BaseException as e:  # noqa: BLE001 -- whatever it is, the assistant must go on: logged, exit 0
        hook_relay.log(a.event, f"{e.__class__.__name__}: {e}")
