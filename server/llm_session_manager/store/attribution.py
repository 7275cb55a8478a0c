"""Storing what each response did: its tool calls, their results and sub-agents (migration 018).

Each row is keyed by the log's own ids, so ``INSERT OR IGNORE`` makes reading a
log again harmless. The one exception is an agent run's type: a Task call's
``toolUseResult`` may name it after a progress line has named the run, so it is
filled in when it arrives.
"""

from __future__ import annotations

import apsw

from ..core.models import Attribution

_CALL = "INSERT OR IGNORE INTO tool_calls (id, session_id, dedup_key, seq, name, detail) VALUES (?, ?, ?, ?, ?, ?)"
_RESULT = "INSERT OR IGNORE INTO tool_results (id, session_id, tokens) VALUES (?, ?, ?)"
_RUN = """
INSERT INTO agent_runs (agent_id, tool_use_id, agent_type) VALUES (?, ?, ?)
ON CONFLICT (agent_id) DO UPDATE SET agent_type = coalesce(agent_type, excluded.agent_type)
"""
_AGENT = "INSERT OR IGNORE INTO response_agents (dedup_key, agent_id) VALUES (?, ?)"


def record(conn: apsw.Connection, rows: Attribution) -> None:
    """Store one chunk's attribution rows, in the transaction open."""
    conn.executemany(_CALL, rows.calls)
    conn.executemany(_RESULT, rows.results)
    conn.executemany(_RUN, rows.runs)
    conn.executemany(_AGENT, rows.agents)
