"""The status line's agent: a resident process that draws ``llm-session statusline``'s line.

Real parts only: the real CLI in a subprocess hands the payload to a real agent
process over its real Unix socket in a short temp data dir (a socket path has
room for about 100 bytes: pytest's temp dirs are too long for it). Every agent a
test started is killed at its end (``agents``), whatever the test did.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_statusline import append_response, claude, payload  # noqa: F401 -- claude: the fixture

from llm_session_manager.frontends.cli.statusline_agent import client, wire

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not sys.platform.startswith("linux"),
                                                   reason="finds agents by /proc")]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
MAIN = "from llm_session_manager.frontends.cli.statusline_agent.agent import main; main()"


def wait_for(what: Callable[[], object], timeout: float = 20.0) -> object:
    """``what()`` once it is truthy; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = what()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def agent_pids(data: Path) -> list[int]:
    """The agent processes (not yet exited) of the data dir ``data``, by their command line and environment."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            env = Path(f"/proc/{entry}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"statusline_agent.agent" in cmdline and f"LLM_SESSION_DATA_DIR={data}".encode() in env:
            found.append(int(entry))
    return found


@pytest.fixture
def agents(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A short data dir with the agent switched on; at the end, every agent of it killed."""
    data = Path(tempfile.mkdtemp(prefix="lsa-"))
    monkeypatch.setenv("LLM_SESSION_DATA_DIR", str(data))
    monkeypatch.setenv("LLM_SESSION_STATUSLINE_AGENT", "1")
    try:
        yield data
    finally:
        for pid in agent_pids(data):
            os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not agent_pids(data))
        shutil.rmtree(data, ignore_errors=True)


def running() -> tuple[int, int, bool] | None:
    """(pid, lines drawn, same version) of the agent answering at the data dir's socket."""
    return client.status()


def drawn_by_agent(line: Callable[[], str]) -> str:
    """``line()``, checked to have been drawn by the running agent (its count of lines rises)."""
    before = wait_for(running)
    out = line()
    after = running()
    assert after is not None and after[0] == before[0] and after[1] == before[1] + 1, (before, after)
    return out


def test_the_agent_draws_the_same_line_as_the_command_for_each_payload(cli, claude, agents):
    for name in ("max-plan", "after-compact", "api-key"):
        for options in ([], ["--json"], ["--no-color", "--segments", "model,context,today,weekly"],
                        ["--format", "[{model}] {context} {five_hour}"]):
            given = payload(name, claude)
            alone = cli("statusline", *options, input=given, env={"LLM_SESSION_STATUSLINE_AGENT": "0"})
            first = cli("statusline", *options, input=given)  # drawn here, or by the agent once it is up
            wait_for(running)
            agent = drawn_by_agent(lambda: cli("statusline", *options, input=given))  # noqa: B023
            assert (agent.code, agent.err, first.code) == (0, "", 0)
            countdown = re.compile(r"↻\S+")  # a minute may pass between the runs
            assert countdown.sub("↻", ANSI.sub("", agent.out)) == countdown.sub("↻", ANSI.sub("", alone.out))
            assert ANSI.findall(agent.out) == ANSI.findall(alone.out)  # the same colours
            assert agent.out.endswith("\n") and agent.out.count("\n") == 1
    assert len(agent_pids(agents)) == 1  # one agent drew them all


def test_a_new_response_shows_in_the_next_line(cli, claude, agents):
    cli("statusline", input=payload("max-plan", claude))
    first = json.loads(drawn_by_agent(lambda: cli("statusline", "--json", input=payload("max-plan", claude))).out)
    append_response(claude, datetime.now(UTC), output_tokens=20_000)
    second = json.loads(drawn_by_agent(lambda: cli("statusline", "--json", input=payload("max-plan", claude))).out)
    assert second["session_cost_usd"]["value"] > first["session_cost_usd"]["value"] + 0.25  # 20k Sonnet output
    assert second["today_cost_usd"]["value"] > 0.25


def test_a_killed_agent_leaves_the_line_to_the_command_and_a_new_agent_comes_up(cli, claude, agents):
    cli("statusline", input=payload("max-plan", claude))
    pid, _, _ = wait_for(running)
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: pid not in agent_pids(agents))
    assert (agents / wire.SOCKET_NAME).exists()  # its socket stays behind: connecting to it is refused
    r = cli("statusline", "--no-color", input=payload("max-plan", claude))
    assert (r.code, r.err) == (0, "") and r.out.startswith("Sonnet 4.5 | ctx 23% | $")
    new = wait_for(running)
    assert new[0] != pid


