"""The CLI's promises that hold whatever the logs: docs, errors, JSON on stdout."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from llm_session_manager.frontends.cli import build_parser

DOCS = Path(__file__).parent.parent / "docs" / "cli.md"


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(prefix + name)
                found += _commands(sub, prefix + name + " ")
    return found


def test_every_command_is_documented():
    docs = DOCS.read_text()
    for command in _commands(build_parser()):
        leaf = command.split()[-1]
        assert f"`{command}" in docs or (f"{leaf}" in docs and command.split()[0] in docs), command


def _cog_check(page: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cogapp", "--check", "--check-fail-msg", "run make docs", str(page)],
                          capture_output=True, text=True, timeout=60, check=False)


def test_the_option_tables_in_the_docs_are_the_parser_s():
    """docs/cli.md's tables of commands and options are made from the parser
    (``make docs``): a page that no longer matches it fails here."""
    result = _cog_check(DOCS)
    assert result.returncode == 0, result.stdout + result.stderr


def _page_beside_the_code(tmp_path: Path, text: str) -> Path:
    """A copy of docs/cli.md whose cog blocks find the real parser (they look
    beside the page's directory for server/ and scripts/)."""
    root = DOCS.parent.parent
    for name in ("server", "scripts"):
        (tmp_path / name).symlink_to(root / name)
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "cli.md"
    page.write_text(text)
    return page


def test_a_page_whose_options_drifted_from_the_parser_fails_the_check(tmp_path):
    text = DOCS.read_text()
    row = "| `--breakdown` |  |  | each row split by model as well |\n"
    assert row in text
    result = _cog_check(_page_beside_the_code(tmp_path, text.replace(row, "")))
    assert result.returncode != 0 and "run make docs" in result.stdout + result.stderr


def test_a_command_without_an_options_table_fails_the_check(tmp_path):
    text = DOCS.read_text()
    block = '<!-- [[[cog cog.out(options("doctor")) ]]] -->'
    start = text.index(block)
    end = text.index("<!-- [[[end]]] -->", start) + len("<!-- [[[end]]] -->")
    result = _cog_check(_page_beside_the_code(tmp_path, text[:start] + text[end:]))
    assert result.returncode != 0 and "no options table for: doctor" in result.stdout + result.stderr


def test_every_command_names_code_that_exists():
    """The parser names each command's function as text, imported only when it runs:
    a misspelt name must fail here, not for the first user of that command."""
    import importlib

    def named(parser: argparse.ArgumentParser):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    if "func" in sub._defaults:
                        yield name, sub._defaults["func"]
                    yield from named(sub)

    found = list(named(build_parser()))
    assert len(found) > 30
    for name, func in found:
        module, attr = func.split(":")
        assert callable(getattr(importlib.import_module(f"llm_session_manager.frontends.cli.{module}"), attr, None)), name


def test_a_command_parses_the_same_when_its_parser_is_built_alone():
    """``main`` builds only the parser of the command it runs: each must take the
    same options, global ones included, as in the parser of every command."""
    full = build_parser()
    for command in _commands(full):
        argv = command.split()
        assert _options(build_parser(argv), argv) == _options(full, argv), command
    argv = ["--config", "list", "-v", "usage", "--by", "model"]  # the value of --config is not the command
    assert vars(build_parser(argv).parse_args(argv)) == vars(full.parse_args(argv))


def _options(parser: argparse.ArgumentParser, argv: list[str]) -> list[tuple]:
    for name in argv:
        parser = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[name]
    return sorted((a.dest, tuple(a.option_strings), a.nargs, str(a.default), str(a.choices)) for a in parser._actions)


def test_a_corrupt_database_is_reported_and_left_alone(cli):
    db = Path(os.environ["LLM_SESSION_DATA_DIR"]) / "sessions.db"
    db.parent.mkdir(parents=True)
    garbage = b"this is not sqlite, but it may be somebody's data\n" * 200
    db.write_bytes(garbage)
    r = cli("list", "--json")
    assert r.code == 1
    assert r.out == ""
    assert r.err.count("\n") == 1 and "is damaged" in r.err and "llm-session doctor --recover" in r.err
    assert db.read_bytes() == garbage


def test_a_config_typo_names_the_key_and_the_file(cli, tmp_path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("health_wieghts:\n  duration: 0.3\n")
    r = cli("--config", str(cfg), "list")
    assert r.code == 1
    assert str(cfg.name) in r.err and "health_wieghts" in r.err and "health_weights" in r.err
    assert "Traceback" not in r.err


def test_an_unknown_session_is_one_line(cli):
    r = cli("show", "nope")
    assert r.code == 1
    assert r.err.strip() == "error: no session with id 'nope' (see 'llm-session list')"


def test_bad_dates_and_groups_are_rejected_clearly(cli):
    r = cli("usage", "--since", "last tuesday", "--json")
    assert r.code == 1 and "--since must be a date like 2025-01-31" in r.err and r.out == ""
    r = cli("usage", "--by", "fortnight")
    assert r.code == 2 and "invalid choice" in r.err
    r = cli("list", "--since", "yesterday-ish")
    assert r.code == 1 and "--since" in r.err


def test_an_empty_store_lists_nothing(cli):
    r = cli("list", "--json")
    assert r.code == 0, r.err
    assert r.json() == []
    r = cli("usage", "--json")
    assert r.json() == {
        "rows": [],
        "totals": {"input_tokens": 0, "output_tokens": 0, "cache_creation_tokens": 0,
                   "cache_read_tokens": 0, "total_tokens": 0, "cost_usd": 0.0, "cost_complete": True,
                   "provenance": {"tokens": "exact", "cost_usd": "exact"}},
        "unpriced_models": [],
    }


def test_init_creates_config_and_database_in_the_sandbox(cli, sandbox_home):
    r = cli("init", "--json")
    assert r.code == 0, r.err
    info = r.json()
    assert info["config_created"] is True
    assert Path(info["config"]) == sandbox_home / ".config" / "llm-session-manager" / "config.yaml"
    assert Path(info["database"]).exists()
    assert cli("init", "--json").json()["config_created"] is False


def test_reports_for_scripts_import_nothing_heavy(tmp_path):
    """A warm `usage --json` is mostly start-up: it must not pay for unused libraries."""
    import subprocess
    import sys

    code = (
        "import sys, io, contextlib\n"
        "from llm_session_manager.frontends import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    cli.main(['usage', '--json'])\n"
        "print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))\n"
    )
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split())
    assert not loaded & {"numpy", "rich", "yaml", "tiktoken", "anthropic", "sqlite3", "multiprocessing",
                         "mcp", "pygls", "trio", "psutil"}
