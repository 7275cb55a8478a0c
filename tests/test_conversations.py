"""Replaying and exporting a conversation, pinning it, and pruning old ones (docs/conversations.md).

Real logs (the Claude Code, Codex and Gemini CLI fixtures), the real CLI in a
subprocess, replay's keys typed into a real pseudo-terminal.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from html.parser import HTMLParser
from pathlib import Path

import apsw
import pytest
from conftest import CODEX_RECENT, FIXTURES

CLAUDE_A = "6f1c2a3b-4d5e-4f60-8a1b-2c3d4e5f6a7b"  # the shop session: prompts, tool calls, a tool error, an API error
CLAUDE_B = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"
SECRET = "sk-ant-api03-" + "Q" * 86 + "AA"  # an Anthropic key, as one is pasted


def _db(tmp_path: Path) -> apsw.Connection:
    return apsw.Connection(str(tmp_path / "sandbox" / "data" / "sessions.db"))


def _claude_line(log: Path, **changes: object) -> str:
    """A line shaped exactly as the log's own prompt line, with ``changes`` made."""
    for raw in log.read_text().splitlines():
        line = json.loads(raw)
        if line.get("type") == "user" and isinstance(line["message"]["content"], str) and not line.get("isMeta") \
                and not line["message"]["content"].startswith("<"):
            line.update(changes)
            return json.dumps(line, separators=(",", ":"))
    raise AssertionError("no prompt line")


def _assistant_line(log: Path, text: str, uuid: str, timestamp: str) -> str:
    for raw in log.read_text().splitlines():
        line = json.loads(raw)
        if line.get("type") == "assistant" and line["message"]["content"][0].get("type") == "text":
            line["message"]["content"] = [{"type": "text", "text": text}]
            line["message"]["id"] = "msg_01Zhtmltest"
            line.update(uuid=uuid, timestamp=timestamp, requestId="req_011HTML")
            return json.dumps(line, separators=(",", ":"))
    raise AssertionError("no assistant line")


def _export(cli, sid: str, fmt: str, *extra: str) -> str:
    r = cli("export-conversation", sid, "--format", fmt, *extra)
    assert r.code == 0, r.err
    return r.out


# --- export -------------------------------------------------------------------


def test_markdown_reads_as_the_conversation_with_tools_errors_and_usage(store, cli):
    md = _export(cli, CLAUDE_A[:8], "markdown")
    assert md.startswith("# The checkout page shows the wrong total")
    assert "## 1. User · 2025-08-14T09:00:20Z" in md
    assert "Can you find where the discount is computed and fix it?" in md
    # the assistant's answer with its response's model and tokens
    assert re.search(r"## 2\. Assistant · .* · claude-sonnet-4-20250514 · 4 in · 168 out", md)
    # each tool call with its input and result size, and the failed call's output fenced
    assert "- 3. **Grep** `applyCoupon in src` · result 117 B (~30 tokens)" in md
    assert "- 5. **Read** `/home/dev/shop/src/cart/totals.ts` · result 78 B" in md
    assert "## 6. Tool error" in md and "```\n<tool_use_error>File does not exist." in md
    assert "## 9. API error" in md


def test_every_format_redacts_a_secret_stored_before_redaction_began(store, cli, tmp_path):
    """A store written by a version that did not redact at ingest still exports no secret."""
    with _db(tmp_path) as db:
        db.execute("""UPDATE messages SET text = text || ' my key is ' || ? || ' and "password": "hunter2hunter2"'
                      WHERE session_id = ? AND kind = 'prompt'""", (SECRET, CLAUDE_A))
    for fmt in ("markdown", "html", "json", "jsonl"):
        out = _export(cli, CLAUDE_A, fmt)
        assert SECRET not in out and "hunter2hunter2" not in out, fmt
        assert "[REDACTED:anthropic-api-key]" in out, fmt
        assert "my key is" in out, fmt  # the rest of the prompt is kept
        if fmt.startswith("json"):  # still valid JSON after redaction
            assert all(json.loads(doc) for doc in (out.splitlines() if fmt == "jsonl" else [out]))


