"""Templates: a user keeps named sets of sessions in templates.yaml, checks them, starts
them with their context's token cost in view, and saves new ones from sessions that worked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import apsw
import pytest

from llm_session_manager.core.encoding import count_o200k
from llm_session_manager.services import templates
from llm_session_manager.services.tokens import count_tokens

GOOD = """\
# my templates
templates:
  review:  # the one I use most
    tags: [review]
    sessions:
      - provider: codex
        role: reviewer
        command: codex
"""

# What Claude Code writes when it starts in a directory: a user turn and an answer with its
# usage (the shape of tests/fixtures/claude-code/projects/-home-dev-shop/6f1c2a3b-....jsonl),
# stamped now, in the directory it runs in. The template's harmless stand-in for `claude`.
FAKE_CLAUDE = """\
import json, os, sys, uuid
from datetime import datetime, timezone
sid, cwd = str(uuid.uuid4()), os.getcwd()
now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
folder = os.path.join(os.environ["CLAUDE_CONFIG_DIR"], "projects", cwd.replace("/", "-"))
os.makedirs(folder, exist_ok=True)
base = {"parentUuid": None, "isSidechain": False, "userType": "external", "cwd": cwd, "sessionId": sid,
        "version": "1.0.83", "gitBranch": "main", "timestamp": now}
user = dict(base, type="user", uuid=str(uuid.uuid4()),
            message={"role": "user", "content": "Review the cart totals as " + os.environ["LLM_SESSION_ROLE"]})
answer = dict(base, type="assistant", uuid=str(uuid.uuid4()), parentUuid=user["uuid"], requestId="req_1",
              message={"id": "msg_" + sid[:8], "type": "message", "role": "assistant",
                       "model": "claude-sonnet-4-5-20250929", "content": [{"type": "text", "text": "On it."}],
                       "stop_reason": "end_turn", "stop_sequence": None,
                       "usage": {"input_tokens": 4, "cache_creation_input_tokens": 100, "cache_read_input_tokens": 0,
                                 "output_tokens": 3, "service_tier": "standard"}})
with open(os.path.join(folder, sid + ".jsonl"), "w") as f:
    f.write(json.dumps(user) + "\\n" + json.dumps(answer) + "\\n")
print("fake claude wrote", sid)
"""


@pytest.fixture
def templates_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``templates_file(text)``: ``text`` as the templates file LLM_SESSION_TEMPLATES names."""

    def write(text: str) -> Path:
        path = tmp_path / "templates.yaml"
        path.write_text(text)
        monkeypatch.setenv("LLM_SESSION_TEMPLATES", str(path))
        return path

    return write


@pytest.mark.parametrize(("text", "line", "says"), [
    ("templates:\n  a:\n    sessions:\n      - provider: claud\n        command: claude\n",
     4, "template 'a': sessions[0].provider must be one of claude-code,"),
    ("templates:\n  a:\n    sessions:\n      - provider: codex\n        command: codex\n        colour: red\n",
     6, "template 'a': unknown key 'sessions[0].colour'"),
    ("templates:\n  a:\n    tags: [x]\n", 2, "template 'a': sessions is required"),
    ("templates:\n  a:\n    sessions: []\n", 3, "template 'a': sessions must list at least one session"),
    ("templates:\n  ok:\n    sessions:\n      - {provider: codex, command: codex}\n  b:\n    context_files: 7\n"
     "    sessions:\n      - {provider: codex, command: codex}\n", 6, "template 'b': context_files must be a list"),
    ("templates:\n  a:\n    sessions:\n      - provider: codex\n        command: codex\n  a:\n    sessions: []\n",
     6, "template 'a' is defined twice (first at line 2)"),
    ("templates:\n  a:\n    sessions:\n      - provider: codex\n       command: codex\n", 5, "invalid YAML"),
    ("templates:\n  bad name:\n    sessions: []\n", 2, "template name 'bad name' must be"),
    ("template:\n  a: {}\n", 1, "unknown key 'template' (did you mean 'templates'?)"),
    ("templates:\n  a: [1]\n", 2, "template 'a' must be a mapping, got a list"),
    ("templates:\n  a: !!python/object:os.system {}\n", 2, "invalid YAML: could not determine a constructor"),
])
def test_a_mistake_in_a_template_names_its_line(text: str, line: int, says: str):
    with pytest.raises(templates.TemplateError) as e:
        templates.parse(text, "templates.yaml")
    assert str(e.value).startswith(f"templates.yaml:{line}: "), str(e.value)
    assert says in str(e.value)


