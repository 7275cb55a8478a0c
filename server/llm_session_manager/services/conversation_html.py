"""A conversation as one self-contained HTML page, pleasant to read and to share.

Inline CSS, no script, no network: the file opens anywhere, offline, and a
browser's light or dark preference picks the colours. Each tool call folds
away in its own ``<details>`` (its tool and input in the summary; its result's
size, time and the message that made it inside), as claude-code-log shows them;
so do failed calls' errors and runs of file references. Every piece of text is escaped; the only
markup interpreted in messages is code (fenced blocks and inline spans), which
is kept as code, not rendered.
"""

from __future__ import annotations

import html
import re
from collections import Counter

from . import conversation
from . import conversation_export as fmt
from .conversation import Conversation, Entry

_FENCE = re.compile(r"^(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^\1[ \t]*$", re.M | re.S)
_INLINE = re.compile(r"`([^`\n]+)`")

_CSS = """
:root { --bg:#fafaf8; --fg:#1f2328; --muted:#6a737d; --card:#fff; --line:#e4e4e0;
  --user:#2563eb; --assistant:#c2410c; --system:#7c3aed; --error:#dc2626; --tool:#0f766e;
  --code-bg:#f3f3f0; color-scheme: light dark; }
@media (prefers-color-scheme: dark) {
  :root { --bg:#16171a; --fg:#e6e6e3; --muted:#9aa0a6; --card:#1e1f23; --line:#2e3036;
    --user:#60a5fa; --assistant:#fb923c; --system:#a78bfa; --error:#f87171; --tool:#2dd4bf;
    --code-bg:#25262b; }
}
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg);
  font:15px/1.55 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width:900px; margin:0 auto; padding:24px 16px 64px; }
header h1 { font-size:1.45em; margin:0 0 8px; overflow-wrap:anywhere; }
header dl { display:grid; grid-template-columns:max-content 1fr; gap:2px 14px; margin:0 0 24px;
  color:var(--muted); font-size:.9em; }
header dt { font-weight:600; } header dd { margin:0; overflow-wrap:anywhere; }
.msg { background:var(--card); border:1px solid var(--line); border-left:4px solid var(--line);
  border-radius:8px; padding:10px 14px; margin:12px 0; }
.msg.user { border-left-color:var(--user); }
.msg.assistant { border-left-color:var(--assistant); }
.msg.system { border-left-color:var(--system); }
.msg.error { border-left-color:var(--error); }
.meta { display:flex; flex-wrap:wrap; gap:4px 12px; font-size:.82em; color:var(--muted); margin-bottom:6px; }
.role { font-weight:700; text-transform:uppercase; letter-spacing:.04em; }
.user .role { color:var(--user); } .assistant .role { color:var(--assistant); }
.system .role { color:var(--system); } .error .role { color:var(--error); }
.n { font-variant-numeric:tabular-nums; }
.usage { margin-left:auto; font-variant-numeric:tabular-nums; }
.text { white-space:pre-wrap; overflow-wrap:anywhere; }
pre { background:var(--code-bg); border-radius:6px; padding:10px 12px; overflow-x:auto;
  font:13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space:pre; }
code { font:.9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background:var(--code-bg);
  border-radius:4px; padding:0 3px; }
pre code { background:none; padding:0; font:inherit; }
details.tools { margin:6px 0 6px 18px; font-size:.9em; }
details.tools summary { cursor:pointer; color:var(--tool); }
details.tools ul { margin:6px 0; padding-left:20px; }
details.tools li { color:var(--muted); } details.tools li code { color:var(--fg); }
details.tool-error summary { color:var(--error); }
details.call { margin:2px 0 2px 18px; }
details.call summary b { color:var(--tool); } details.call summary code { color:var(--fg); }
details.call .size { color:var(--muted); font-size:.9em; margin-left:6px; }
details.call dl { display:grid; grid-template-columns:max-content 1fr; gap:2px 12px; margin:4px 0 8px;
  color:var(--muted); } details.call dt { font-weight:600; } details.call dd { margin:0; }
footer { margin-top:32px; color:var(--muted); font-size:.8em; }
"""