def test_html_is_one_escaped_self_contained_page(fixture_logs, cli, tmp_path):
    log = fixture_logs.claude / "projects" / "-home-dev-shop" / f"{CLAUDE_A}.jsonl"
    prompt = 'Why does <script>alert("pwned")</script> run & what about </details>?'
    answer = "It is inserted unescaped. Escape it:\n\n```python\nhtml.escape(s)  # <b>ok</b>\n```\n\nUse `textContent`."
    with log.open("a") as f:
        f.write(_claude_line(log, uuid="b0000001-0000-4000-8000-0000000000f1", timestamp="2025-08-14T09:05:00.000Z",
                             message={"role": "user", "content": prompt}) + "\n")
        f.write(_assistant_line(log, answer, "b0000001-0000-4000-8000-0000000000f2", "2025-08-14T09:05:09.000Z") + "\n")
    out = tmp_path / "a.html"
    r = cli("export-conversation", CLAUDE_A, "--format", "html", "-o", str(out))
    assert r.code == 0, r.err
    page = out.read_text()

    tags = _Tags()
    tags.feed(page)
    assert tags.seen["html"] == tags.seen["head"] == tags.seen["body"] == tags.seen["style"] == 1
    assert "script" not in tags.seen  # the pasted tag is text, never markup
    assert not tags.links, "a self-contained page loads nothing"
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; run &amp; what about &lt;/details&gt;?" in page
    assert tags.texts.count('Why does <script>alert("pwned")</script> run & what about </details>?') == 1
    # roles styled, code kept as code, tool calls folded away, light and dark
    assert '<article class="msg user" id="m1">' in page and '<article class="msg assistant"' in page
    assert '<pre><code class="language-python">html.escape(s)  # &lt;b&gt;ok&lt;/b&gt;</code></pre>' in page
    assert "<code>textContent</code>" in page
    assert tags.seen["details"] >= 3 and tags.seen["summary"] == tags.seen["details"]
    assert "@media (prefers-color-scheme: dark)" in page
    assert "claude-sonnet-4-20250514 · 4 in · 168 out" in page  # usage per response
    assert '<time datetime="2025-08-14T09:00:20Z">' in page


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[str, int] = {}
        self.links: list[str] = []
        self.texts: list[str] = []
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen[tag] = self.seen.get(tag, 0) + 1
        self.links += [v or "" for k, v in attrs if k in ("src", "href")]
        if tag == "div":
            self._text = ""

    def handle_data(self, data: str) -> None:
        self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "div":
            self.texts.append(self._text)


def test_jsonl_is_a_chat_exchange_per_line_for_fine_tuning(store, cli):
    lines = _export(cli, CODEX_RECENT, "jsonl", "--system", "You are a careful engineer.").splitlines()
    assert lines
    for line in lines:
        messages = json.loads(line)["messages"]
        assert [m["role"] for m in messages] == ["system", "user", "assistant"]
        assert messages[0]["content"] == "You are a careful engineer."
        assert all(m["content"].strip() for m in messages)
    first = json.loads(lines[0])["messages"]
    assert first[1]["content"].startswith("Add rate limiting to the /login endpoint")

    claude = [json.loads(line)["messages"] for line in _export(cli, CLAUDE_A, "jsonl").splitlines()]
    assert [[m["role"] for m in ms] for ms in claude] == [["user", "assistant"]] * 2
    # the answers of one exchange joined; tool calls and errors left out
    assert claude[0][1]["content"] == ("I'll look at how the cart total is computed.\n\n"
                                       "The discount is applied twice: once on line 42 and again in the return.")


def test_json_has_every_message_with_metadata_for_each_provider(fixture_logs, cli, sandbox_home):
    shutil.copytree(FIXTURES / "gemini" / "home" / ".gemini", sandbox_home / ".gemini")
    sessions = {s["provider"]: s["id"] for s in reversed(cli("list", "--json").json())}
    assert {"claude-code", "codex", "gemini"} <= set(sessions)
    for provider in ("claude-code", "codex", "gemini"):
        doc = json.loads(_export(cli, sessions[provider], "json"))
        assert doc["session"]["provider"] == provider and doc["session"]["id"] == sessions[provider]
        messages = doc["messages"]
        assert messages, provider
        assert [m["n"] for m in messages] == list(range(1, len(messages) + 1))
        assert [m["ts"] for m in messages] == sorted(m["ts"] for m in messages)
        assert {m["role"] for m in messages} <= {"user", "assistant", "system"}
        assert any(m["kind"] == "prompt" for m in messages), provider


