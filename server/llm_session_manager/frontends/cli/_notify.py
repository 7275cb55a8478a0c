"""Notification commands: run the rules once, or test the channels (docs/notifications.md)."""

from __future__ import annotations

import sys

from ...core.errors import BadInput
from ._context import Context


def cmd_notify_check(ctx: Context) -> None:
    from ...services import notify

    dry_run = ctx.args.dry_run
    if not dry_run and not notify.enabled_channels(ctx.config):
        raise BadInput("no notification channel is set up (notifications.channels, see docs/notifications.md); "
                       "--dry-run shows what would be sent")
    sent = notify.check(ctx.fresh_conn(), ctx.config, dry_run=dry_run)
    for line in notify.failures(sent):
        print(f"warning: {line}", file=sys.stderr)
    ctx.emit(sent, lambda _: _print_notifications(sent, dry_run))


def cmd_notify_test(ctx: Context) -> None:
    from ...services import notify

    results = notify.send_test(ctx.config, ctx.args.channel)
    if ctx.args.json:
        for d in results:
            if not d.ok:
                print(f"warning: notify: {d.channel} failed: {d.error}", file=sys.stderr)
    ctx.emit(results, lambda _: print("\n".join(
        f"{d.channel}: " + ("ok" if d.ok else f"failed: {d.error}") for d in results)))
    if not all(d.ok for d in results):
        raise SystemExit(1)


def _print_notifications(notes, dry_run: bool) -> None:
    for n in notes:
        outcome = ", ".join(f"{d.channel} {'ok' if d.ok else 'failed'}" for d in n.deliveries)
        print(f"{'would send' if dry_run else 'sent'} [{n.severity}] {n.title}: {n.message}"
              + (f" ({outcome})" if outcome else ""))
    if not notes:
        print("Nothing to notify.", file=sys.stderr)
