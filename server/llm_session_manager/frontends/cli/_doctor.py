"""``doctor``: check the store, and with ``--recover`` get a damaged one back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._context import Context

if TYPE_CHECKING:
    from ...store.recover import Recovered


def cmd_doctor(ctx: Context) -> None:
    from ...store import db_path, recover
    from ...store.failures import corrupt

    path = db_path()
    found = recover.check(path)
    if not ctx.args.recover:
        ctx.emit(found, lambda _: print(f"{path}: ok") if found.ok else None)
        if not found.ok:
            raise corrupt(path, "; ".join(found.problems))
        return
    if found.ok:
        ctx.emit({"database": str(path), "ok": True, "recovered": None},
                 lambda _: print(f"{path} passes SQLite's check: nothing to recover"))
        return
    done = recover.recover(path)
    ctx.emit({"database": str(path), "ok": False, "recovered": done}, lambda _: _print_recovered(done))


def _print_recovered(done: Recovered) -> None:
    from ._setup import self_command

    if any(done.tables.values()):
        print(f"Recovered into {done.database}:")
        for table, rows in done.tables.items():
            if rows:
                print(f"  {table:<20} {rows:>8,} rows")
    else:
        print(f"SQLite could read nothing of the damaged file; {done.database} is a new, empty database.")
    if done.incomplete:
        if any(done.tables.values()):
            print(f"Some rows of {', '.join(done.incomplete)} sat on damaged pages and could not be read.")
        print("The next scan reads your logs again and brings back what they still hold.")
    print(f"The damaged file was moved to {done.damaged_copy} (not deleted).")
    print(f"Next: {self_command()} scan")
