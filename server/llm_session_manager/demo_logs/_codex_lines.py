"""Codex rollouts as Codex CLI 0.5x writes them.

A rollout lives in ``sessions/YYYY/MM/DD/rollout-<local time>-<uuid7>.jsonl``: session
meta, then per turn the context, the user's message, reasoning, tool calls and their
output, with a ``token_count`` event (cumulative and per-call usage, rate limits) after
every model call.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from ._content import bash_output
from ._format import Ids, LogFile, dumps, iso, tokens

CODEX_VERSION = "0.58.0"
CODEX_WINDOW = 272_000


class Rollout(LogFile):
    """One Codex rollout file: session meta, turns, and a token_count after every model call."""

    def __init__(self, ids: Ids, cwd: str, model: str, clock: datetime, effort: str) -> None:
        super().__init__(ids, clock)
        self.cwd, self.model, self.effort = cwd, model, effort
        self.id = ids.uuid7(clock)
        self.total = dict.fromkeys(
            ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens", "total_tokens"), 0
        )
        self.limits = [self.rng.uniform(2, 30), self.rng.uniform(10, 60)]  # percent used: 5 h and weekly windows
        git = {
            "commit_hash": ids.hex(40),
            "branch": "main",
            "repository_url": f"git@github.com:acme/{Path(cwd).name}.git",
        }
        meta = {
            "id": self.id,
            "timestamp": iso(clock),
            "cwd": cwd,
            "originator": "codex_cli_rs",
            "cli_version": CODEX_VERSION,
            "instructions": None,
            "source": "cli",
            "model_provider": "openai",
            "git": git,
        }
        self._emit("session_meta", meta)
        env = (
            f"<environment_context>\n  <cwd>{cwd}</cwd>\n  <approval_policy>on-request</approval_policy>\n"
            "  <sandbox_mode>workspace-write</sandbox_mode>\n  <network_access>restricted</network_access>\n"
            "  <shell>zsh</shell>\n</environment_context>"
        )
        self._message("user", "input_text", env)
        self.prompt_tokens = 9_000 + tokens(env)  # instructions and tools, then the conversation

    def _emit(self, kind: str, payload: Mapping[str, object]) -> None:
        self.lines.append(dumps({"timestamp": iso(self.clock), "type": kind, "payload": payload}) + "\n")

    def _message(self, role: str, kind: str, text: str) -> None:
        self._emit("response_item", {"type": "message", "role": role, "content": [{"type": kind, "text": text}]})

    def _token_count(self, output: int) -> None:
        rng = self.rng
        cached = 0 if not self.total["input_tokens"] else self.prompt_tokens * rng.randint(80, 98) // 100 // 64 * 64
        last = {
            "input_tokens": self.prompt_tokens,
            "cached_input_tokens": cached,
            "output_tokens": output,
            "reasoning_output_tokens": min(output - 1, rng.randint(0, 3) * 64),
            "total_tokens": self.prompt_tokens + output,
        }
        for key, value in last.items():
            self.total[key] += value
        self.limits = [min(99.0, x + rng.uniform(0, 1.5)) for x in self.limits]
        now = int(self.clock.timestamp())
        limits = {
            "primary": {"used_percent": round(self.limits[0], 1), "window_minutes": 300, "resets_at": now + 9_000},
            "secondary": {
                "used_percent": round(self.limits[1], 1),
                "window_minutes": 10080,
                "resets_at": now + 300_000,
            },
        }
        info = {"total_token_usage": dict(self.total), "last_token_usage": last, "model_context_window": CODEX_WINDOW}
        self._emit("event_msg", {"type": "token_count", "info": info, "rate_limits": limits})
        self.prompt_tokens += output

    def _reason(self, summary: str) -> None:
        self.wait(2, 9)
        self._emit("event_msg", {"type": "agent_reasoning", "text": summary})
        secret = "gAAAAB" + self.ids.b58(600)
        summary_part = [{"type": "summary_text", "text": summary}]
        self._emit(
            "response_item",
            {"type": "reasoning", "summary": summary_part, "content": None, "encrypted_content": secret},
        )

    def turn(self, prompt: str, steps: list[tuple[str, str, str]], answer: str) -> None:
        """``steps``: (reasoning summary, ``shell`` or ``apply_patch``, command or patch)."""
        self.wait(20, 120)
        policy = {
            "mode": "workspace-write",
            "network_access": False,
            "exclude_tmpdir_env_var": False,
            "exclude_slash_tmp": False,
        }
        context = {"cwd": self.cwd, "approval_policy": "on-request", "sandbox_policy": policy, "model": self.model}
        self._emit("turn_context", context | {"effort": self.effort, "summary": "auto"})
        self._message("user", "input_text", prompt)
        self._emit("event_msg", {"type": "user_message", "message": prompt, "images": []})
        self.prompt_tokens += tokens(prompt)
        for summary, tool, arg in steps:
            self._reason(summary)
            call = "call_" + self.ids.b58(24)
            if tool == "shell":
                args = dumps({"command": ["bash", "-lc", arg], "workdir": self.cwd, "timeout_ms": 120000})
                self._emit(
                    "response_item", {"type": "function_call", "name": "shell", "arguments": args, "call_id": call}
                )
                out = bash_output(self.rng, self.cwd, arg, True)
            else:
                patch = {"type": "custom_tool_call", "status": "completed", "call_id": call, "name": "apply_patch"}
                self._emit("response_item", patch | {"input": arg})
                out = "Success. Updated the following files:\nM " + arg.split("Update File: ")[1].split("\n")[0] + "\n"
            self._token_count(self.rng.randint(60, 500))
            self.wait(0.5, 6)
            meta = {"exit_code": 0, "duration_seconds": round(self.rng.uniform(0.05, 4), 1)}
            kind = "function_call_output" if tool == "shell" else "custom_tool_call_output"
            self._emit(
                "response_item", {"type": kind, "call_id": call, "output": dumps({"output": out, "metadata": meta})}
            )
            self.prompt_tokens += tokens(out)
        self._reason("**Summarizing changes**")
        self._message("assistant", "output_text", answer)
        self._emit("event_msg", {"type": "agent_message", "message": answer})
        self._token_count(tokens(answer) + self.rng.randint(40, 300))

    @property
    def relpath(self) -> Path:
        """Where Codex keeps this file, under its home: named by local start time, in the caller's zone."""
        day, stamp = self.started.strftime("%Y/%m/%d"), self.started.strftime("%Y-%m-%dT%H-%M-%S")
        return Path("sessions") / day / f"rollout-{stamp}-{self.id}.jsonl"