def test_an_unknown_session_is_one_line_not_a_traceback(store, cli):
    r = cli("export-conversation", "nosuchsession", "--format", "html")
    assert r.code == 1 and r.err.startswith("error: no session with id 'nosuchsession'"), r.err


# --- replay -----------------------------------------------------------------------


def test_replay_without_a_terminal_prints_the_conversation_without_waiting(store, cli):
    started = time.monotonic()
    r = cli("replay", CLAUDE_A, "--from", "10")  # the gaps between its messages add up to 40 s
    assert r.code == 0, r.err
    assert time.monotonic() - started < 15
    assert "#9 ·" not in r.out and "User  #10 · 09:00:50" in r.out
    assert "⚙ #11 · 09:00:53 · Grep · applyCoupon\\( in /home/dev/shop · result 48 B" in r.out  # one line a call
    assert "Fixed: the coupon was applied twice" in r.out and "End of conversation (13 messages)" in r.out
    assert "\x1b[" not in r.out  # no colours into a file

    r = cli("replay", CLAUDE_A, "--no-tools")
    assert "Tool error" not in r.out and "⚙" not in r.out and "Assistant  #2" in r.out


def test_replay_keys_step_pause_jump_hide_tools_and_quit(store, terminal):
    term = terminal("replay", CLAUDE_A, "--max-gap", "10m")  # every wait is the real gap: far longer than the test
    term.wait_for("User", "#1 · 09:00:20")
    term.send("n")  # the next message now
    term.wait_for("#2 · 09:00:23")
    term.send(" ")  # paused: n still steps, one message at a time
    term.wait_for("Paused")
    term.send("n")
    term.wait_for("#3 · 09:00:24 · Grep · applyCoupon in src")
    term.send("t")  # hide tool output: the next one shown is the tool error's successor
    term.wait_for("Tool output hidden")
    term.send("n")
    term.wait_for("#7 · 09:00:33")
    assert "#4 ·" not in term.text() and "#5 ·" not in term.text() and "#6 ·" not in term.text()
    term.send("g12\r")  # jump
    term.wait_for("go to message: 12", "#12 · 09:00:57")
    term.send(":2x")  # a jump typed wrong is cancelled
    term.wait_for("Jump cancelled")
    term.send("q")
    assert term.exit_code() == 0
    assert "Stopped." in term.text()
    assert term.restored()


def test_replay_gives_the_terminal_back_on_ctrl_c_and_on_sigterm(store, terminal):
    term = terminal("replay", CLAUDE_A, "--max-gap", "10m")
    term.wait_for("#1 · 09:00:20")
    assert not term.restored()  # cbreak while playing
    term.send("\x03")
    assert term.exit_code() == 130
    assert term.restored()

    term = terminal("replay", CLAUDE_A, "--max-gap", "10m")
    term.wait_for("#1 · 09:00:20")
    term.proc.terminate()
    assert term.exit_code() == 130
    assert term.restored()


def test_replay_plays_on_by_itself_with_its_timing_sped_up(store, terminal):
    term = terminal("replay", CLAUDE_A, "--speed", "1000")
    term.wait_for("End of conversation (13 messages)")
    assert term.exit_code() == 0


