"""Usage by what a response did: the agent it ran in, the tool, MCP server or skill it called.

Every response's usage goes to exactly one key, so the rows add up to the
``usage`` report's totals for the same filters:

* ``tool``: the first tool the response called (in the order its blocks were
  written), ``(none)`` when it called none. A response calling Read and Grep at
  once is Read's: its tokens cannot be split by what each call cost.
* ``mcp-server``: the server of the first MCP tool it called (``mcp__<server>__<tool>``),
  else the ``mcp_server.name`` Claude Code's OTLP export gave the request, else ``(none)``.
* ``skill``: the skill it loaded with the Skill tool, else OTLP's ``skill.name``, else ``(none)``.
* ``agent``: a sidechain response's sub-agent type (the ``agentType`` the result
  of the Task/Agent call that started it names, else that call's ``subagent_type``,
  else ``(sub-agent)``), OTLP's ``agent.name``, ``(advisor)`` for advisor calls, and
  ``(main)`` for the main conversation.

Each row also says how often the key was called (``calls``: tool calls; for
agents, sub-agent runs) and how many tokens those calls' results put into the
context (``result_tokens``, counted with our tokenizer: an estimate). For an
agent, that is the answer the sub-agent handed back to the conversation.
"""

from __future__ import annotations

import apsw
import msgspec

from ..core import args, pricing, when
from ..core.models import MCP_SERVER_NAME, Provenance, UsageReport, UsageReportRow, provenance
from ..store.attribution import count_results
from . import unpriced_models
from .usage import response_filters, totals_of

NONE = "(none)"
MAIN = "(main)"
_OUR_TOOLS = f"mcp__{MCP_SERVER_NAME}__*"

# The response's key, per group (``u`` a usage row; ``o`` and ``ob`` its OTLP report, by key and by request id).
_MCP_SERVER = "substr({c}.name, 6, instr(substr({c}.name, 6), '__') - 1)"
_KEYS = {
    "tool": "coalesce((SELECT c.name FROM tool_calls c WHERE c.dedup_key = u.dedup_key ORDER BY c.seq, c.id LIMIT 1), "
            f"'{NONE}')",
    "mcp-server": f"coalesce((SELECT {_MCP_SERVER.format(c='c')} FROM tool_calls c WHERE c.dedup_key = u.dedup_key "
                  "AND c.name GLOB 'mcp__?*__?*' ORDER BY c.seq, c.id LIMIT 1), "
                  f"o.mcp_server_name, ob.mcp_server_name, '{NONE}')",
    "skill": "coalesce((SELECT c.detail FROM tool_calls c WHERE c.dedup_key = u.dedup_key AND c.name = 'Skill' "
             f"AND c.detail IS NOT NULL ORDER BY c.seq, c.id LIMIT 1), o.skill_name, ob.skill_name, '{NONE}')",
    "agent": "CASE WHEN ra.agent_id IS NOT NULL THEN coalesce(ar.agent_type, '(sub-agent)') "
             "WHEN u.dedup_key LIKE '%:advisor:%' THEN '(advisor)' "
             "WHEN u.sidechain THEN coalesce(o.agent_name, ob.agent_name, '(sub-agent)') "
             f"ELSE coalesce(o.agent_name, ob.agent_name, '{MAIN}') END",
}
_JOINS = (
    "usage u LEFT JOIN sessions s ON s.id = u.session_id "
    "LEFT JOIN otlp_requests o ON o.key = u.dedup_key "
    # A log row of Claude Code is keyed ``{message.id}:{requestId}``; OTLP names the request.
    "LEFT JOIN otlp_requests ob ON ob.request_id = substr(u.dedup_key, instr(u.dedup_key, ':') + 1) "
    "AND u.dedup_key NOT GLOB 'otlp:*' "
)
_AGENT_JOINS = (
    "LEFT JOIN response_agents ra ON ra.dedup_key = u.dedup_key "
    "LEFT JOIN agent_runs ar ON ar.agent_id = ra.agent_id "
)
# A call's result tokens: read with it, else in a later scan.
_RESULT_TOKENS = "coalesce(c.result_tokens, r.tokens)"
# The calls counted for each group's keys, and the key each call counts for.
_CALL_KEYS = {
    "tool": ("c.name", "1"),
    "mcp-server": (_MCP_SERVER.format(c="c"), "c.name GLOB 'mcp__?*__?*'"),
    "skill": (f"coalesce(c.detail, '{NONE}')", "c.name = 'Skill'"),
    "agent": ("coalesce(c.detail, (SELECT ar.agent_type FROM agent_runs ar WHERE ar.tool_use_id = c.id), "
              "'(sub-agent)')", "c.name IN ('Task', 'Agent')"),
}


