"""A session's report as JSON, YAML, Markdown (for people) or CSV (per response)."""

from __future__ import annotations

import csv
import io
import os
import time

import apsw
import msgspec
import yaml

from ..core import args, pricing, redact
from ..core.config import Config
from ..core.models import FileUse, ModelUsage, Recommendation, Session
from . import recommend, sessions, tokens, unpriced_models

# Files bigger than this are not read to count their tokens.
MAX_FILE_BYTES = 2 << 20


class SessionReport(msgspec.Struct):
    session: Session
    usage_by_model: list[ModelUsage]
    files: list[FileUse]
    recommendations: list[Recommendation]
    exported_at: str


def build_report(conn: apsw.Connection, config: Config, ref: str) -> SessionReport:
    session = sessions.get_session(conn, config, ref)
    by_model = [
        ModelUsage(m, n, i, o, cc, cr, unpriced_models.known_cost(c, unpriced))
        for m, n, i, o, cc, cr, c, unpriced in conn.execute(
            f"""SELECT model, count(*), sum(input_tokens), sum(output_tokens),
                      sum(cache_creation_tokens), sum(cache_read_tokens), sum(cost_usd),
                      sum(priced = {pricing.UNKNOWN})
               FROM usage WHERE session_id = ? GROUP BY model ORDER BY sum(cost_usd) DESC""",
            (session.id,),
        )
    ]
    files = [
        _file_use(conn, path, actions, uses, session.model)
        for path, actions, uses in conn.execute(
            """SELECT path, group_concat(DISTINCT action), count(*) FROM file_refs
               WHERE session_id = ? GROUP BY path ORDER BY count(*) DESC, path""",
            (session.id,),
        )
    ]
    return SessionReport(
        session=session,
        usage_by_model=by_model,
        files=files,
        recommendations=recommend.for_sessions([session], config, only_recent=False),
        exported_at=sessions.iso(time.time()) or "",
    )


def _file_use(conn: apsw.Connection, path: str, actions: str, uses: int, model: str | None) -> FileUse:
    count = None
    try:
        if os.path.getsize(path) <= MAX_FILE_BYTES:
            with open(path, encoding="utf-8", errors="replace") as f:
                count = tokens.count_tokens(f.read(), model, conn)
    except OSError:
        pass  # the file is gone or unreadable: its cost is unknown, not an error
    return FileUse(
        path=path,
        actions=sorted(actions.split(",")),
        uses=uses,
        tokens=count.tokens if count else None,
        token_source=count.source if count else None,
    )


def render(conn: apsw.Connection, config: Config, ref: str, fmt: str) -> str:
    """The session's report in ``fmt``, as text ready to write, secrets redacted.

    Titles are the user's first prompt, which may hold a pasted key; an export
    is meant to be shared, so the whole text goes through the redactor.
    """
    args.check(fmt, args.ExportFormat, "format")
    if fmt == "csv":
        return _csv(conn, sessions.resolve_id(conn, ref))
    report = build_report(conn, config, ref)
    if fmt == "json":
        text = msgspec.json.format(msgspec.json.encode(report), indent=2).decode() + "\n"
    elif fmt == "yaml":
        text = yaml.safe_dump(msgspec.to_builtins(report), sort_keys=False, allow_unicode=True)
    else:
        text = _markdown(report)
    return redact.redact_text(text)


def _csv(conn: apsw.Connection, sid: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([
        "session_id", "timestamp", "model", "input_tokens", "output_tokens",
        "cache_creation_tokens", "cache_read_tokens", "total_tokens", "cost_usd", "sidechain",
    ])
    for ts, model, i, o, cc, cr, cost, side, unpriced in conn.execute(
        f"""SELECT ts, model, input_tokens, output_tokens, cache_creation_tokens,
                  cache_read_tokens, cost_usd, sidechain, priced = {pricing.UNKNOWN}
           FROM usage WHERE session_id = ? ORDER BY ts, rowid""",
        (sid,),
    ):
        usd = "" if unpriced else f"{cost:.6f}"  # an empty cell: no price, not $0
        writer.writerow([sid, sessions.iso(ts), model, i, o, cc, cr, i + o + cc + cr, usd, int(side)])
    return out.getvalue()


def _usd(cost: float | None, complete: bool = True) -> str:
    """A cost to four places; ``unknown`` for usage without a price, never $0."""
    return "unknown" if cost is None else f"${cost:,.4f}" + ("" if complete else " + unknown")


def _markdown(r: SessionReport) -> str:
    s = r.session
    t = s.tokens
    lines = [
        f"# {s.title or 'Session ' + s.id}",
        "",
        f"- **Session:** `{s.id}` ({s.provider}{', running' if s.active else ''})",
        f"- **Project:** {s.project or '—'}  ",
        f"  **Directory:** `{s.cwd or '—'}`",
        f"- **Model:** {s.model or '—'}",
        f"- **Started:** {s.started_at or '—'} · **Last activity:** {s.last_activity or '—'}",
        f"- **Status:** {_status_word(s)} — health {s.health.score:.0f}/100",
        f"- **Context:** {s.context.used:,} / {s.context.limit:,} tokens ({s.context.percent:.1f}%)",
        f"- **Cost:** {_usd(s.cost_usd, s.cost_complete)}",
        f"- **Tags:** {', '.join(s.tags) if s.tags else '—'}",
        "",
        "## Health",
        "",
        "| Component | Score |",
        "|---|---:|",
        *(f"| {name.replace('_', ' ')} | {value:.0f} |" for name, value in s.health.components.items()),
        "",
        f"## Tokens ({t.source})",
        "",
        "| Model | Responses | Input | Output | Cache write | Cache read | Cost |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {m.model} | {m.responses:,} | {m.input_tokens:,} | {m.output_tokens:,} | "
            f"{m.cache_creation_tokens:,} | {m.cache_read_tokens:,} | {_usd(m.cost_usd)} |"
            for m in r.usage_by_model
        ),
        f"| **Total** | | {t.input:,} | {t.output:,} | {t.cache_creation:,} | {t.cache_read:,} | "
        f"{_usd(s.cost_usd, s.cost_complete)} |",
        "",
        "## Files touched",
        "",
    ]
    if r.files:
        lines += ["| File | Actions | Uses | Tokens now |", "|---|---|---:|---:|"]
        lines += [
            f"| `{f.path}` | {', '.join(f.actions)} | {f.uses} | "
            f"{_tokens_cell(f)} |"
            for f in r.files
        ]
    else:
        lines.append("No file reads or edits recorded.")
    lines += ["", "## Recommendations", ""]
    if r.recommendations:
        lines += [f"- **{x.severity}:** {x.message} — {x.action}" for x in r.recommendations]
    else:
        lines.append("Nothing to do: the session is in good shape.")
    lines += ["", f"_Exported {r.exported_at} by llm-session-manager._", ""]
    return "\n".join(lines)


def _status_word(s: Session) -> str:
    return {"healthy": "✅ healthy", "warning": "⚠️ warning", "critical": "🔴 critical"}[s.health.status]


def _tokens_cell(f: FileUse) -> str:
    if f.tokens is None:
        return "— (file gone)"
    return f"{f.tokens:,}" + (" (est.)" if f.token_source == "estimated" else "")

