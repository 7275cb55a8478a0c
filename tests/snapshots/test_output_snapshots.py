"""What ``list``, ``usage``, ``analytics``, ``blocks``, ``show`` and ``export`` print for the demo
history stays byte for byte what the files in ``tests/snapshots/outputs/`` hold.

Why: these were taken before the modules moved to the core/, services/, runtime/,
frontends/ layout, so a move that changes any output fails here. The demo history is
written with a fixed ``now`` (``DEMO_NOW``) and seed, so the same logs come out every run,
and scanned once with the real CLI; each test runs one command with ``--no-scan``.

What still moves with the real clock is replaced by ``CLOCK`` in the normalizers below,
field by field, each saying why. Health's ``activity`` part and ``active`` depend on the
clock too but are left in: the demo ended on 2026-03-01, long past the idle time after
which activity is 0 and a session is not active, so they no longer move. An export's
"tokens now" of each touched file reads that file on this machine; the demo's
``/home/alex/code/...`` paths do not exist, so it is always "file gone".
Days, weeks and months are local time: ``usage`` gets ``--timezone UTC``, and every
command runs with ``TZ=UTC`` for ``analytics``, whose days are local and which has no
option (under another TZ its daily rows move, as they should).

Updating: ``pytest tests/snapshots --update-snapshots`` rewrites every file from what the
CLI prints now (it must run from this folder: pytest reads the option from its
conftest). Do it only when an output is meant to change (a new JSON field, a fixed
number, a new demo case, a price table update) and say so in the commit; review the
diff of ``tests/snapshots/outputs/`` as carefully as code. Never update them in a commit
that only moves or renames modules: there a changed snapshot is the bug.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from llm_session_manager.demo_logs import write_demo_logs

pytestmark = pytest.mark.slow

DEMO_NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DEMO_SEED = 7
OUTPUTS = Path(__file__).parent / "outputs"
CLOCK = "<moves with the clock>"
# The demo's sessions shown and exported: the long one with a subagent, the one nearly
# out of context and failing, and the Codex one.
SHOWN = ("long", "degraded", "codex")
USAGE_GROUPS = ("day", "week", "month", "session", "model", "project", "provider")
# analytics counts local days up to today; this reaches back from any today until 2036.
ANALYTICS_DAYS = "3650"


@dataclass
class Demo:
    logs: Path
    data: Path
    sessions: dict[str, str]
    scanned: bool = False


@pytest.fixture(scope="module")
def demo_history(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    root = tmp_path_factory.mktemp("demo")
    layout = write_demo_logs(root / "logs", DEMO_NOW, DEMO_SEED)
    return Demo(root / "logs", root / "data", layout.sessions)


@pytest.fixture
def run(demo_history: Demo, cli) -> Callable[..., str]:
    """Run one command on the scanned demo store; the first test scans it with the real CLI."""
    env = {
        "LLM_SESSION_DATA_DIR": str(demo_history.data),
        "CLAUDE_CONFIG_DIR": str(demo_history.logs / "claude"),
        "CODEX_HOME": str(demo_history.logs / "codex"),
        "TZ": "UTC",  # analytics' days are local days and it has no --timezone
    }
    if not demo_history.scanned:
        scan = cli("scan", "--json", env=env)
        assert scan.code == 0, scan.err
        assert scan.json()["sessions"] == 16 and scan.json()["malformed"] == 0
        demo_history.scanned = True

    def one(*args: str) -> str:
        result = cli(*args, "--no-scan", env=env)
        assert result.code == 0, result.err
        return result.out

    return one


# --- normalizers: each replaces only what moves with the real clock, and says why ---------

_IDLE = re.compile(r"idle for \d+(?:\.\d)? (?:min|h|days)\b")  # recommend._span's three forms


def _idle_message(text: str) -> str:
    """The idle recommendation says how long ago the last activity was, counted to now."""
    return _IDLE.sub(f"idle for {CLOCK}", text)


def _analytics(doc: dict[str, Any]) -> dict[str, Any]:
    # The window is the last N local days up to today: its ends and the time it was made.
    for field in ("since", "until", "generated_at"):
        doc[field] = CLOCK
    # ``daily`` has a row for every day of the window, so today decides how many empty rows
    # come before the demo's first day and after its last; those must be empty, and go.
    rows = doc["daily"]
    used = [i for i, row in enumerate(rows) if row["sessions"] or row["total_tokens"]]
    last_demo_day = DEMO_NOW.date().isoformat()
    keep = [r for i, r in enumerate(rows) if used[0] <= i and r["date"] <= last_demo_day]
    dropped = [r for r in rows if r not in keep]
    assert all(not r["sessions"] and not r["total_tokens"] and not r["cost_usd"] for r in dropped)
    doc["daily"] = keep
    return doc


def _export_json(doc: dict[str, Any]) -> dict[str, Any]:
    doc["exported_at"] = CLOCK  # when the export was made
    for rec in doc["recommendations"]:
        rec["message"] = _idle_message(rec["message"])
    return doc


def _export_yaml(text: str) -> str:
    text = re.sub(r"^exported_at: .*$", f"exported_at: {CLOCK}", text, flags=re.MULTILINE)  # when it was made
    return _idle_message(text)


def _export_markdown(text: str) -> str:
    text = re.sub(r"^_Exported \S+ by", f"_Exported {CLOCK} by", text, flags=re.MULTILINE)  # when it was made
    return _idle_message(text)


def _same(value: Any) -> Any:
    return value


# --- comparing with the stored snapshot -----------------------------------------------------


def _json_text(doc: Any) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _check(name: str, text: str, update: bool) -> None:
    path = OUTPUTS / name
    if update:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"no snapshot {path}; write it with: pytest tests/snapshots --update-snapshots"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs from its snapshot; if the change is meant, see this module's docstring"
    )


def _check_json(name: str, out: str, normalize: Callable[[Any], Any], update: bool) -> None:
    _check(name, _json_text(normalize(json.loads(out))), update)


# --- the snapshots --------------------------------------------------------------------------


def test_the_session_list_is_unchanged(run, update_snapshots: bool) -> None:
    _check_json("list.json", run("list", "--json"), _same, update_snapshots)


@pytest.mark.parametrize("breakdown", [False, True], ids=["rows", "by-model"])
@pytest.mark.parametrize("by", USAGE_GROUPS)
def test_usage_reports_are_unchanged(run, update_snapshots: bool, by: str, breakdown: bool) -> None:
    args = ["usage", "--by", by, "--timezone", "UTC", "--json"] + (["--breakdown"] if breakdown else [])
    name = f"usage-{by}{'-breakdown' if breakdown else ''}.json"
    _check_json(name, run(*args), _same, update_snapshots)


def test_usage_between_fixed_dates_is_unchanged(run, update_snapshots: bool) -> None:
    out = run("usage", "--by", "day", "--since", "2026-02-25", "--until", "2026-02-28",
              "--timezone", "UTC", "--json")
    _check_json("usage-day-2026-02-25..28.json", out, _same, update_snapshots)


@pytest.mark.parametrize("by", ["day", "week"])
def test_usage_with_its_zone_given_is_the_same_under_any_tz(run, cli, demo_history: Demo, by: str) -> None:
    """``--timezone UTC`` pins the days, so the shell's TZ (here UTC+14) changes nothing."""
    # ``run`` only makes sure the demo store is scanned; this test runs the CLI itself, in another TZ.
    env = {"LLM_SESSION_DATA_DIR": str(demo_history.data), "TZ": "Pacific/Kiritimati"}
    far_east = cli("usage", "--by", by, "--timezone", "UTC", "--json", "--no-scan", env=env)
    assert far_east.code == 0, far_east.err
    _check_json(f"usage-{by}.json", far_east.out, _same, update=False)