class Footprint(msgspec.Struct):
    """What our own MCP server's answers added to the assistants' sessions, by their logs."""

    server: str  # the name our tools have in the logs: mcp__<server>__<tool>
    calls: int
    sessions: int
    result_tokens: int  # counted with our tokenizer: an estimate
    provenance: Provenance


def report(conn: apsw.Connection, by: str, *, since: str | None = None, until: str | None = None,
           provider: str | None = None, project: str | None = None, timezone: str | None = None) -> UsageReport:
    """Usage per agent, tool, MCP server or skill (the module's rules); totals as ``usage.report``'s."""
    args.check(by, args.UsageGroup, "by")
    tz = when.zone(timezone)
    count_results(conn)
    start = None if since is None else when.start(since, name="since", tz=tz)
    end = None if until is None else when.end(until, name="until", tz=tz)
    clauses, params = response_filters(start, end, provider, project)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    joins = _JOINS + (_AGENT_JOINS if by == "agent" else "")
    sql = (f"SELECT {_KEYS[by]} AS k, sum(u.input_tokens), sum(u.output_tokens), sum(u.cache_creation_tokens), "
           f"sum(u.cache_read_tokens), sum(u.cost_usd), sum(u.priced = {pricing.UNKNOWN}), sum(NOT u.exact) "
           f"FROM {joins} {where} GROUP BY k")
    rows: dict[str, UsageReportRow] = {}
    for key, i, o, cc, cr, cost, unpriced, estimated in conn.execute(sql, params):
        rows[key] = UsageReportRow(
            key, i, o, cc, cr, i + o + cc + cr, unpriced_models.known_cost(cost or 0.0, unpriced), not unpriced,
            calls=0, result_tokens=0, provenance=_row_provenance(bool(estimated), not unpriced),
        )
    call_key, which = _CALL_KEYS[by]
    calls_sql = (f"SELECT {call_key} AS k, count(*), coalesce(sum({_RESULT_TOKENS}), 0) FROM tool_calls c "
                 f"JOIN usage u ON u.dedup_key = c.dedup_key LEFT JOIN sessions s ON s.id = u.session_id "
                 f"LEFT JOIN tool_results r ON r.id = c.id WHERE {which} "
                 f"{''.join(' AND ' + c for c in clauses)} GROUP BY k")
    for key, n, tokens in conn.execute(calls_sql, params):
        row = rows.get(key)
        if row is None:
            row = rows[key] = UsageReportRow(key, calls=0, result_tokens=0, provenance=_row_provenance(False, True))
        row.calls, row.result_tokens = n, tokens
    if by == "mcp-server" and MCP_SERVER_NAME in rows:
        rows[MCP_SERVER_NAME].ours = True
    ordered = sorted(rows.values(), key=lambda r: (-r.total_tokens, -(r.result_tokens or 0), r.key))
    totals = totals_of(ordered)
    unpriced_names = [] if totals.cost_complete else _unpriced(conn, clauses, params)
    return UsageReport(rows=ordered, totals=totals, unpriced_models=unpriced_names)


def footprint(conn: apsw.Connection) -> Footprint:
    """Calls of our MCP tools in every log read, and the tokens their answers put into those sessions."""
    count_results(conn)
    row = conn.execute(
        f"SELECT count(*), count(DISTINCT c.session_id), coalesce(sum({_RESULT_TOKENS}), 0) "
        "FROM tool_calls c LEFT JOIN tool_results r ON r.id = c.id WHERE c.name GLOB ?", (_OUR_TOOLS,),
    ).fetchone()
    calls, sessions, tokens = row if row is not None else (0, 0, 0)
    return Footprint(MCP_SERVER_NAME, calls, sessions, tokens, Provenance("estimated", "unknown",
                                                                           result_tokens="estimated"))


def _row_provenance(estimated: bool, complete: bool) -> Provenance:
    return msgspec.structs.replace(provenance(estimated, complete), result_tokens="estimated")



def _unpriced(conn: apsw.Connection, clauses: list[str], params: list[object]) -> list[str]:
    where = " AND ".join([f"u.priced = {pricing.UNKNOWN}", *clauses])
    sql = f"SELECT DISTINCT u.model FROM usage u LEFT JOIN sessions s ON s.id = u.session_id WHERE {where} ORDER BY 1"
    return [model for (model,) in conn.execute(sql, params)]