class Terminal:
    """``llm-session ARGS`` in a pseudo-terminal of 120x40, as a person starts it. The test
    keeps the terminal's own end open too, to see the modes the program leaves it in."""

    def __init__(self, *args: str) -> None:
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.modes = termios.tcgetattr(self.slave)[3]  # lflag: canonical, echo, signals
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llm_session_manager", *args],
            stdin=self.slave, stdout=self.slave, stderr=self.slave, start_new_session=True,
            env={**os.environ, "TERM": "xterm-256color"},
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),  # Ctrl-C reaches it as a person's would
        )
        self.output = b""

    def text(self) -> str:
        raw = self.output.decode("utf-8", "replace")
        return re.sub(r"\x1b\[[0-9;?]*[ -/]*[@-~]", "", raw)

    def read(self, seconds: float) -> None:
        if select.select([self.master], [], [], seconds)[0]:
            try:
                self.output += os.read(self.master, 65536)
            except OSError:  # the program ended
                pass

    def wait_for(self, *words: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not all(w in self.text() for w in words):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.read(0.2)
                if all(w in self.text() for w in words):
                    return
                raise AssertionError(f"never saw {words}; got:\n{self.text()[-3000:]}")
            self.read(0.2)

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def restored(self) -> bool:
        """Whether the terminal is in the modes it had before the program started."""
        return termios.tcgetattr(self.slave)[3] == self.modes

    def exit_code(self, timeout: float = 20) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self.read(0.2)
        self.read(0.2)
        return self.proc.wait(timeout=1)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.master, self.slave):
            os.close(fd)


@pytest.fixture
def terminal():
    started: list[Terminal] = []

    def start(*args: str) -> Terminal:
        started.append(Terminal(*args))
        return started[-1]

    yield start
    for term in started:
        term.close()


# --- record and prune -----------------------------------------------------------


def test_prune_keeps_pinned_sessions_whole_and_never_touches_usage(store, cli, use_config):
    usage_before = cli("usage", "--json", "--no-scan").json()["totals"]
    before_a = json.loads(_export(cli, CLAUDE_A, "json", "--no-scan"))["messages"]
    before_b = _export(cli, CLAUDE_B, "markdown", "--no-scan")
    use_config("retention:\n  conversation_days: 30\n")  # the fixtures are from 2025: all older

    pin = cli("record", CLAUDE_A[:8], "--json").json()
    assert pin == {"id": CLAUDE_A, "pinned": True, "changed": True}
    listed = {s["id"]: s for s in cli("list", "--json", "--no-scan").json()}
    assert listed[CLAUDE_A]["pinned"] is True and "pinned" not in listed[CLAUDE_B]

    dry = cli("prune", "--dry-run", "--json").json()
    assert dry["dry_run"] is True and dry["messages"] > 0 and dry["pinned_kept"] == 1
    assert _export(cli, CLAUDE_B, "markdown", "--no-scan") == before_b  # a dry run changes nothing
    human = cli("prune", "--dry-run")
    assert human.out.startswith(f"Would empty {dry['messages']:,} message bodies")

    done = cli("prune", "--json").json()
    assert {k: done[k] for k in ("sessions", "messages", "chars")} == {k: dry[k] for k in ("sessions", "messages", "chars")}
    kept = json.loads(_export(cli, CLAUDE_A, "json", "--no-scan"))
    assert kept["messages"] == before_a and kept["session"]["pinned"] is True and kept["pruned"] == 0  # whole
    pruned = json.loads(_export(cli, CLAUDE_B, "json", "--no-scan"))
    assert pruned["pruned"] > 0 and all(m["kind"] == "tool_use" for m in pruned["messages"])
    assert cli("usage", "--json", "--no-scan").json()["totals"] == usage_before  # dollars stay right
    assert cli("prune", "--json").json()["messages"] == 0

    assert cli("record", "--off", CLAUDE_A, "--json").json() == {"id": CLAUDE_A, "pinned": False, "changed": True}
    assert cli("unrecord", CLAUDE_A).out.strip() == f"{CLAUDE_A} was not pinned"


def test_a_scan_applies_the_retention_setting_and_without_one_keeps_everything(fixture_logs, cli, use_config, tmp_path):
    assert cli("scan").code == 0  # no retention set: everything kept
    with _db(tmp_path) as db:
        kept = db.execute("SELECT count(*) FROM messages WHERE text != ''").fetchone()[0]
    assert kept > 0
    r = cli("prune")
    assert r.code == 1 and "no retention set" in r.err

    use_config("retention:\n  conversation_days: 30\n")
    assert cli("record", CLAUDE_A).code == 0
    assert cli("scan").code == 0
    with _db(tmp_path) as db:
        left = {sid for (sid,) in db.execute("SELECT DISTINCT session_id FROM messages WHERE text != ''")}
    assert left == {CLAUDE_A}