def test_validate_names_the_file_and_line_in_one_line_and_fails(cli, templates_file):
    path = templates_file(GOOD + "  broken:\n    sessions:\n      - provider: codex\n        command: 42\n")
    r = cli("templates", "validate")
    assert r.code == 1
    assert r.err == f"error: {path}:12: template 'broken': sessions[0].command must be a string, got 42\n"
    r = cli("templates", "validate", str(path), "--json")
    assert r.code == 1 and r.json() == {"file": str(path), "valid": False, "templates": [],
                                        "error": f"{path}:12: template 'broken': sessions[0].command must be a "
                                                 "string, got 42"}


def test_the_shipped_example_is_valid_and_listed(cli, tmp_path):
    r = cli("templates", "validate", str(templates.example_path()), "--json")
    assert r.code == 0, r.err
    assert r.json()["valid"] and r.json()["templates"] == ["feature", "bugfix"]
    r = cli("templates", "list")  # no templates.yaml yet: the example is pointed at
    assert r.code == 0 and str(templates.example_path()) in r.out


def test_dry_run_counts_each_file_with_our_tokenizer_and_plans_nothing(cli, templates_file, tmp_path):
    project = tmp_path / "shop"
    (project / "src" / "cart").mkdir(parents=True)
    files = {"README.md": "# Shop\nA small web shop with a cart.\n" * 20,
             "src/cart/total.ts": "export const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);\n",
             "src/cart/coupon.ts": "export function coupon(total: number, pct: number) { return total * pct; }\n"}
    for name, text in files.items():
        (project / name).write_text(text)
    templates_file("templates:\n  cart:\n    tags: [cart]\n    sessions:\n"
                   "      - {provider: claude-code, command: claude, model: claude-sonnet-4-5}\n"
                   "    context_files: [README.md, 'src/**/*.ts', 'docs/*.md']\n")
    r = cli("create-from-template", "cart", "--dry-run", "--cwd", str(project), "--json")
    assert r.code == 0, r.err
    out = r.json()
    counted = {f["path"]: (f["tokens"], f["source"]) for f in out["files"]}
    assert counted == {name: (count_tokens(text, "claude-sonnet-4-5", offline=True).tokens, "estimated")
                       for name, text in files.items()}
    assert out["total_tokens"] == sum(t for t, _ in counted.values()) and out["token_source"] == "estimated"
    assert out["unmatched"] == ["docs/*.md"]
    assert "glob 'docs/*.md' matched no file" in r.err
    assert out["dry_run"] and out["tags"] == ["cart"] and out["sessions"][0]["plan_id"] is None
    # Counted for a model of o200k_base itself, the counts are the tokenizer's own: exact.
    r = cli("create-from-template", "cart", "--dry-run", "--cwd", str(project), "--model", "gpt-4o", "--json")
    assert {f["path"]: (f["tokens"], f["source"]) for f in r.json()["files"]} == {
        name: (count_o200k(text), "exact") for name, text in files.items()}
    assert not (tmp_path / "sandbox" / "data" / "sessions.db").exists()  # a dry run plans nothing, not even a store


def test_launch_runs_the_commands_and_the_session_they_start_gets_the_tags(cli, templates_file, tmp_path,
                                                                             monkeypatch):
    """The template plans a Claude Code and a Codex session; its stand-in for `claude` writes a
    Claude Code log as the real one does. The scan after it tags that session; the Codex plan
    stays open, and a session started elsewhere is left alone."""
    claude = tmp_path / "claude"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(claude))
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "codex"))
    fake = tmp_path / "fake_claude.py"
    fake.write_text(FAKE_CLAUDE)
    project, elsewhere = tmp_path / "shop", tmp_path / "other"
    project.mkdir()
    elsewhere.mkdir()
    templates_file(textwrap.dedent(f"""\
        templates:
          pair:
            tags: [cart, q4]
            sessions:
              - provider: claude-code
                role: implementer
                command: {sys.executable} {fake}
              - provider: codex
                role: reviewer
                command: {sys.executable} -c "print('codex would start here')"
        """))
    r = cli("create-from-template", "pair", "--launch", "--cwd", str(project), "--json")
    assert r.code == 0, r.err
    out = r.json()  # the commands' own output went to stderr: stdout is one JSON document
    assert out["launched"] and [s["exit_code"] for s in out["sessions"]] == [0, 0]
    assert "fake claude wrote" in r.err and "codex would start here" in r.err
    subprocess.run([sys.executable, str(fake)], cwd=elsewhere, env={**os.environ, "LLM_SESSION_ROLE": "x"},
                   check=True, capture_output=True)
    r = cli("list", "--json")
    tagged = {s["cwd"]: s for s in r.json()}
    assert tagged[str(elsewhere)]["tags"] == []
    session = tagged[str(project)]
    assert session["tags"] == ["cart", "pair", "q4"]
    assert "implementer" in (session["title"] or "")
    store = apsw.Connection(str(tmp_path / "sandbox" / "data" / "sessions.db"))
    plans = store.execute("SELECT provider, role, session_id FROM template_plans ORDER BY position").fetchall()
    assert plans == [("claude-code", "implementer", session["id"]), ("codex", "reviewer", None)]


