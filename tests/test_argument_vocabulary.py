"""One argument vocabulary: the command line refuses the bad values MCP and LSP callers
are refused (tests/argument_cases.py), naming the option, and takes its value sets and
bounds from the same typed declarations (core/args.py)."""

from __future__ import annotations

import argparse
import typing

import pytest
from argument_cases import CASES, cli_line

from llm_session_manager.core import args
from llm_session_manager.core.errors import BadArgument
from llm_session_manager.frontends.cli import build_parser


@pytest.mark.parametrize("case", [c for c in CASES if c.cli], ids=lambda c: c.what)
def test_the_command_line_refuses_what_every_door_refuses_naming_its_option(cli, case):
    r = cli(*case.cli)
    assert r.code != 0 and r.out == ""
    assert cli_line(case) in r.err
    if r.code == 1:  # ours, not argparse's usage text: one line
        assert r.err == cli_line(case) + "\n"


def _option(command: str, option: str) -> argparse.Action:
    commands = next(a for a in build_parser([command])._actions if a.dest == "command")
    return next(a for a in commands.choices[command]._actions if option in a.option_strings)


def test_the_options_value_sets_are_the_typed_ones():
    assert tuple(_option("usage", "--by").choices) == typing.get_args(args.UsageGroup)
    assert tuple(_option("export", "--format").choices) == typing.get_args(args.ExportFormat)


def test_recall_help_states_the_one_cap():
    assert f"1 to {args.RECALL_LIMIT}," in _option("recall", "--limit").help


def test_a_service_names_the_argument_and_the_cli_its_option():
    with pytest.raises(BadArgument) as e:
        args.check(0, args.RecallLimit, "limit")
    assert str(e.value) == "limit must be a whole number from 1 to 50, got 0"
    assert e.value.spoken(lambda name: f"--{name}") == "--limit must be a whole number from 1 to 50, got 0"
