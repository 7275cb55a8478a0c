"""A conversation as Markdown, HTML, JSON or JSON Lines (chat fine-tuning shape).

One service for ``llm-session export-conversation`` and the MCP
``export_conversation`` tool. Every text was redacted when the conversation was
loaded; the finished output is redacted once more, so a secret that only shows
once texts are put together (a title beside a prompt) is caught too.
"""

from __future__ import annotations

import re

import apsw
import msgspec

from ..core import redact
from ..core.config import Config
from . import conversation, conversation_html
from .conversation import Conversation, Entry

LABELS = {
    "prompt": "User", "text": "Assistant", "summary": "Summary", "compact": "Compacted",
    "api_error": "API error", "tool_error": "Tool error", "tool_use": "Tool",
}


def render(conn: apsw.Connection, config: Config, ref: str, fmt: str, *, system: str | None = None) -> str:
    """The conversation of session ``ref`` in ``fmt``, secrets redacted.

    ``system``: for ``jsonl``, a system message that leads every line.
    """
    conversation.check_format(fmt)
    convo = conversation.load(conn, config, ref)
    if fmt == "json":
        text = msgspec.json.format(msgspec.json.encode(convo), indent=2).decode() + "\n"
    elif fmt == "jsonl":
        text = jsonl(convo, system)
    elif fmt == "html":
        text = conversation_html.page(convo)
    else:
        text = markdown(convo)
    return redact.redact_text(text)


def jsonl(convo: Conversation, system: str | None = None) -> str:
    """One line per exchange: a prompt and what the assistant wrote before the next one.

    ``{"messages": [{"role": "system"?, ...}, {"role": "user", ...}, {"role": "assistant", ...}]}``,
    the shape OpenAI's and most open fine-tuning tools read. Tool calls are not in
    it: the store keeps each call's name and a short, redacted summary of its
    input, not its full arguments or its output, so it could not make valid
    ``tool_calls`` / ``tool`` messages, and a made-up half of one would teach a
    model to call tools wrongly. The assistant's texts of one exchange are
    joined by a blank line; an exchange in which it wrote nothing is left out.
    """
    lead = [{"role": "system", "content": redact.redact_text(system)}] if system else []
    lines: list[bytes] = []
    prompt: str | None = None
    said: list[str] = []

    def close() -> None:
        if prompt is not None and said:
            messages = [*lead, {"role": "user", "content": prompt}, {"role": "assistant", "content": "\n\n".join(said)}]
            lines.append(msgspec.json.encode({"messages": messages}))

    for e in convo.messages:
        if e.kind == "prompt":
            close()
            prompt, said = e.text, []
        elif e.role == "assistant" and e.kind == "text":
            said.append(e.text)
    close()
    return "".join(line.decode() + "\n" for line in lines)


def markdown(convo: Conversation) -> str:
    s = convo.session
    lines = [
        f"# {s.title or 'Session ' + s.id}",
        "",
        f"- **Session:** `{s.id}` ({s.provider}) · **Project:** {s.project or '—'}",
        f"- **Model:** {s.model or '—'} · **Started:** {s.started_at or '—'} · **Last activity:** {s.last_activity or '—'}",
        f"- **Tokens:** {s.tokens.total:,} ({s.tokens.source}) · **Cost:** {usd(s.cost_usd, s.cost_complete)}",
        f"- **Messages:** {len(convo.messages):,}" + (f" ({convo.pruned:,} more removed by retention)" if convo.pruned else "")
        + (" · pinned" if convo.session.pinned else ""),
        "",
    ]
    for e in convo.messages:
        if e.kind == "tool_use":  # a run of them is one tight list
            lines.append(_call_line(e) if e.name else f"- {e.n}. *{e.tool}* `{e.path}` · {e.ts}")
            continue
        if lines[-1]:
            lines.append("")
        lines += [f"## {e.n}. {LABELS.get(e.kind, e.kind)} · {e.ts}" + _usage_words(e), ""]
        if e.kind == "tool_error" or e.kind == "api_error":
            fence = fence_for(e.text)
            lines += [fence, e.text, fence, ""]
        else:
            lines += [e.text, ""]
    return "\n".join(lines)


def _call_line(e: Entry) -> str:
    """``- 7. **Bash** `git status` · result 1.2 kB (~300 tokens) · 2025-…``: a recorded call."""
    given = f" {code_span(e.input)}" if e.input else ""
    size = f" · result {conversation.size_words(e.result_bytes)}" if e.result_bytes is not None else ""
    return f"- {e.n}. **{e.name}**{given}{size} · {e.ts}"


def code_span(text: str) -> str:
    """``text`` as inline code, whatever backticks it holds."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence_for(text: str) -> str:
    """A code fence longer than any run of backticks in ``text``, so it cannot close early."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def usage_words(e: Entry) -> str:
    """``claude-sonnet-4 · 1,234 in · 56 out · 20,000 cache read · $0.0123`` for an assistant text."""
    u = e.usage
    if u is None:
        return ""
    parts = [u.model, f"{u.input_tokens:,} in", f"{u.output_tokens:,} out"]
    if u.cache_read_tokens:
        parts.append(f"{u.cache_read_tokens:,} cache read")
    if u.cache_creation_tokens:
        parts.append(f"{u.cache_creation_tokens:,} cache write")
    parts.append(usd(u.cost_usd))
    if u.responses > 1:
        parts.append(f"{u.responses} responses")
    return " · ".join(parts)


def _usage_words(e: Entry) -> str:
    words = usage_words(e)
    return f" · {words}" if words else ""


def usd(cost: float | None, complete: bool = True) -> str:
    if cost is None:
        return "unknown"
    return f"${cost:,.4f}" + ("" if complete else " + unknown")