def test_a_failing_command_fails_create_from_template(cli, templates_file, tmp_path):
    templates_file(f"templates:\n  bad:\n    sessions:\n"
                   f"      - {{provider: codex, command: '{sys.executable} -c \"raise SystemExit(3)\"'}}\n")
    r = cli("create-from-template", "bad", "--launch", "--cwd", str(tmp_path))
    assert r.code == 1 and "exited with 3" in r.err and "Traceback" not in r.err
    r = cli("create-from-template", "nope", "--dry-run")
    assert r.code == 1 and "no template 'nope'" in r.err and "(templates: bad)" in r.err


def test_save_template_round_trip_keeps_the_other_templates_and_a_backup(cli, store, templates_file, tmp_path):
    path = templates_file(GOOD)
    assert cli("tag", "6f1c2a3b", "checkout").code == 0
    r = cli("save-template", "shop", "--project", "shop", "--json")
    assert r.code == 0, r.err
    saved = r.json()
    assert saved["backup"] == f"{path}.bak" and Path(saved["backup"]).read_text() == GOOD
    text = path.read_text()
    assert text.startswith(GOOD)  # added after the others, their comments kept
    shop = json.loads(cli("templates", "show", "shop", "--json").out)
    assert shop["sessions"] == [
        {"provider": "claude-code", "command": "claude --model claude-sonnet-4-20250514",
         "model": "claude-sonnet-4-20250514"},
        {"provider": "claude-code", "command": "claude --model claude-sonnet-4-5-20250929",
         "model": "claude-sonnet-4-5-20250929"},
    ]
    assert shop["tags"] == ["checkout"]
    # the files the two sessions read and wrote (not the folders they searched), relative to their directory
    assert sorted(shop["context_files"]) == ["notebooks/coupons.ipynb", "src/cart/coupon.ts", "src/cart/total.ts",
                                             "src/cart/totals.ts", "tests/cart/coupon.test.ts"]
    assert [t["name"] for t in cli("templates", "list", "--json").json()] == ["review", "shop"]
    r = cli("save-template", "shop", "--from", "9e8d7c6b")
    assert r.code == 1 and r.err == f"error: template 'shop' already exists in {path} (use --force to replace it)\n"
    assert cli("save-template", "shop", "--from", "9e8d7c6b", "--force").code == 0
    assert Path(f"{path}.bak").read_text() == text
    assert [s["model"] for s in cli("templates", "show", "shop", "--json").json()["sessions"]] == [
        "claude-sonnet-4-5-20250929"]
    assert [t["name"] for t in cli("templates", "list", "--json").json()] == ["review", "shop"]
    # and the saved template starts where its files are
    project = tmp_path / "shop"
    (project / "src" / "cart").mkdir(parents=True)
    (project / "src" / "cart" / "coupon.ts").write_text("export const coupon = 1;\n")
    r = cli("create-from-template", "shop", "--dry-run", "--cwd", str(project), "--json")
    assert [f["path"] for f in r.json()["files"]] == ["src/cart/coupon.ts"]


@pytest.mark.parametrize("before", [None, "", "# mine\ntemplates:\n", "# mine\ntemplates:\n  review:\n    sessions:\n"
                                    "      - {provider: codex, command: codex}  # keep me\n\n\n# the end\n"])
def test_a_saved_template_joins_whatever_the_file_held(before: str | None, tmp_path):
    path = tmp_path / "templates.yaml"
    if before is not None:
        path.write_text(before)
    new = templates.Template(sessions=(templates.TemplateSession(provider="gemini", command="gemini"),))
    templates.add(path, "new", new)
    after = path.read_text()
    assert templates.load(path)["new"] == new
    lines = iter(after.splitlines())
    assert all(line in lines for line in (before or "").splitlines())  # every line kept, comments too, in order
    if before and "# the end" in before:
        assert after.rstrip().endswith("# the end")  # added before the file's closing comment