def test_of_two_agents_started_at_once_one_stays(agents):
    started = [subprocess.Popen([sys.executable, "-c", MAIN], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE) for _ in range(2)]
    try:
        wait_for(lambda: any(p.poll() is not None for p in started))
        (left,) = [p for p in started if p.poll() is not None]
        assert left.returncode == 0 and left.communicate() == (b"", b"")  # quietly
        (stays,) = [p for p in started if p.poll() is None]
        assert wait_for(running)[0] == stays.pid
    finally:
        for p in started:
            p.kill()
            p.communicate()


def test_another_version_s_agent_exits_and_the_line_is_drawn_here(cli, claude, agents, tmp_path):
    # An older install: the same code at another place (its __init__.py is another file).
    old = tmp_path / "old"
    shutil.copytree(Path(wire.__file__).parents[3], old / "llm_session_manager")
    env = {**os.environ, "PYTHONPATH": str(old)}
    older = subprocess.Popen([sys.executable, "-c", MAIN], env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: (agents / wire.SOCKET_NAME).exists())
        r = cli("statusline", "--no-color", input=payload("max-plan", claude))
        assert (r.code, r.err) == (0, "") and r.out.startswith("Sonnet 4.5 | ctx 23% | $")
        assert older.wait(timeout=20) == 0  # asked by another version: it left
        new = wait_for(running)  # and ours came up in its place
        assert new[0] != older.pid and new[2]
    finally:
        older.kill()
        older.wait()


def test_an_idle_agent_exits(cli, claude, agents, use_config):
    use_config("statusline:\n  agent_idle_minutes: 0.01\n")
    cli("statusline", input=payload("max-plan", claude))
    pid = wait_for(lambda: agent_pids(agents))
    wait_for(lambda: not agent_pids(agents))  # 0.6 s after it started
    assert not (agents / wire.SOCKET_NAME).exists()
    assert f"pid {pid[0]}: exits: idle for 0.01 min" in (agents / wire.LOG_NAME).read_text()


def test_the_client_s_time_zone_decides_what_today_is(cli, claude, agents):
    now = datetime.now(UTC)
    append_response(claude, now - timedelta(hours=2), output_tokens=20_000)
    cli("statusline", input=payload("max-plan", claude))  # stores it; the agent comes up

    def zone(local_now: timedelta) -> str:
        """A POSIX TZ in which it is ``local_now`` past midnight (POSIX writes east of UTC as negative)."""
        since_midnight = timedelta(hours=now.hour, minutes=now.minute, seconds=now.second)
        east = (local_now - since_midnight) % timedelta(days=1)
        minutes = int(east.total_seconds() // 60)
        if minutes > 12 * 60:
            minutes -= 24 * 60
        sign = "-" if minutes >= 0 else "+"
        return f"ZZZ{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"

    def today(tz: str) -> float:
        line = drawn_by_agent(lambda: cli("statusline", "--json", input=payload("max-plan", claude), env={"TZ": tz}))
        return json.loads(line.out)["today_cost_usd"]["value"]

    assert today(zone(timedelta(minutes=50))) == 0  # the response was before this zone's midnight
    assert today(zone(timedelta(hours=12))) > 0.25  # and after this one's


def test_with_the_agent_turned_off_none_is_started_and_a_running_one_exits(cli, claude, agents, use_config):
    cli("statusline", input=payload("max-plan", claude))
    pid, _, _ = wait_for(running)
    use_config("statusline:\n  agent: false\n")
    r = cli("statusline", "--no-color", input=payload("max-plan", claude))
    assert r.out.startswith("Sonnet 4.5 | ctx 23% | $")  # drawn here, after the agent said it is off
    wait_for(lambda: pid not in agent_pids(agents))
    for _ in range(2):
        assert cli("statusline", input=payload("max-plan", claude)).code == 0
        assert agent_pids(agents) == []  # started synchronously, if at all: it would be there now


def test_doctor_says_whether_it_runs_and_stop_agent_stops_it(cli, claude, agents):
    def agent_check() -> dict:
        (found,) = [c for c in cli("doctor", "--json").json()["checks"] if c["name"] == "statusline agent"]
        return found

    assert agent_check()["detail"].startswith("not running")
    cli("statusline", input=payload("max-plan", claude))
    pid, _, _ = wait_for(running)
    assert agent_check()["detail"].startswith(f"running (pid {pid}, ")
    assert cli("statusline", "stop-agent", "--json").json() == {"stopped": True, "pid": pid}
    wait_for(lambda: not agent_pids(agents))
    assert not (agents / wire.SOCKET_NAME).exists()
    assert cli("statusline", "stop-agent").out == "No status line agent is running.\n"


def test_the_command_hands_off_to_the_agent_before_importing_anything_heavy(cli, claude, agents):
    # What the command costs with an agent is Python's start-up and these few modules:
    # typing, pathlib, json, socket (enum), msgspec, apsw are each more than the agent's answer.
    cli("statusline", input=payload("max-plan", claude))
    wait_for(running)
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "llm_session_manager", "statusline"],
                          input=payload("max-plan", claude).encode(), capture_output=True, check=True)
    assert proc.stdout.decode().startswith("Sonnet 4.5 | ctx ")
    imported = {line.split("|")[-1].strip() for line in proc.stderr.decode().splitlines()[1:]}
    ours = {m for m in imported if m.startswith("llm_session_manager")}
    assert ours == {"llm_session_manager", "llm_session_manager.core", "llm_session_manager.core.paths",
                    "llm_session_manager.frontends", "llm_session_manager.frontends.cli",
                    "llm_session_manager.frontends.cli.statusline_agent",
                    "llm_session_manager.frontends.cli.statusline_agent.client",
                    "llm_session_manager.frontends.cli.statusline_agent.wire"}
    assert not imported & {"typing", "pathlib", "json", "socket", "enum", "re", "msgspec", "apsw", "subprocess"}


