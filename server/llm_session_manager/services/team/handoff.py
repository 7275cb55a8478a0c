"""Handing a session to a teammate, and taking one handed to you (docs/team.md#handoff).

``hand_off`` asks the server to record the handoff (the receiver's permission
to read the session). ``take`` fetches the session's resume pack and places it
here: the pack as JSON and markdown in the data dir, and for a Claude Code
session a transcript rebuilt from the pushed conversation where ``claude
--resume <id>`` finds it, ``$CLAUDE_CONFIG_DIR/projects/<dir>/<id>.jsonl``
(``<dir>``: the checkout's path with every character but ASCII letters and
digits made ``-``, as Claude Code names it). Paths under the sender's checkout
(the session's directory) are remapped to the receiver's.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from ...core import whole_file
from ...core.errors import TeamError
from ...core.paths import data_dir
from ...core.team_share_wire import HANDOFFS_PATH, Handoff, HandoffRequest, Pack, PackMessage, take_path
from . import client
from .link import Link

DEFAULT_EXCHANGES = 5
_NAMESPACE = uuid.UUID("7b0f5d1e-3c4a-4e59-9d2b-6a8c1f0e2d47")  # uuids made for lines whose key is not one


class Exchange(msgspec.Struct):
    ts: float
    prompt: str | None
    replies: list[str]


class ResumePack(msgspec.Struct):
    """What ``take`` gives the receiver (``take --json``)."""

    session_id: str
    provider: str
    project: str | None
    title: str | None
    sender: str  # whose device pushed the session
    note: str | None
    sender_root: str | None  # the session's directory on the sender's machine
    checkout: str  # where it is remapped to here
    memories: list[str]
    files: list[str]  # files in play, remapped, most recently touched first
    exchanges: list[Exchange]  # the last ones, oldest first
    transcript: str | None = None  # where the rebuilt transcript was written
    resume: str | None = None  # the command that carries on with the session
    pack_json: str | None = None
    pack_markdown: str | None = None


def hand_off(link: Link, session_id: str, to: str, note: str | None) -> Handoff:
    body = msgspec.json.encode(HandoffRequest(session_id=session_id, to=to, note=note))
    return client.request(link, HANDOFFS_PATH, Handoff, body=body)


def fetch(link: Link, session_id: str) -> Pack:
    """The session's pack, the handoff to this user marked taken."""
    return client.request(link, take_path(session_id), Pack, body=b"{}")


def resume_pack(pack: Pack, checkout: Path, exchanges: int = DEFAULT_EXCHANGES) -> ResumePack:
    """The pack with the sender's paths remapped to ``checkout``."""
    remap = Remap(pack.session.cwd, str(checkout))
    handoff = pack.handoff
    return ResumePack(
        session_id=pack.session.id, provider=pack.session.provider, project=pack.session.project,
        title=pack.session.title, sender=handoff.sender if handoff else pack.session.user,
        note=handoff.note if handoff else None, sender_root=pack.session.cwd, checkout=str(checkout),
        memories=[remap.text(m.text) for m in pack.memories],
        files=[remap.path(f.path) for f in pack.files],
        exchanges=[Exchange(e.ts, remap.text(e.prompt) if e.prompt else None, [remap.text(r) for r in e.replies])
                   for e in last_exchanges(pack.messages, exchanges)])


