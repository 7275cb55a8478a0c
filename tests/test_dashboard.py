"""`llm-session dashboard`: the live terminal view of the store.

Driven the way a person uses it: Textual's pilot presses keys on the real app
over a store filled by a real scan of the fixture logs, and what is checked is
what the screen shows; the real command also runs in a pseudo-terminal.
"""

from __future__ import annotations

import asyncio
import fcntl
import html
import json
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
import typing
from datetime import UTC, datetime

import psutil
import pytest
from conftest import CODEX_RECENT, append_codex_turn
from damage import damage_page
from rich.cells import cell_len

from llm_session_manager.core import config
from llm_session_manager.core.config import ColorScheme
from llm_session_manager.frontends.cli import build_parser
from llm_session_manager.frontends.tui import data as tui_data
from llm_session_manager.frontends.tui import open_dashboard
from llm_session_manager.frontends.tui.data import StoreReader
from llm_session_manager.frontends.tui.sessions_table import SessionsTable
from llm_session_manager.frontends.tui.themes import THEMES
from llm_session_manager.store import connect

SIZE = (140, 40)


# --- helpers -----------------------------------------------------------------


def dashboard(**options):
    """The app as ``llm-session dashboard`` builds it, from the sandbox's config and store."""
    return open_dashboard(config.load(), connect(), **options)


def drive(app, story, size=SIZE) -> None:
    """Run ``story(pilot)`` against ``app`` in a headless terminal of ``size``."""

    async def main():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await story(pilot)

    asyncio.run(main())


def screen(app) -> str:
    """The screen as plain text, read back from Textual's own screenshot (SVG).

    The SVG places each run of text at its cell column and leaves out runs of
    blanks, so the text is put back at those columns.
    """
    svg = app.export_screenshot()
    texts = re.findall(r'<text [^>]*x="([\d.]+)"[^>]*textLength="([\d.]+)"[^>]*line-(\d+)\)"[^>]*>([^<]*)</text>', svg)
    cell = min(float(length) / len(html.unescape(t)) for _, length, _, t in texts if t)
    rows: dict[int, dict[int, str]] = {}
    for x, _, line, text in texts:
        row = rows.setdefault(int(line), {})
        col = round(float(x) / cell)
        for ch in html.unescape(text).replace("\xa0", " "):
            row[col] = ch
            for extra in range(1, cell_len(ch)):  # the right half of a wide character
                row[col + extra] = ""
            col += cell_len(ch)
    return "\n".join(
        "".join(row.get(c, " ") for c in range(max(row, default=-1) + 1)).rstrip()
        for _, row in sorted(rows.items())
    )


