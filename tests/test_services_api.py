"""A script uses the Python API (``llm_session_manager.services``): the answers the CLI
prints, from one import that costs nothing until a name is used."""

from __future__ import annotations

import subprocess
import sys

import msgspec
import pytest

from llm_session_manager import services as lsm
from llm_session_manager.core.errors import BadInput, ConfigError
from llm_session_manager.core.models import Memory

CLAUDE_B = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"  # the latest Claude Code session of the fixtures


def test_importing_the_api_loads_no_service_until_a_name_is_used():
    code = (
        "import sys\n"
        "from llm_session_manager import services as lsm\n"
        "def loaded(): return sorted(m for m in sys.modules if m.startswith('llm_session_manager.services.')"
        " or m in ('numpy', 'yaml', 'tiktoken'))\n"
        "print(loaded())\n"
        "lsm.list_sessions\n"
        "print(loaded())\n"
    )
    before, after = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                   check=True).stdout.splitlines()
    assert before == "[]"
    assert "'llm_session_manager.services.sessions'" in after and "numpy" not in after


def test_every_name_of_the_api_is_the_service_it_stands_for():
    from llm_session_manager.services import history, memory, sessions, usage

    assert all(getattr(lsm, name) is not None for name in lsm.__all__)
    assert set(lsm.__all__) <= set(dir(lsm))
    assert lsm.list_sessions is sessions.list_sessions and lsm.usage_report is usage.report
    assert lsm.search_history is history.search and lsm.recall is memory.recall
    with pytest.raises(AttributeError):
        lsm.drop_tables  # noqa: B018 -- the attribute access is the test
    from llm_session_manager.services import export  # a submodule is still found, not taken for an API name

    assert export.render is lsm.export_session


def test_a_script_gets_the_answers_the_cli_prints(cli, store):
    conn, config = lsm.connect(), lsm.load_config()
    listed = cli("list", "--json", "--no-scan").json()
    assert [s.id for s in lsm.list_sessions(conn, config)] == [s["id"] for s in listed]
    by_model = cli("usage", "--by", "model", "--json", "--no-scan").json()
    assert msgspec.to_builtins(lsm.usage_report(conn, "model")) == by_model
    exported = cli("export", CLAUDE_B[:8], "--format", "csv", "--no-scan").out
    assert lsm.export_session(conn, config, CLAUDE_B[:8], "csv") == exported


def test_history_search_finds_the_newest_matches_first_and_says_when_it_stopped(store):
    conn = lsm.connect()
    found = lsm.search_history(conn, "COUPON", sort="newest")
    assert found.matches and not found.truncated
    times = [m.ts for m in found.matches]
    assert times == sorted(times, reverse=True)
    assert all("coupon" in m.snippet.lower() for m in found.matches)
    first = lsm.search_history(conn, "coupon", limit=1, sort="newest")
    assert first.matches == found.matches[:1] and first.truncated == (len(found.matches) > 1)
    assert {m.session_id for m in lsm.search_history(conn, "coupon", session_id=CLAUDE_B[:8]).matches} == {CLAUDE_B}
    with pytest.raises(BadInput, match="from 1 to 200"):
        lsm.search_history(conn, "coupon", limit=0)


def test_a_session_files_come_costliest_first_each_saying_why_it_has_no_count(store, tmp_path):
    conn, config = lsm.connect(), lsm.load_config()
    ranked = lsm.rank_files(conn, config, CLAUDE_B)
    assert ranked.session.id == CLAUDE_B and ranked.files
    # The fixture's project lives on another machine: every file it read is gone here.
    assert {f.state for f in ranked.files} == {"gone"} and ranked.gone == len(ranked.files)
    assert ranked.total_tokens == 0
    word = ranked.files[0].path.rsplit("/", 1)[-1]
    assert [f.path for f in lsm.rank_files(conn, config, CLAUDE_B, query=word.upper()).files] == [
        f.path for f in ranked.files if word in f.path]


def test_a_memory_call_uses_the_embedder_its_config_names(sandbox_home, use_config):
    conn = lsm.connect()
    assert lsm.remember(conn, "the tests run with make test").text == "the tests run with make test"
    use_config("memory:\n  embedder:\n    kind: ollama\n")
    with pytest.raises(ConfigError, match=r"memory\.embedder\.model is required for kind ollama"):
        lsm.recall(conn, "tests", config=lsm.load_config())


def test_a_long_memory_is_cut_for_a_short_answer_and_says_so():
    from llm_session_manager.services import memory

    short = Memory(id="m1", text="short", score=None, project=None, session_id=None, created_at="", tags=[])
    assert memory.excerpt(short, 10) is short
    long = msgspec.structs.replace(short, text="word " * 10)
    cut = memory.excerpt(long, 10)
    assert cut.text == "word word…" and len(cut.text) == 10
    # tokens: what the cut text costs ("word", "word", "…")
    assert msgspec.to_builtins(cut) == {**msgspec.to_builtins(long), "text": "word word…", "tokens": 3, "text_cut": True}