def test_analytics_is_unchanged(run, update_snapshots: bool) -> None:
    _check_json("analytics.json", run("analytics", "--days", ANALYTICS_DAYS, "--json"), _analytics, update_snapshots)


def test_billing_blocks_are_unchanged(run, update_snapshots: bool) -> None:
    _check_json("blocks.json", run("blocks", "--json"), _same, update_snapshots)


@pytest.mark.parametrize("case", SHOWN)
def test_show_is_unchanged(run, demo_history: Demo, update_snapshots: bool, case: str) -> None:
    out = run("show", demo_history.sessions[case], "--json")
    _check_json(f"show-{case}.json", out, _same, update_snapshots)


_EXPORTS: dict[str, tuple[str, Callable[[str], str]]] = {
    "json": ("json", lambda out: _json_text(_export_json(json.loads(out)))),
    "yaml": ("yaml", _export_yaml),
    "markdown": ("md", _export_markdown),
    "csv": ("csv", _same),
}


@pytest.mark.parametrize("fmt", list(_EXPORTS))
@pytest.mark.parametrize("case", SHOWN)
def test_export_is_unchanged(run, demo_history: Demo, update_snapshots: bool, case: str, fmt: str) -> None:
    ext, normalize = _EXPORTS[fmt]
    out = run("export", demo_history.sessions[case], "--format", fmt)
    _check(f"export-{case}.{ext}", normalize(out), update_snapshots)
