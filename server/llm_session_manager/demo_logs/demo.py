"""The demo history: one story per case the product must tell right.

``llm-session demo`` and the tests need a small history that is not the user's own and
shows every case the product reports on: a session still going after hours, with a
sub-agent; two live sessions on one project; a nearly full context with failing edits;
an idle session; a resumed session; earlier days on every project and model; and Codex.
Every time is relative to ``now`` and never after it; same seed and now, same bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import _demo_script as script
from ._claude_lines import CLAUDE_WINDOW, HAIKU, LEADS, OPUS, OPUS_41, SONNET, SONNET_4, Transcript, step, turn
from ._claude_tools import Blob, Files, Op, blob, text_block, tool_id, tool_use
from ._codex_lines import Rollout
from ._content import lang_of, source
from ._format import Ids, LogFile, dumps, tokens

_CODE = "/home/alex/code"


@dataclass(frozen=True)
class DemoLayout:
    """Where the demo logs are, to point ``CLAUDE_CONFIG_DIR`` and ``CODEX_HOME`` at."""

    claude_config_dir: Path
    codex_home: Path
    sessions: dict[str, str]  # case -> session id: long, degraded, idle, resumed, ...
    files: list[Path] = field(default_factory=list)


def write_demo_logs(root: Path, now: datetime, seed: int = 7) -> DemoLayout:
    """Write the demo history under ``root`` (``claude/`` and ``codex/``); same seed and now, same bytes."""
    demo = _Demo(root, now, seed)
    demo.long_session_with_subagent()
    demo.second_session_same_project()
    demo.degraded_session()
    demo.idle_session()
    demo.resumed_session()
    demo.history()
    demo.codex()
    return DemoLayout(demo.claude_dir, demo.codex_dir, demo.sessions, demo.files)


class _Demo:
    """Writes the demo history; every time is relative to ``now`` and never after it."""

    def __init__(self, root: Path, now: datetime, seed: int) -> None:
        self.now = now if now.tzinfo else now.replace(tzinfo=UTC)
        self.ids = Ids(random.Random(seed))
        self.rng = self.ids.rng
        self.claude_dir, self.codex_dir = root / "claude", root / "codex"
        self.files: list[Path] = []
        self.sessions: dict[str, str] = {}
        self.blobs: dict[str, Blob] = {}

    def project(self, name: str, low: int = 40, high: int = 260) -> Files:
        """A project whose files, once generated, read the same every time."""
        cwd = f"{_CODE}/{name}"

        def blob_for(rel: str) -> Blob:
            key = f"{cwd}/{rel}"
            if key not in self.blobs:
                self.blobs[key] = blob(source(self.rng, lang_of(rel), self.rng.randint(low, high)))
            return self.blobs[key]

        return Files(self.ids, cwd, blob_for)

    def transcript(self, name: str, model: str, start: datetime, branch: str = "main") -> Transcript:
        return Transcript(self.ids, self.ids.uuid4(), f"{_CODE}/{name}", branch, model, start)

    def play(self, t: Transcript, files: Files, turns: list[script.Turn], thought: str = "") -> None:
        for minutes, prompt, steps, answer in turns:
            t.not_before(minutes)
            turn(t, files, prompt, steps, answer, thought)

    def save(self, log: LogFile, home: Path, *cases: str) -> None:
        """Write a Claude transcript or Codex rollout where its assistant keeps it, and note which cases it shows."""
        if log.clock > self.now:
            raise AssertionError(f"demo session {cases or log.relpath.name} runs past now")
        path = home / log.relpath
        log.write(path)
        self.files.append(path)

    def save_claude(self, t: Transcript, *cases: str) -> None:
        self.save(t, self.claude_dir, *cases)
        self.sessions.update(dict.fromkeys(cases, t.session_id))

    def day(self, days_ago: int, hour: int, minute: int = 0) -> datetime:
        return (self.now - timedelta(days=days_ago)).replace(hour=hour, minute=minute, second=0, microsecond=0)

    def long_session_with_subagent(self) -> None:
        """web-api: an Opus session over four hours, still going, with a Task sub-agent."""
        files = self.project("web-api", 150, 520)
        t = self.transcript("web-api", OPUS, self.now - timedelta(hours=4, minutes=50), "feat/rate-limit")
        ask = (0, script.RATE_LIMIT_ASK, script.RATE_LIMIT_LOOK, script.RATE_LIMIT_PLAN)
        self.play(t, files, [ask], script.RATE_LIMIT_THOUGHT)
        t.not_before(40)
        t.prompt(script.RATE_LIMIT_GO_AHEAD)
        self.subagent(t, files)
        for kind, arg in script.RATE_LIMIT_BUILD:
            step(t, files, kind, arg, script.RATE_LIMIT_BUILD_LEAD)
        t.respond([text_block(script.RATE_LIMIT_BUILT)], 140, "end_turn")
        self.play(t, files, script.RATE_LIMIT_TURNS)
        self.save_claude(t, "long", "sidechain", "consolidate_a")

    def subagent(self, t: Transcript, files: Files) -> None:
        """A Task call: the sub-agent's own transcript (a sidechain), then its report as the tool result."""
        t.wait(3, 9)
        asked = t.clock
        task, report = script.REDIS_SURVEY_TASK, script.REDIS_SURVEY_REPORT
        agent = Transcript(self.ids, t.session_id, t.cwd, "feat/rate-limit", HAIKU, t.clock, self.ids.hex(8))
        agent.prompt(task)
        for kind, arg in script.REDIS_SURVEY_STEPS:
            step(agent, files, kind, arg)
        agent.wait(4, 12)
        agent.respond([text_block(report)], tokens(report) + 60, "end_turn")
        self.save_claude(agent)
        tid = tool_id(self.ids)
        use = tool_use(
            tid, "Task", {"description": script.REDIS_SURVEY, "prompt": task, "subagent_type": "general-purpose"}
        )
        t.respond([text_block(script.REDIS_SURVEY_LEAD), use], 180, "tool_use")
        t.clock = agent.clock + timedelta(seconds=1)
        content = [{"type": "text", "text": report}]
        usage = {
            "input_tokens": sum(r.input for r in agent.responses),
            "output_tokens": sum(r.output for r in agent.responses),
        }
        detail = {
            "status": "completed",
            "prompt": task,
            "agentId": agent.agent_id,
            "content": content,
            "totalDurationMs": int((agent.clock - asked).total_seconds() * 1000),
            "totalTokens": agent.context,
            "totalToolUseCount": len(script.REDIS_SURVEY_STEPS),
            "usage": usage,
        }
        t.tool_result(Op(tid, use, dumps(content), dumps(detail), False, tokens(report)))

    def second_session_same_project(self) -> None:
        """web-api: a second live session on the same repo, a consolidation candidate."""
        t = self.transcript("web-api", SONNET, self.now - timedelta(minutes=52), "fix/order-totals")
        self.play(t, self.project("web-api"), script.ORDER_TOTALS_TURNS)
        self.save_claude(t, "consolidate_b")

    def degraded_session(self) -> None:
        """mobile-app: the context is about 90% full, edits and tests keep failing."""
        files = self.project("mobile-app", 420, 820)
        t = self.transcript("mobile-app", SONNET, self.now - timedelta(minutes=41), "fix/checkout-freeze")
        names = script.CHECKOUT_FILES
        t.prompt(script.CHECKOUT_ASK)
        step(t, files, "glob", "src/**/*.ts*", script.CHECKOUT_MAP_LEAD)
        n = 0
        while t.context + t.pending < 0.70 * CLAUDE_WINDOW:
            step(t, files, "read", "src/" + names[n % len(names)], LEADS[n % 3] if n % 4 == 0 else "")
            n += 1
        t.respond([text_block(script.CHECKOUT_GUESS)], 260, "end_turn")
        t.not_before(24)
        t.prompt(script.CHECKOUT_FIX)
        while t.context + t.pending < 0.88 * CLAUDE_WINDOW:
            step(t, files, "read", "src/" + names[n % len(names)])
            n += 1
        step(t, files, "edit!", "src/store/cart.ts", script.CHECKOUT_FIX_LEAD)
        step(t, files, "edit!", "src/store/cart.ts")
        step(t, files, "bash!", "npx jest src/store")
        t.wait(5, 20)
        t.api_error(529, "overloaded_error", "Overloaded")
        t.wait(20, 40)
        t.respond([text_block(script.CHECKOUT_STUCK)], 180, "end_turn")
        self.save_claude(t, "degraded")

    def idle_session(self) -> None:
        """data-pipeline: finished hours ago on Haiku and left open."""
        t = self.transcript("data-pipeline", HAIKU, self.now - timedelta(hours=3, minutes=12))
        self.play(t, self.project("data-pipeline"), script.SLOW_DAG_TURNS)
        self.save_claude(t, "idle")

    def resumed_session(self) -> None:
        """infra: a session, then `claude --resume` the next day, which copies it into a new file."""
        files = self.project("infra")
        first = self.transcript("infra", SONNET, self.day(6, 14, 5), "ops/rds-upgrade")
        self.play(first, files, script.RDS_TURNS)
        self.save_claude(first, "resumed_from")
        t = self.transcript("infra", SONNET, self.day(5, 9, 40), "ops/rds-upgrade")
        t.summary(script.RDS_SUMMARY)
        t.replay(first, max_chars=10**9)
        self.play(t, files, script.RDS_RESUMED_TURNS)
        self.save_claude(t, "resumed")

    def history(self) -> None:
        """Earlier days on every project and model, so usage by day and by model has something to show."""
        plan = [
            (9, "web-api", OPUS_41, 0),
            (8, "mobile-app", SONNET, 0),
            (7, "data-pipeline", SONNET, 0),
            (4, "web-api", SONNET_4, 1),
            (3, "mobile-app", HAIKU, 1),
            (2, "data-pipeline", OPUS, 1),
            (1, "web-api", SONNET, 2),
        ]
        for days_ago, name, model, task in plan:
            t = self.transcript(name, model, self.day(days_ago, self.rng.randint(9, 17), self.rng.randint(0, 59)))
            prompt, steps, answer = script.TASKS[name][task]
            self.play(t, self.project(name), [(0, prompt, steps, answer)])
            self.save_claude(t)

    def codex(self) -> None:
        """Codex on three projects and days."""
        runs = [
            ("web-api", "gpt-5-codex", "medium", self.now - timedelta(hours=2, minutes=5)),
            ("data-pipeline", "gpt-5-codex", "high", self.day(3, 16, 20)),
            ("infra", "gpt-5", "medium", self.day(7, 11, 10)),
        ]
        for name, model, effort, start in runs:
            rollout = Rollout(self.ids, f"{_CODE}/{name}", model, start, effort)
            rollout.turn(*script.CODEX_TASKS[name])
            self.save(rollout, self.codex_dir)
            self.sessions.setdefault("codex", rollout.id)
