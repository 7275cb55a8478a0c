"""`llm-session context ID`: a session's context measured, on a transcript where the right answer is known.

The billing session (tests/fixtures/claude-code-context) read three files and
edited one of them; two were never referred to again. The user asked twice
about auth.py, which was never opened. Its CLAUDE.md has a Deployment section
nothing in the session touched on (the same CLAUDE.md injected into the first
prompt must not count as the session talking about it).
"""

from __future__ import annotations

import pytest
from context_fixture import MODEL, SESSION, billing_logs, read_results

from llm_session_manager.services import tokens


@pytest.fixture
def billing(tmp_path, monkeypatch):
    return billing_logs(tmp_path, monkeypatch)


def test_files_read_and_never_used_and_a_file_asked_about_but_absent(cli, billing):
    result = cli("context", SESSION[:8], "--json")
    assert result.code == 0, result.err
    report = result.json()
    src = billing.project / "src"
    login, invoice, formatting = str(src / "api/login.py"), str(src / "models/invoice.py"), str(src / "utils/formatting.py")
    files = {f["path"]: f for f in report["files"]}
    assert set(files) == {login, invoice, formatting}

    # What each read cost then is the text the Read returned, as the transcript holds it.
    then = {path: tokens.count_tokens(text, MODEL).tokens for path, text in read_results(billing.log).items()}
    assert {p: f["tokens_then"] for p, f in files.items()} == then
    # Now is the file on disk: login.py has grown by the fix, and lost the line-number gutter.
    assert files[login]["tokens_now"] == tokens.count_tokens((src / "api/login.py").read_text(), MODEL).tokens
    assert (files[login]["reads"], files[login]["edits"], files[login]["referred_again"]) == (1, 1, True)
    assert files[login]["mentions"] == 3 and files[login]["asked"] == 0
    for unused in (invoice, formatting):
        assert (files[unused]["reads"], files[unused]["mentions"], files[unused]["referred_again"]) == (1, 0, False)

    [auth] = report["mentioned"]
    assert (auth["name"], auth["path"], auth["mentions"], auth["asked"]) == ("auth.py", str(src / "api/auth.py"), 3, 2)
    assert auth["tokens_now"] == tokens.count_tokens((src / "api/auth.py").read_text(), MODEL).tokens

    [claude_md] = report["instructions"]
    assert claude_md["path"] == str(billing.project / "CLAUDE.md") and claude_md["applies"]
    assert claude_md["tokens_per_turn"] == tokens.count_tokens((billing.project / "CLAUDE.md").read_text(), MODEL).tokens
    assert claude_md["turns"] == report["turns"] == 8
    assert {s["heading"]: s["relevant"] for s in claude_md["sections"]} == {
        "Billing service": True, "Testing": True, "Deployment": False}

    by_kind = {s["kind"]: s for s in report["suggestions"]}
    unused = by_kind["unused_reads"]
    saving = then[invoice] + then[formatting]
    assert unused["message"] == f"2 files read and never referred to again: {saving:,} tokens"
    assert (sorted(unused["paths"]), unused["saving_tokens"], unused["source"]) == (
        sorted([invoice, formatting]), saving, "estimated")
    asked = by_kind["asked_not_in_context"]
    assert asked["message"].startswith("auth.py asked about 2 times but not in context")
    assert asked["adds_tokens"] == auth["tokens_now"] and asked["saving_tokens"] is None
    sections = by_kind["irrelevant_sections"]
    deployment = next(s["tokens"] for s in claude_md["sections"] if s["heading"] == "Deployment")
    assert sections["message"] == (f"CLAUDE.md costs {claude_md['tokens_per_turn']:,} tokens on every turn; "
                                   f"these sections were never relevant: Deployment ({deployment:,})")
    assert (sections["saving_tokens"], sections["per"]) == (deployment, "turn")


def test_a_query_ranks_the_files_by_relevance_in_words_and_meaning(cli, billing):
    report = cli("context", SESSION, "--query", "expired token login", "--json").json()
    assert report["query"] == "expired token login"
    scores = [f["score"] for f in report["files"]]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    assert report["files"][0]["path"].endswith("login.py")
    money = cli("context", SESSION, "--query", "currency symbols for money amounts", "--json", "--no-scan").json()
    assert money["files"][0]["path"].endswith("formatting.py")


def test_an_unknown_session_is_one_line(cli, billing):
    result = cli("context", "nope", "--json")
    assert result.code != 0 and result.out == ""
    assert len(result.err.strip().splitlines()) == 1 and "nope" in result.err


def test_a_codex_session_says_what_its_reads_cost_then_is_unknown(cli, fixture_logs):
    from conftest import CODEX_RECENT

    report = cli("context", CODEX_RECENT, "--json")
    assert report.code == 0, report.err
    files = report.json()["files"]
    assert files, "the Codex fixture's session touches files"
    # What a Codex read returned is not read back from its log (only Claude Code's is): unknown, never a guess.
    assert all(f["tokens_then"] is None for f in files)