async def until(pilot, check, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; the screen shows:\n{screen(pilot.app)}")
        await pilot.pause(0.05)


def table_rows(app) -> list[list[str]]:
    table = app.query_one(SessionsTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def listed(cli) -> list[dict]:
    r = cli("list", "--json", "--no-scan")
    assert r.code == 0, r.err
    return r.json()


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- the screen --------------------------------------------------------------


def test_the_table_shows_every_scanned_session_as_list_does(store, cli):
    sessions = listed(cli)
    app = dashboard()

    async def story(pilot):
        rows = table_rows(app)
        assert len(rows) == len(sessions) == 6
        for n, (row, s) in enumerate(zip(rows, sessions, strict=True), 1):
            assert row[0] == str(n)
            assert s["provider"] in row and (s["project"] or "—") in row
            assert f"${s['cost_usd']:,.2f}" in row
            assert f"{s['context']['percent']:.1f}%" in " ".join(row)
        shown = screen(app)
        assert "Sessions · 6 " in shown
        # The fixtures' sessions are months old: all in the table, none in the trend's window,
        # no Claude block now; the header counts the table it sits on.
        assert "6 sessions · 0 used in 30 days · 0 active" in shown
        assert "Claude 5-hour block: none active" in shown

    drive(app, story)


def test_the_header_shows_the_claude_block_running_now(fixture_logs, cli):
    # One more response in a Claude Code log, shaped as the fixture's own lines, written now.
    log = next(fixture_logs.claude.rglob("6f1c2a3b-*.jsonl"))
    line = json.loads(next(x for x in log.read_text().splitlines() if '"type":"assistant"' in x))
    line.update(uuid="b0000001-0000-4000-8000-000000000001", requestId="req_now", timestamp=now_iso())
    line["message"].update(id="msg_now", usage={
        "input_tokens": 1000, "cache_creation_input_tokens": 2000, "cache_read_input_tokens": 3000,
        "output_tokens": 500, "service_tier": "standard"})
    with log.open("a") as f:
        f.write(json.dumps(line, separators=(",", ":")) + "\n")
    assert cli("scan").code == 0
    app = dashboard()

    async def story(pilot):
        # The block began on the hour of this response and lasts five hours.
        assert re.search(r"Claude 5-hour block: 6\.5k tokens \$[\d.]+ used .*· [45]h \d\dm left", screen(app))

    drive(app, story)


def test_a_busy_store_shows_the_most_recent_sessions_and_says_so(store, cli, monkeypatch):
    monkeypatch.setattr(tui_data, "MAX_ROWS", 4)  # as 200 of a heavy year's 20,000
    sessions = listed(cli)
    app = dashboard()

    async def story(pilot):
        rows = table_rows(app)
        assert [(r[2], r[3]) for r in rows] == [(s["provider"], s["project"]) for s in sessions[:4]]
        assert "Sessions · 4 most recent" in screen(app)

    drive(app, story)


def test_j_k_and_number_keys_move_the_details_to_that_session(store, cli):
    sessions = listed(cli)
    app = dashboard()

    def details_show(s: dict) -> bool:
        return f"id            {s['id']}" in screen(app)

    async def story(pilot):
        assert details_show(sessions[0])  # the most recent session is selected at start
        await pilot.press("j", "j")
        await until(pilot, lambda: details_show(sessions[2]), "the third session")
        await pilot.press("k")
        await until(pilot, lambda: details_show(sessions[1]), "the second session")
        await pilot.press("5")
        await until(pilot, lambda: details_show(sessions[4]), "the fifth session")
        await pilot.press("9")  # there is no ninth: the selection stays
        await pilot.pause()
        assert details_show(sessions[4])
        await pilot.press("down", "enter")
        await until(pilot, lambda: details_show(sessions[5]), "the sixth session")

    drive(app, story)


def test_a_click_selects_the_session_under_the_mouse(store, cli):
    sessions = listed(cli)
    app = dashboard()

    async def story(pilot):
        table = app.query_one(SessionsTable)
        # The fourth row: below the border and the column headers.
        await pilot.click(SessionsTable, offset=(20, 1 + table.header_height + 3))
        await until(pilot, lambda: f"id            {sessions[3]['id']}" in screen(app), "the clicked session")

    drive(app, story)


def test_details_show_tokens_health_components_tags_and_recommendations(store, cli):
    claude = next(s for s in listed(cli) if s["provider"] == "claude-code")
    assert cli("tag", claude["id"], "checkout", "bug").code == 0
    sessions = listed(cli)
    n = next(i for i, s in enumerate(sessions, 1) if s["id"] == claude["id"])
    app = dashboard()

    async def story(pilot):
        await pilot.press(str(n))
        await until(pilot, lambda: claude["id"] in screen(app), "the Claude session")
        shown = screen(app)
        tokens = claude["tokens"]
        assert f"{tokens['total']:,} " in shown and tokens["source"] in shown
        assert re.search(rf"cache w / r\s+{tokens['cache_creation']:,} / {tokens['cache_read']:,}", shown)
        assert f"{claude['context']['used']:,} of {claude['context']['limit']:,}" in shown
        for component in claude["health"]["components"]:
            assert component.replace("_", " ") in shown
        assert "#bug #checkout" in shown
        # The fixture sessions are months old: the idle rule speaks, with its action.
        assert re.search(r"info\s+idle for \d+ days", shown), shown
        assert f"llm-session export {claude['id'][:8]}" in shown

    drive(app, story, size=(200, 60))  # room for every line, unwrapped


def test_the_trend_chart_and_header_count_todays_tokens(fixture_logs, store, cli):
    append_codex_turn(fixture_logs.recent, now_iso(), 40_000, 2_000)
    assert cli("scan").code == 0
    app = dashboard()

    async def story(pilot):
        shown = screen(app)
        assert "Tokens per day · last 30 days" in shown
        assert "today 42.0k tokens" in shown
        assert "42.0k ┤" in shown  # the tallest bar, today's, labels the axis
        assert "42.0k tokens · $" in shown

    drive(app, story)


def test_t_cycles_the_four_themes_starting_from_the_config(store, use_config):
    use_config("dashboard:\n  color_scheme: light\n")
    app = dashboard()

    async def story(pilot):
        seen = [app.theme]
        for _ in range(4):
            await pilot.press("t")
            await pilot.pause()
            seen.append(app.theme)
            # the screen is repainted: the focused table's border takes the theme's primary colour
            assert f'fill="{THEMES[app.theme].primary.lower()}"' in app.export_screenshot().lower()
        assert seen == ["light", "cyberpunk", "minimal", "dark", "light"]

    drive(app, story)


def test_every_colour_scheme_the_config_accepts_is_a_theme_and_a_theme_option():
    schemes = set(typing.get_args(ColorScheme))
    dashboard_parser = next(a for a in build_parser()._actions if a.dest == "command").choices["dashboard"]
    theme_option = next(a for a in dashboard_parser._actions if a.dest == "theme")
    assert set(THEMES) == schemes == set(theme_option.choices)


def test_theme_option_overrides_the_config(store, use_config):
    use_config("dashboard:\n  color_scheme: light\n")
    app = dashboard(theme="cyberpunk")

    async def story(pilot):
        assert app.theme == "cyberpunk"

    drive(app, story)


def test_without_emoji_health_is_spelled_out(store, use_config):
    use_config("dashboard:\n  show_emoji: false\n")
    app = dashboard()

    async def story(pilot):
        shown = screen(app)
        assert re.search(r"\b\d+ (ok|warn|crit)\b", shown)
        assert not any(e in shown for e in "🟢🟡🔴")

    drive(app, story)


def test_question_mark_shows_the_keys(store):
    app = dashboard()

    async def story(pilot):
        await pilot.press("question_mark")
        await pilot.pause()
        shown = screen(app)
        assert "1 … 9" in shown and "jump to the Nth session" in shown
        await pilot.press("escape")
        await pilot.pause()
        assert "jump to the Nth session" not in screen(app)

    drive(app, story)


# --- live updates ------------------------------------------------------------


def test_a_scan_by_another_process_shows_up_after_a_refresh_tick(fixture_logs, store, cli):
    app = dashboard(refresh=0.2)

    async def story(pilot):
        assert "today 0 tokens" in screen(app)
        append_codex_turn(fixture_logs.recent, now_iso(), 120_000, 3_000)
        r = await asyncio.to_thread(cli, "scan")  # another process writes the store
        assert r.code == 0, r.err
        # The Codex session just worked, so it is now the most recent: first row.
        await until(pilot, lambda: "today 123.0k tokens" in screen(app), "the new turn in the header")
        assert "6 sessions · 1 used in 30 days" in screen(app)
        assert "123.0k tokens · $" in screen(app)  # the chart has today's bar
        await pilot.press("1")
        await until(pilot, lambda: f"id            {CODEX_RECENT}" in screen(app), "the Codex session's details")

    drive(app, story)


def test_r_reloads_at_once_without_waiting_for_the_tick(fixture_logs, store, cli):
    app = dashboard(refresh=3600)

    async def story(pilot):
        append_codex_turn(fixture_logs.recent, now_iso(), 9_000, 1_000)
        assert (await asyncio.to_thread(cli, "scan")).code == 0
        await pilot.pause(0.5)
        assert "today 0 tokens" in screen(app)  # no tick within the hour
        await pilot.press("r")
        await until(pilot, lambda: "today 10.0k tokens" in screen(app), "the reloaded header")

    drive(app, story)


def test_the_dashboard_keeps_reading_while_the_help_is_open(fixture_logs, store, cli):
    app = dashboard(refresh=0.2)

    async def story(pilot):
        await pilot.press("question_mark")
        append_codex_turn(fixture_logs.recent, now_iso(), 7_000, 500)
        assert (await asyncio.to_thread(cli, "scan")).code == 0
        await pilot.pause(1.0)  # several ticks under the help screen
        await pilot.press("escape")
        await until(pilot, lambda: "today 7.5k tokens" in screen(app), "the new turn")

    drive(app, story)


def test_the_empty_store_says_how_to_fill_it_and_fills_in_once_scanned(fixture_logs, cli):
    app = dashboard(refresh=0.2)

    async def story(pilot):
        shown = screen(app)
        assert "No sessions in the store yet." in shown
        assert "llm-session scan" in shown and "llm-session serve" in shown
        r = await asyncio.to_thread(cli, "scan")
        assert r.code == 0, r.err
        await until(pilot, lambda: len(table_rows(app)) == 6 and "No sessions" not in screen(app),
                    "the scanned sessions")

    drive(app, story)


def test_the_reader_asks_the_services_only_when_the_store_moved_or_health_drifted(
        fixture_logs, store, cli, monkeypatch):
    reader = StoreReader(connect(), config.load())
    assert reader.poll() is not None
    assert reader.poll() is None  # nothing written since
    assert reader.poll(force=True) is not None  # ``r``
    assert cli("tag", CODEX_RECENT, "reviewed").code == 0  # another process commits
    snap = reader.poll()
    assert snap is not None and "reviewed" in next(s for s in snap.sessions if s.id == CODEX_RECENT).tags
    # Health drifts with idle time, which writes nothing: re-read when it may have moved.
    monkeypatch.setattr(tui_data, "HEALTH_DRIFT_S", 0.05)
    deadline = time.monotonic() + 5
    while reader.poll() is None:
        assert time.monotonic() < deadline, "the reader never re-read for health drift"


# --- the real command --------------------------------------------------------


@pytest.fixture
def terminal():
    """``terminal(*args)`` starts a ``Terminal``; each is closed after the test, failed or not."""
    started: list[Terminal] = []

    def start(*args: str) -> Terminal:
        started.append(Terminal(*args))
        return started[-1]

    yield start
    for term in started:
        term.close()


class Terminal:
    """``llm-session ARGS`` in a pseudo-terminal of 140x40, as a person starts it."""

    def __init__(self, *args: str) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llm_session_manager", *args],
            stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
            env={**os.environ, "TERM": "xterm-256color"},
        )
        os.close(slave)
        self.output = b""

    def text(self) -> str:
        """All output so far, without escape sequences."""
        raw = self.output.decode("utf-8", "replace")
        return re.sub(r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-B]|[=>78])", "", raw)

    def read(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if not select.select([self.master], [], [], left)[0]:
                return
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # the other end closed: the program ended
                return
            if not chunk:
                return
            self.output += chunk

    def wait_for(self, *words: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not all(w in self.text() for w in words):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"never saw {words}; got:\n{self.text()[-3000:]}")
            self.read(0.2)

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> None:
        """However the test went: no process left running, no descriptor left open."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.master is not None:
            os.close(self.master)
            self.master = None

    def exit_code(self, timeout: float = 20) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self.read(0.2)
        try:
            return self.proc.wait(timeout=1)
        finally:
            self.close()


def test_the_real_command_draws_the_sessions_and_quits_on_q(store, terminal):
    term = terminal("dashboard", "--refresh", "1")
    term.wait_for("acme-api", "shop", "Sessions · 6", "Tokens per day")
    term.send("q")
    assert term.exit_code() == 0


def test_a_dashboard_whose_terminal_is_closed_exits_instead_of_spinning(store, terminal):
    term = terminal("dashboard", "--refresh", "0.5")
    term.wait_for("acme-api")
    os.close(term.master)  # the terminal window is shut; nobody will press q
    term.master = None
    try:
        term.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        cpu = psutil.Process(term.proc.pid).cpu_percent(interval=1.0)
        raise AssertionError(f"still running after its terminal closed, at {cpu:.0f}% CPU") from None


@pytest.mark.parametrize("breakage, message", [
    ("config", "unknown key 'dashboard.colour_scheme'"),
    ("store", "is damaged"),
    ("page", "is damaged (database disk image is malformed); your memories, tags and projects live only"),
])
def test_a_broken_config_or_store_is_one_line_and_exit_1(fixture_logs, tmp_path, monkeypatch, breakage, message,
                                                         terminal):
    if breakage == "config":
        cfg = tmp_path / "config.yaml"
        cfg.write_text("dashboard:\n  colour_scheme: dark\n")
        monkeypatch.setenv("LLM_SESSION_CONFIG", str(cfg))
    elif breakage == "store":
        data = tmp_path / "sandbox" / "data"
        data.mkdir(parents=True, exist_ok=True)
        (data / "sessions.db").write_bytes(b"this is not a database, it is notes.txt\n" * 200)
    else:  # one page in the middle of a real store, overwritten
        subprocess.run([sys.executable, "-m", "llm_session_manager", "scan"], check=True, capture_output=True)
        damage_page(tmp_path / "sandbox" / "data" / "sessions.db")
    term = terminal("dashboard")
    code = term.exit_code()
    lines = [line for line in term.text().splitlines() if line.strip()]
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines


def test_piped_output_points_to_list_and_analytics_with_exit_2(store, cli):
    r = cli("dashboard")
    assert r.code == 2
    assert r.out == ""
    assert r.err.count("\n") == 1 and "llm-session list" in r.err and "llm-session analytics" in r.err


def test_refresh_must_be_a_positive_number_of_seconds(cli):
    r = cli("dashboard", "--refresh", "0")
    assert r.code == 2
    assert "must be a positive number of seconds" in r.err
