"""``llm-session replay ID``: a conversation played back with its real timing.

The wait before each message is the gap between its timestamp and the one
shown before it, capped at ``--max-gap`` and divided by ``--speed``. On a
terminal, keys steer it (space pauses, n or → steps, g/: N Enter jumps, t hides
tool output, q quits); the terminal is put in cbreak mode (keys without Enter,
no echo, Ctrl-C still a signal) and given back on every way out, Ctrl-C and
SIGTERM included. Without a terminal on stdout it prints the conversation at
once, unless ``--speed`` is given: then it waits as on a terminal, without keys.

Plain blocking code: one ``select`` on stdin with the time left as timeout is
all the concurrency a player needs.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import termios
import time
import tty
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import IO

from ...services.conversation import Entry, call_words, is_tool
from ...services.conversation_export import LABELS, usage_words
from ._context import Context

_NEXT = -1  # the wait is over
_STEP = -2  # a key said: the next message now
_QUIT = -3
_RIGHT = (b"\x1b[C", b"\x1bOC")
_COLORS = {"user": "34", "assistant": "33", "system": "35", "error": "31", "tool": "36"}


def cmd_replay(ctx: Context) -> None:
    from ...services import conversation

    convo = conversation.load(ctx.fresh_conn(), ctx.config, ctx.args.id)
    out = sys.stdout
    on_terminal = out.isatty()
    player = Player(
        convo.messages, out, color=on_terminal and "NO_COLOR" not in os.environ,
        speed=ctx.args.speed or 1.0, max_gap=ctx.args.max_gap,
        timed=on_terminal or ctx.args.speed is not None, show_tools=not ctx.args.no_tools,
    )
    title = convo.session.title or convo.session.id
    player.note(f"Replaying {title} · {len(convo.messages)} messages"
                + (" · space pause · n next · g N jump · t tools · q quit" if on_terminal and sys.stdin.isatty() else ""))
    if on_terminal and sys.stdin.isatty():
        with _keys(sys.stdin.fileno()) as fd:
            player.keys = fd
            player.play(ctx.args.start)
    else:
        player.play(ctx.args.start)


@contextmanager
def _keys(fd: int) -> Iterator[int]:
    """The terminal in cbreak mode for as long as the replay runs, given back however it ends."""
    saved = termios.tcgetattr(fd)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt  # unwinds through the ``finally`` below

    def again(signum: int, frame: FrameType | None) -> None:
        tty.setcbreak(fd, termios.TCSANOW)  # back from Ctrl-Z: the shell gave the terminal its own modes

    previous = signal.signal(signal.SIGTERM, stop), signal.signal(signal.SIGCONT, again)
    try:
        tty.setcbreak(fd, termios.TCSANOW)
        yield fd
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGCONT, previous[1])


class Player:
    """Shows entries one by one, waiting between them and answering keys."""

    def __init__(self, entries: list[Entry], out: IO[str], *, color: bool, speed: float, max_gap: float,
                 timed: bool, show_tools: bool) -> None:
        self.entries = entries
        self.out = out
        self.color = color
        self.speed = speed
        self.max_gap = max_gap
        self.timed = timed
        self.show_tools = show_tools
        self.keys: int | None = None  # stdin's descriptor, in cbreak mode; None: no keys
        self.paused = False
        self.typed: str | None = None  # digits of a jump being typed (after g or :)
        self.pending = b""

    def play(self, start: int = 1) -> None:
        i = next((k for k, e in enumerate(self.entries) if e.n >= start), len(self.entries))
        last: Entry | None = None
        now = False  # show the next shown message without waiting (n pressed while a hidden one was due)
        while i < len(self.entries):
            e = self.entries[i]
            if not self.show_tools and is_tool(e):
                i += 1
                continue
            if last is not None and self.timed and not now:
                gap = min(max(e.at - last.at, 0.0), self.max_gap) / self.speed
                went = self._wait(gap)
                if went == _QUIT:
                    self.note("Stopped.")
                    return
                if went >= 0:
                    i = went
                    e = self.entries[i]
                elif not self.show_tools and is_tool(e):  # t pressed while waiting for it
                    now = went == _STEP
                    continue
            now = False
            self._show(e)
            last = e
            i += 1
        self.note(f"End of conversation ({len(self.entries)} messages).")

    def note(self, text: str) -> None:
        self._write(self._paint(f"── {text}", "2") + "\n")

    def _wait(self, seconds: float) -> int:
        """Wait ``seconds`` (not counting pauses): ``_NEXT``; or less if a key says so:
        ``_STEP``, ``_QUIT`` or the index of the entry to jump to."""
        left = seconds
        while True:
            if self.keys is None:
                if left > 0:
                    time.sleep(left)
                return _NEXT
            if not self.paused and left <= 0:
                return _NEXT
            started = time.monotonic()
            ready = select.select([self.keys], [], [], None if self.paused else left)[0]
            if not self.paused:
                left -= time.monotonic() - started
            if not ready:
                continue
            data = os.read(self.keys, 64)
            if not data:  # the terminal is gone: play on without keys
                self.keys = None
                continue
            for key in self._split(data):
                went = self._key(key)
                if went is not None:
                    return went

    def _split(self, data: bytes) -> Iterator[bytes]:
        data = self.pending + data
        self.pending = b""
        while data:
            if data.startswith(b"\x1b"):
                if len(data) < 3 and data in (b"\x1b", b"\x1b[", b"\x1bO"):
                    self.pending = data  # the rest of an arrow key is on its way
                    return
                n = 3 if data[1:2] in (b"[", b"O") else 1
                yield data[:n]
                data = data[n:]
            else:
                yield data[:1]
                data = data[1:]

    def _key(self, key: bytes) -> int | None:
        if self.typed is not None:
            return self._typing(key)
        if key == b"q":
            return _QUIT
        if key == b" ":
            self.paused = not self.paused
            self.note("Paused: space resumes, n steps." if self.paused else "Playing.")
        elif key == b"n" or key in _RIGHT:
            return _STEP
        elif key in (b"g", b":"):
            self.typed = ""
            self._write(self._paint("── go to message: ", "2"))
        elif key == b"t":
            self.show_tools = not self.show_tools
            self.note("Tool output shown." if self.show_tools else "Tool output hidden.")
        return None

    def _typing(self, key: bytes) -> int | None:
        typed = self.typed or ""
        if key.isdigit():
            self.typed = typed + key.decode()
            self._write(key.decode())
            return None
        if key in (b"\x7f", b"\b"):
            self.typed = typed[:-1]
            if typed:
                self._write("\b \b")
            return None
        self.typed = None
        self._write("\n")
        if key in (b"\r", b"\n") and typed:
            n = int(typed)
            found = next((k for k, e in enumerate(self.entries) if e.n >= n), None)
            if found is None:
                self.note(f"No message {n}: there are {len(self.entries)}.")
                return None
            return found
        self.note("Jump cancelled.")
        return None

    def _show(self, e: Entry) -> None:
        clock = e.ts[11:19]
        if e.kind == "tool_use":
            what = call_words(e) if e.name else f"{e.tool} {e.path}"
            self._write(self._paint(f"  ⚙ #{e.n} · {clock} · {what}", _COLORS["tool"]) + "\n")
            return
        style = "error" if e.kind in ("api_error", "tool_error") else e.role
        usage = usage_words(e)
        head = (self._paint(LABELS.get(e.kind, e.kind), "1;" + _COLORS.get(style, "0"))
                + self._paint(f"  #{e.n} · {clock}" + (f" · {usage}" if usage else ""), "2"))
        self._write(f"\n{head}\n{e.text.rstrip()}\n")

    def _paint(self, text: str, sgr: str) -> str:
        return f"\x1b[{sgr}m{text}\x1b[0m" if self.color else text

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()
