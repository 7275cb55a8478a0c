"""Storing what each response did: its tool calls, their results and sub-agents (migration 018).

Each row is keyed by the log's own ids, so reading a log again adds nothing; a
call read before its result gets the result's tokens from ``tool_results``, where
the results of MCP tools, sub-agents and skills wait for the tokenizer
(``count_results``, which reports call first). An
agent run's type is its Task result's ``agentType``, else the Task call's
``subagent_type`` (the call is stored first, in the same transaction); a run
named before its type was known gets it when it arrives.
"""

from __future__ import annotations

import apsw

from ..core.models import Attribution
from . import tool_uses
from .connection import write_transaction

_CALL = """
INSERT INTO tool_calls (dedup_key, id, session_id, seq, name, detail, result_tokens) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (dedup_key, id) DO UPDATE SET result_tokens = coalesce(result_tokens, excluded.result_tokens)
"""
_RESULT = "INSERT OR IGNORE INTO tool_results (id, session_id, tokens, text) VALUES (?, ?, ?, ?)"
_RUN = """
INSERT INTO agent_runs (agent_id, tool_use_id, agent_type)
VALUES (?1, ?2, coalesce(?3, (SELECT detail FROM tool_calls WHERE id = ?2 AND name IN ('Task', 'Agent'))))
ON CONFLICT (agent_id) DO UPDATE SET agent_type = coalesce(agent_type, excluded.agent_type)
"""
_AGENT = "INSERT OR IGNORE INTO response_agents (dedup_key, agent_id) VALUES (?, ?)"


def record(conn: apsw.Connection, rows: Attribution) -> None:
    """Store one chunk's attribution rows, in the transaction open."""
    conn.executemany(_CALL, rows.calls)
    conn.executemany(_RESULT, rows.results)
    conn.executemany(_RUN, rows.runs)
    conn.executemany(_AGENT, rows.agents)
    tool_uses.record(conn, rows.uses, rows.outputs)  # the conversation's view of the same calls


def count_results(conn: apsw.Connection) -> None:
    """Count the results waiting for the tokenizer (MCP tools, sub-agents, skills), and drop their text."""
    waiting = conn.execute("SELECT id, text FROM tool_results WHERE tokens IS NULL").fetchall()
    if not waiting:
        return
    from ..core.encoding import count_o200k

    counted = [(count_o200k(text if isinstance(text, str) else ""), call) for call, text in waiting]
    with write_transaction(conn):
        conn.executemany("UPDATE tool_results SET tokens = ?, text = NULL WHERE id = ? AND tokens IS NULL", counted)
