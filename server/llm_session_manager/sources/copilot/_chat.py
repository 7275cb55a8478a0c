"""One VS Code Copilot Chat session file into rows.

Each request is one billed turn, keyed by its own ``requestId``. Its tokens are
exact when the file records them (``promptTokens``/``completionTokens``, see
``_chat_parts.recorded_tokens``); older files record none, and the turn is counted
with o200k: input is what was sent for the turn (the rendered prompt, or the typed
message and its attached variables, plus tool results), output what the model wrote.
What a turn put in the window is the recorded prompt, or for an estimated turn the
conversation so far plus its input, since Copilot sends the history along.

A request whose response is still being written is left for the next save: its
prompt is kept, its answer and usage are not (messages are kept once per key).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ...core.encoding import count_o200k
from ...core.models import Batch, FileRefRow, MessageRow, SessionRow, UsageRow
from . import _chat_parts as part
from ._journal import load_session
from ._paths import workspace_cwd

# Copilot Chat's default model in the days before requests recorded ``modelId``.
FALLBACK_MODEL = "gpt-4o"
_VENDOR_PREFIXES = ("copilot/", "github.copilot-chat/")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def parse_chat(path: Path, data: bytes) -> Batch:
    batch = Batch()
    doc, batch.malformed = load_session(path, data)
    if doc is not None:
        _Session(path, doc, batch).read()
    return batch


def session_id(native: str) -> str:
    """Copilot's own id when it is a UUID (as Claude's and Codex's are), else prefixed."""
    return native if _UUID.fullmatch(native) else f"copilot:{native}"


def model_name(model_id: str) -> str:
    """``copilot/claude-sonnet-4.5`` as the model it names; other vendors' ids as logged."""
    for prefix in _VENDOR_PREFIXES:
        if model_id.startswith(prefix):
            return model_id[len(prefix):]
    return model_id


class _Session:
    def __init__(self, path: Path, doc: dict[str, Any], batch: Batch) -> None:
        self.path, self.doc, self.batch = path, doc, batch
        self.sid = session_id(part.text(doc.get("sessionId")).strip() or path.stem)
        self.created = _ms(doc.get("creationDate"))
        selected = part.obj(part.obj(doc.get("inputState")).get("selectedModel"))
        self.selected_id = part.text(selected.get("identifier"))
        self.selected_window = part.count(part.obj(selected.get("metadata")).get("maxInputTokens"))
        self.default_model = model_name(self.selected_id) or FALLBACK_MODEL
        self.title = part.text(doc.get("customTitle")) or part.text(doc.get("computedTitle"))
        self.model: str | None = None
        self.version: str | None = None
        self.first: float | None = None
        self.last: float | None = None
        self.history = 0  # tokens of the conversation so far, for estimated turns

    def read(self) -> None:
        for req in part.items(self.doc.get("requests")):
            if isinstance(req, dict):
                self.request(req)
        if self.first is None or self.last is None:
            return  # no request yet: an opened, unused chat
        last = max(self.last, (_ms(self.doc.get("lastMessageDate")) or 0) / 1000)
        branch = part.text(part.obj(self.doc.get("repoData")).get("localBranch")) or None
        cwd = workspace_cwd(self.path)
        self.batch.see_session(
            SessionRow(self.sid, "copilot", cwd, self.title or None, self.model, branch,
                       self.version, self.first, last)
        )

    def request(self, req: dict[str, Any]) -> None:
        ms = _ms(req.get("timestamp")) or self.created
        if ms is None:
            return
        ts, done = ms / 1000, _done_ms(req, ms) / 1000
        self.first = ts if self.first is None else min(self.first, ts)
        self.last = done if self.last is None else max(self.last, done)
        key = f"copilot:{self.sid}:{_request_id(req, ms)}"
        typed = part.prompt(req)
        if typed:
            self.message(f"{key}:prompt", ts, "user", "prompt", typed)
            if not self.title:
                one_line = " ".join(typed.split())
                self.title = one_line if len(one_line) <= 80 else one_line[:79] + "…"
        if part.in_progress(req) or not part.answered(req):
            return
        model = self.model_of(req)
        self.model = model
        self.version = part.text(part.obj(req.get("agent")).get("extensionVersion")) or self.version
        shown = part.response_text(req)
        if shown:
            self.message(f"{key}:text", done, "assistant", "text", shown)
        for n, (file, action) in enumerate(part.file_refs(req)):
            self.batch.file_refs.append(FileRefRow(f"{key}:file:{n}", self.sid, ts, file, action))
        self.usage(req, key, ts, model, typed, shown)

    def message(self, key: str, ts: float, role: str, kind: str, text: str) -> None:
        self.batch.messages.append(MessageRow(key, self.sid, ts, role, kind, text))

    def usage(
        self, req: dict[str, Any], key: str, ts: float, model: str, typed: str, shown: str
    ) -> None:
        prompt_tokens, output_tokens = part.recorded_tokens(req)
        exact = bool(prompt_tokens or output_tokens)
        if exact:
            inp, out, context = prompt_tokens, output_tokens, prompt_tokens
        else:
            inp = count_o200k(part.input_text(req, typed))
            out = count_o200k(part.output_text(req, shown))
            context = self.history + inp
        self.history = context + out
        if not (inp or out):
            return
        window = self.selected_window if part.text(req.get("modelId")) == self.selected_id else 0
        self.batch.usage.append(UsageRow(
            key, self.sid, ts, model, inp, out, 0, 0, None, False, context, window or None, exact
        ))

    def model_of(self, req: dict[str, Any]) -> str:
        """The model that answered: the one ``auto`` resolved to, else the one picked."""
        resolved = part.text(part.metadata(req).get("resolvedModel"))
        picked = part.text(req.get("modelId"))
        return model_name(resolved or picked) or self.default_model


def _ms(value: object) -> int | None:
    """A millisecond timestamp as logged (JSON numbers may come back as floats)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return int(value)
    return None


def _done_ms(req: dict[str, Any], start: int) -> int:
    """When the response finished: the model state's ``completedAt``, else start + elapsed."""
    completed = _ms(part.obj(req.get("modelState")).get("completedAt"))
    if completed:
        return max(completed, start)
    elapsed = _ms(part.obj(part.obj(req.get("result")).get("timings")).get("totalElapsed"))
    return start + (elapsed or 0)


def _request_id(req: dict[str, Any], ms: int) -> str:
    return part.text(req.get("requestId")) or part.text(req.get("responseId")) or f"t{ms}"