def test_sigterm_ends_the_agent_and_removes_its_socket(cli, claude, agents):
    cli("statusline", input=payload("max-plan", claude))
    pid, _, _ = wait_for(running)
    os.kill(pid, signal.SIGTERM)
    wait_for(lambda: not agent_pids(agents))
    assert not (agents / wire.SOCKET_NAME).exists()
    assert f"pid {pid}: exits: terminated (SIGTERM)" in (agents / wire.LOG_NAME).read_text()


def test_a_data_dir_too_long_for_a_socket_gets_no_agent(cli, claude, agents, monkeypatch):
    deep = agents / ("d" * 60) / ("e" * 60)
    monkeypatch.setenv("LLM_SESSION_DATA_DIR", str(deep))
    for _ in range(2):
        r = cli("statusline", "--no-color", input=payload("max-plan", claude))
        assert (r.code, r.err) == (0, "") and r.out.startswith("Sonnet 4.5 | ctx 23% | $")
        assert agent_pids(deep) == []
    (check,) = [c for c in cli("doctor", "--json").json()["checks"] if c["name"] == "statusline agent"]
    assert "too long" in check["detail"]


def test_a_replaced_store_is_opened_again(cli, claude, agents):
    cli("statusline", input=payload("max-plan", claude))
    wait_for(running)
    for name in ("sessions.db", "sessions.db-wal", "sessions.db-shm"):
        (agents / name).unlink(missing_ok=True)  # a store restored from elsewhere, or started afresh
    line = json.loads(drawn_by_agent(lambda: cli("statusline", "--json", input=payload("max-plan", claude))).out)
    assert line["session_cost_usd"]["source"] == "exact"  # the transcript read into the new store
    assert (agents / "sessions.db").exists()


def test_while_another_process_writes_the_store_the_agent_answers_in_time(cli, claude, agents):
    import apsw

    cli("statusline", input=payload("max-plan", claude))
    wait_for(running)
    append_response(claude, datetime.now(UTC), output_tokens=500)  # a line that has something to store
    writer = apsw.Connection(str(agents / "sessions.db"))
    writer.execute("BEGIN IMMEDIATE")  # a scan's transaction
    try:
        r = drawn_by_agent(lambda: cli("statusline", "--no-color", input=payload("max-plan", claude)))
        assert r.out.startswith("Sonnet 4.5 | ctx 23% | $")  # drawn from what the store holds
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert "request dropped" not in (agents / wire.LOG_NAME).read_text()  # its client had its answer