def page(convo: Conversation) -> str:
    s = convo.session
    title = s.title or f"Session {s.id}"
    facts = [
        ("Session", f"{s.id} ({s.provider})"), ("Project", s.project or "—"), ("Directory", s.cwd or "—"),
        ("Model", s.model or "—"), ("Started", s.started_at or "—"), ("Last activity", s.last_activity or "—"),
        ("Tokens", f"{s.tokens.total:,} ({s.tokens.source})"), ("Cost", fmt.usd(s.cost_usd, s.cost_complete)),
        ("Messages", f"{len(convo.messages):,}" + (f" ({convo.pruned:,} more removed by retention)"
                                                   if convo.pruned else "")),
    ]
    if convo.session.pinned:
        facts.append(("Pinned", "yes: kept whole whatever the retention"))
    body = [
        "<header>", f"<h1>{_e(title)}</h1>", "<dl>",
        *(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts), "</dl>", "</header>",
    ]
    tools: list[Entry] = []
    for e in convo.messages:
        if e.kind == "tool_use" and e.name is None:  # file references: a run of them folds into one list
            tools.append(e)
            continue
        if tools:
            body.append(_tools(tools))
            tools = []
        if e.kind == "tool_use":
            body.append(_call(e))
        else:
            body.append(_tool_error(e) if e.kind == "tool_error" else _message(e))
    if tools:
        body.append(_tools(tools))
    body.append(f"<footer>Exported {_e(convo.exported_at)} by llm-session. Secrets redacted.</footer>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"color-scheme\" content=\"light dark\">\n"
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(body) + "\n</main>\n</body>\n</html>\n"
    )


def _message(e: Entry) -> str:
    style = "error" if e.kind == "api_error" else e.role
    usage = fmt.usage_words(e)
    meta = (f'<span class="role">{_e(fmt.LABELS.get(e.kind, e.kind))}</span>'
            f'<span class="n">#{e.n}</span><time datetime="{_e(e.ts)}">{_e(e.ts)}</time>'
            + (f'<span class="usage">{_e(usage)}</span>' if usage else ""))
    return f'<article class="msg {_e(style)}" id="m{e.n}"><div class="meta">{meta}</div>{_rich(e.text)}</article>'


def _tool_error(e: Entry) -> str:
    return (f'<details class="tools tool-error" id="m{e.n}"><summary>#{e.n} tool error · '
            f'<time datetime="{_e(e.ts)}">{_e(e.ts)}</time></summary><pre>{_e(e.text)}</pre></details>')


def _call(e: Entry) -> str:
    """A recorded call, folded: its tool and input in the summary; input, result size, time and
    the message that made it inside."""
    given = e.input or ""
    short = given if len(given) <= 90 else given[:89] + "…"
    size = conversation.size_words(e.result_bytes) if e.result_bytes is not None else "no result recorded"
    facts = [("Result", size), ("Time", e.ts)] + ([("File", f"{e.tool} {e.path}")] if e.tool and e.path else [])
    link = f"<dt>From</dt><dd>message #{e.message}</dd>" if e.message else ""  # no link: the page loads nothing
    inner = (f"<pre>{_e(given)}</pre>" if given else "") + "<dl>" + "".join(
        f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts) + link + "</dl>"
    return (f'<details class="tools call" id="m{e.n}"><summary>#{e.n} <b>{_e(e.name or "")}</b>'
            + (f" <code>{_e(short)}</code>" if short else "")
            + (f' <span class="size">{_e(size)}</span>' if e.result_bytes is not None else "")
            + f"</summary>{inner}</details>")


def _tools(calls: list[Entry]) -> str:
    counts = Counter(c.tool for c in calls)
    said = ", ".join(f"{tool} {n}" for tool, n in counts.items())
    items = "".join(f'<li id="m{c.n}">#{c.n} {_e(c.tool or "")} <code>{_e(c.path or "")}</code> '
                    f'<time datetime="{_e(c.ts)}">{_e(c.ts[11:19])}</time></li>' for c in calls)
    word = "call" if len(calls) == 1 else "calls"
    return f'<details class="tools"><summary>{len(calls)} tool {word} on files ({_e(said)})</summary><ul>{items}</ul></details>'


def _rich(text: str) -> str:
    """Text kept as written (line breaks too), with fenced code as ``<pre>`` and inline code as ``<code>``."""
    out: list[str] = []
    at = 0
    for m in _FENCE.finditer(text):
        out.append(_prose(text[at:m.start()]))
        lang = m.group(2)
        cls = f' class="language-{_e(lang)}"' if lang else ""
        out.append(f"<pre><code{cls}>{_e(m.group(3).rstrip(chr(10)))}</code></pre>")
        at = m.end()
    out.append(_prose(text[at:]))
    return "".join(part for part in out if part)


def _prose(text: str) -> str:
    text = text.strip("\n")
    if not text:
        return ""
    parts = _INLINE.split(text)  # odd items are inline code
    inner = "".join(f"<code>{_e(p)}</code>" if i % 2 else _e(p) for i, p in enumerate(parts))
    return f'<div class="text">{inner}</div>'


def _e(text: str) -> str:
    return html.escape(text, quote=True)
