"""``statusline stop-agent``, and ``doctor``'s line about the status line's agent (docs/statusline.md#the-agent)."""

from __future__ import annotations

from ...services.doctor import Check
from ._context import Context


def cmd_statusline_stop_agent(ctx: Context) -> None:
    """Ask the running agent to exit; saying so when none runs is no error (the goal is met)."""
    from .statusline_agent import client

    pid = client.stop()
    ctx.emit({"stopped": pid is not None, "pid": pid or None},
             lambda _: print(f"Stopped the status line agent (pid {pid})." if pid else
                             "Stopped an agent of another version." if pid == 0 else
                             "No status line agent is running."))


def check(ctx: Context) -> Check:
    """Whether an agent draws the status lines (absent is no problem: the next line starts one)."""
    from .statusline_agent import client, wire

    name = "statusline agent"
    if not wire.supported():
        return Check(name, True, "not on this system (no Unix sockets): each status line is drawn alone")
    if wire.socket_path() is None:
        return Check(name, True, "not used: the data dir's path is too long for a Unix socket")
    if wire.switched_off():
        return Check(name, True, f"turned off by {wire.ENV}")
    try:
        if not ctx.config.statusline.agent:
            return Check(name, True, "turned off (statusline.agent: false)")
    except Exception:  # noqa: BLE001 -- the config's own check says what is wrong with it
        pass
    found = client.status()
    if found is None:
        return Check(name, True, "not running (the next status line starts it)")
    pid, drawn, same = found
    if not same:
        return Check(name, True, "an agent of another version was running: it exits, the next status line "
                                 "starts this version's")
    return Check(name, True, f"running (pid {pid}, {drawn:,} lines drawn) at {wire.socket_path()}")
