"""Which logs the store read have since been deleted (or moved away).

Claude Code deletes transcripts after ``cleanupPeriodDays``; what the store read
from them stays, and ``list`` and ``show`` say the log is gone (``gone_logs``,
migration 017). A scan learns it here: a log the store remembers that discovery
no longer finds is stat'ed (only those: a rescan of 20,000 unchanged logs stats
nothing more), and one that does not exist is noted with the time it was first
missed. A log that comes back (restored from a backup) is no longer gone.
The sessions all of whose logs are gone (``sessions_log_gone``) are worked out
again then, and only then: after months of Claude Code's cleanup most sessions'
logs are gone, and joining them on every ``list`` would cost it tens of ms.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

import apsw

from ..store import write_transaction


def note_gone(conn: apsw.Connection, known: Mapping[str, object], present: set[str]) -> None:
    """Bring ``gone_logs`` up to date: ``known`` are the paths the store has read (its keys), ``present``
    what this scan discovered."""
    # Most scans find every log the store read: that is checked without building a set of them.
    missing = set() if present.issuperset(known) else {path for path in known.keys() - present
                                                         if not os.path.exists(path)}
    marked = {row[0] for row in conn.execute("SELECT path FROM gone_logs")}
    new = missing - marked
    back = marked - missing
    if not new and not back:
        return
    now = time.time()
    with write_transaction(conn):
        conn.executemany("INSERT OR IGNORE INTO gone_logs (path, since) VALUES (?, ?)", [(p, now) for p in new])
        conn.executemany("DELETE FROM gone_logs WHERE path = ?", [(p,) for p in back])
        conn.execute("DELETE FROM sessions_log_gone")
        conn.execute(_ALL_GONE)


# Sessions one of whose logs is gone, and none of whose logs is still there.
_ALL_GONE = """
INSERT OR IGNORE INTO sessions_log_gone (session_id)
SELECT DISTINCT l.session_id FROM gone_logs g JOIN session_logs l ON l.path = g.path
WHERE NOT EXISTS (SELECT 1 FROM session_logs o
                  WHERE o.session_id = l.session_id AND o.path NOT IN (SELECT path FROM gone_logs))
"""