def place(pack: Pack, resume: ResumePack, claude_dir: Path, force: bool = False) -> ResumePack:
    """Write the pack files, and a Claude Code session's transcript (when its conversation was pushed);
    ``resume`` filled in with where."""
    if pack.session.provider == "claude-code" and any(m.kind in ("prompt", "text") for m in pack.messages):
        target = claude_dir / "projects" / project_dir_name(resume.checkout) / f"{pack.session.id}.jsonl"
        if target.exists() and not force:
            raise TeamError(f"{target} already exists: it may hold work of yours; pass --force to replace it")
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = transcript_lines(pack, Remap(pack.session.cwd, resume.checkout))
        _write(target, "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
        resume.transcript = str(target)
        resume.resume = f"cd {_quoted(resume.checkout)} && claude --resume {pack.session.id}"
    where = data_dir() / "handoffs"
    where.mkdir(parents=True, exist_ok=True)
    resume.pack_json = str(where / f"{pack.session.id}.json")
    resume.pack_markdown = str(where / f"{pack.session.id}.md")
    _write(Path(resume.pack_json), msgspec.json.format(msgspec.json.encode(resume)).decode() + "\n")
    _write(Path(resume.pack_markdown), markdown(resume))
    return resume


def project_dir_name(cwd: str) -> str:
    """Claude Code's directory under ``projects/`` for a session started in ``cwd``."""
    return re.sub(r"[^A-Za-z0-9]", "-", cwd)


class Remap:
    """Paths under the sender's checkout root, moved under the receiver's."""

    def __init__(self, sender_root: str | None, receiver_root: str) -> None:
        self.old = (sender_root or "").rstrip("/")
        self.new = receiver_root.rstrip("/") or "/"
        self._pattern = re.compile(re.escape(self.old) + r"(?=/|\b|$)") if self.old else None

    def path(self, path: str) -> str:
        if self.old and (path == self.old or path.startswith(self.old + "/")):
            return self.new + path[len(self.old):]
        return path

    def text(self, text: str) -> str:
        return self._pattern.sub(lambda _: self.new, text) if self._pattern else text


def last_exchanges(messages: list[PackMessage], n: int) -> list[Exchange]:
    """The last ``n`` prompts with the assistant's replies to each (replies before any prompt make one of their own)."""
    found: list[Exchange] = []
    for m in messages:
        if m.kind == "prompt":
            found.append(Exchange(m.ts, m.text, []))
        elif m.kind == "text" and m.role == "assistant":
            if not found:
                found.append(Exchange(m.ts, None, []))
            found[-1].replies.append(m.text)
    return found[-n:] if n > 0 else []


def transcript_lines(pack: Pack, remap: Remap) -> list[dict[str, Any]]:
    """The conversation as Claude Code writes its transcript: one ``user`` line per prompt, one
    ``assistant`` line per reply (the replies to one prompt as blocks of one message), chained by
    ``parentUuid``. Tool calls and their output are not pushed, so they are not here."""
    session, cwd = pack.session, remap.new
    lines: list[dict[str, Any]] = []
    parent: str | None = None
    reply_id: str | None = None
    for m in pack.messages:
        if m.kind not in ("prompt", "text"):
            continue
        line_id = m.key if _is_uuid(m.key) else str(uuid.uuid5(_NAMESPACE, f"{session.id}/{m.key}"))
        common: dict[str, Any] = {"parentUuid": parent, "isSidechain": False, "userType": "external", "cwd": cwd,
                  "sessionId": session.id, "version": "1.0.83", "gitBranch": ""}
        text = remap.text(m.text)
        line: dict[str, Any]
        if m.kind == "prompt":
            reply_id = None
            line = {**common, "type": "user", "message": {"role": "user", "content": text}}
        else:
            if reply_id is None:
                reply_id = "msg_handoff_" + uuid.uuid5(_NAMESPACE, line_id).hex[:24]
            line = {**common, "message": {"id": reply_id, "type": "message", "role": "assistant",
                                          "model": session.model or "claude-sonnet-4-20250514",
                                          "content": [{"type": "text", "text": text}],
                                          "stop_reason": None, "stop_sequence": None},
                    "type": "assistant"}
        line["uuid"] = line_id
        line["timestamp"] = _iso(m.ts)
        lines.append(line)
        parent = line_id
    return lines


def markdown(pack: ResumePack) -> str:
    out = [f"# Resume pack: {pack.title or pack.session_id}", "",
           f"- session `{pack.session_id}` ({pack.provider}, project {pack.project or '-'})",
           f"- from {pack.sender}" + (f": {pack.note}" if pack.note else ""),
           f"- checkout {pack.checkout}" + (f" (was {pack.sender_root})" if pack.sender_root else "")]
    if pack.resume:
        out.append(f"- resume with `{pack.resume}`")
    out += ["", "## Memories", ""] + ([f"- {m}" for m in pack.memories] or ["(none)"])
    out += ["", "## Files in play", ""] + ([f"- `{f}`" for f in pack.files] or ["(none)"])
    out += ["", "## Last exchanges", ""]
    for e in pack.exchanges:
        out += [f"### {_iso(e.ts)}", "", "**You:** " + (e.prompt or "(no prompt)"), ""]
        out += [f"**Assistant:** {r}" for r in e.replies] + [""]
    if not pack.exchanges:
        out.append("(none pushed)")
    return "\n".join(out).rstrip() + "\n"


def claude_config_dir() -> Path:
    found = os.environ.get("CLAUDE_CONFIG_DIR")
    return Path(found) if found else Path.home() / ".claude"


def _is_uuid(key: str) -> bool:
    try:
        return str(uuid.UUID(key)) == key
    except ValueError:
        return False


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _quoted(path: str) -> str:
    import shlex

    return shlex.quote(path)


def _write(path: Path, text: str) -> None:
    whole_file.write(path, (text.encode("utf-8"),), mode=0o666)
