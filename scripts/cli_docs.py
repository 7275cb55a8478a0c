"""The option tables of docs/cli.md, made from the CLI's own parser (``make docs``).

docs/cli.md calls these from cog blocks (``<!-- [[[cog options("list") ]]] -->``);
``cog --check`` in tests/test_cli_basics.py fails when the file and the parser
differ, so an option cannot be added, renamed or dropped without the docs.
Tables rather than ``--help`` output: argparse lays its help out differently from
one Python version to the next, a table is the same everywhere.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

from llm_session_manager.frontends.cli import build_parser

# On every command, so said once at the top of the page rather than in each table.
GLOBAL_DESTS = frozenset({"help", "config", "verbose"})

# What the parser's own value checkers accept, by function name (cli/_parser.py).
_TYPES = {
    "_provider": "a provider id",
    "_positive": "a whole number, at least 1",
    "_count": "a whole number, at least 1",
    "_seconds": "a positive number of seconds",
    "int": "a whole number",
}

_documented: set[str] = set()


def _parsers() -> dict[str, argparse.ArgumentParser]:
    """Every command's parser, by its full name (``memory forget``): ``build_parser()``
    without arguments builds them all, as ``--help`` does."""
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found[prefix + name] = sub
                    walk(sub, prefix + name + " ")

    walk(build_parser(), "")
    return found


def _runs(parser: argparse.ArgumentParser) -> bool:
    """Whether the parser is a command that runs, not only a group of actions."""
    return "func" in parser._defaults


def commands() -> str:
    """The table of every command with its one-line help, as ``--help`` lists them."""
    rows = ["| command | what it does |", "|---|---|"]
    for name, parser in _parsers().items():
        if _runs(parser) or " " not in name:
            rows.append(f"| `{name}` | {_cell(parser.description or _group_help(name))} |")
    return "\n".join(rows) + "\n"


def global_options() -> str:
    """The table of the options every command takes, and ``--version``."""
    parser = build_parser()
    rows = [(f"`{_argument(a)}`", _values(a), _default(a), _cell(a.help or "")) for a in _shown(parser)
            if a.dest != "help"]
    return _table(rows)


def _table(rows: list[tuple[str, str, str, str]]) -> str:
    head = "| argument | values | default | meaning |\n|---|---|---|---|\n"
    return head + "".join(f"| {' | '.join(row)} |\n" for row in rows)


def _group_help(name: str) -> str:
    """The help a command grouping actions was added with (it has no description)."""
    top = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return next(c.help for c in top._choices_actions if c.dest == name) or ""


def options(*names: str) -> str:
    """A synopsis and a table of arguments for each command named."""
    parsers = _parsers()
    out = []
    for name in names:
        parser = parsers[name]  # a KeyError here: a command the docs name no longer exists
        _documented.add(name)
        rows = list(_rows(parser))
        out.append(f"`llm-session {_synopsis(name, parser)}`\n")
        if rows:
            out.append("\n" + _table(rows))
        out.append("\n")
    return "".join(out).rstrip("\n") + "\n"


def undocumented() -> list[str]:
    """Commands that run but that no ``options`` call has put in the page so far."""
    return [name for name, parser in _parsers().items() if _runs(parser) and name not in _documented]


def _synopsis(name: str, parser: argparse.ArgumentParser) -> str:
    words = [name]
    if any(a.option_strings and a.dest not in GLOBAL_DESTS for a in _shown(parser)):
        words.append("[options]")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            words.append("[ACTION]" if not action.required else "ACTION")
        elif not action.option_strings:
            words.append(_positional(action))
    return " ".join(words)


def _shown(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    for action in parser._actions:
        if action.help != argparse.SUPPRESS and not isinstance(action, argparse._SubParsersAction):
            yield action


# Shared by many commands: listed after each command's own.
_SHARED_DESTS = ("json", "no_scan")


def _rows(parser: argparse.ArgumentParser) -> Iterator[tuple[str, str, str, str]]:
    """Arguments, then the command's own options, then the shared ones."""
    def place(action: argparse.Action) -> int:
        return 0 if not action.option_strings else 2 if action.dest in _SHARED_DESTS else 1

    for action in sorted(_shown(parser), key=place):
        if action.dest in GLOBAL_DESTS:
            continue
        yield (f"`{_argument(action)}`", _values(action), _default(action), _cell(action.help or ""))


def _positional(action: argparse.Action) -> str:
    metavar = str(action.metavar or action.dest.upper())
    if action.nargs == "?":
        return f"[{metavar}]"
    if action.nargs in ("+", "*"):
        return f"{metavar}..."
    return metavar


def _argument(action: argparse.Action) -> str:
    if not action.option_strings:
        return _positional(action)
    flags = ", ".join(action.option_strings)
    if action.nargs == 0:
        return flags
    return f"{flags} {action.metavar or action.dest.upper()}"


def _values(action: argparse.Action) -> str:
    if action.choices is not None:
        return ", ".join(f"`{c}`" for c in action.choices)
    if action.nargs == 0:
        return ""
    kind = getattr(action.type, "__name__", "")
    described = _TYPES.get(kind, "a path" if action.type is Path else "")
    if isinstance(action, argparse._AppendAction):
        described = (described + ", " if described else "") + "repeatable"
    return described


def _default(action: argparse.Action) -> str:
    if action.required and action.option_strings:  # an argument is required unless it says [ARG]
        return "required"
    if action.nargs == 0 or action.default in (None, argparse.SUPPRESS):
        return ""
    return f"`{action.default}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


__all__ = ["commands", "global_options", "options", "undocumented"]
