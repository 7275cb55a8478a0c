"""``llm-session``: a thin command-line skin over the services.

Every command parses its arguments, calls one service and prints the result:
a rich table for people, or with ``--json`` exactly one JSON document on
stdout. Errors the user can fix are one line on stderr (exit 1); ``--verbose``
adds logs and tracebacks.

``_parser`` declares the command line; the commands live by job in
``_sessions``, ``_reports``, ``_memory``, ``_notify``, ``_servers`` and
``_setup``, and share ``_context.Context``. Only the module of the command
that runs is imported, and it imports its service only then: start-up time is
most of what a quick command costs.
"""

from __future__ import annotations

import sys

# typing.TYPE_CHECKING without importing typing: a status line hands off to its agent
# (frontends/cli/statusline_agent) before importing anything this module names here.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence
    from typing import Any, NoReturn

    from ...core.errors import LlmSessionError
    from ._context import Context

__all__ = ["build_parser", "main"]


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or only of the one ``argv`` names (``_parser``, imported
    only when a command line needs it: the status line and hooks parse their own)."""
    from ._parser import build_parser as build

    return build(argv)


def _namespace(**values: Any) -> argparse.Namespace:
    """Parsed arguments, for the commands that parse their own (``statusline``, ``hook``,
    ``lsp``: they run on every turn or window) without importing argparse (2-3 ms):
    to a command a SimpleNamespace is the same (its attributes, ``vars``)."""
    from types import SimpleNamespace

    return SimpleNamespace(**values)  # type: ignore[return-value]


def _lsp_args(argv: list[str]) -> argparse.Namespace | None:
    """``lsp`` as editors start it, parsed without building the whole parser.

    An editor starts the language server with every window, and the parser of
    every command costs more than parsing this one line.
    """
    if argv[:1] != ["lsp"] or any(arg != "--stdio" for arg in argv[1:]):
        return None
    return _namespace(command="lsp", func="_servers:cmd_lsp", config=None, verbose=False, stdio=len(argv) > 1,
                      json=False, no_scan=True)


def _hook_args(argv: list[str]) -> argparse.Namespace | None:
    """``hook EVENT [JSON]`` as assistants run it, parsed without building the parser: a hook
    runs on every turn, within a time budget (docs/hooks.md)."""
    client = "claude-code"
    if argv[1:2] == ["--client"] and len(argv) > 2:
        client, argv = argv[2], argv[:1] + argv[3:]
    if argv[:1] != ["hook"] or not 2 <= len(argv) <= 3 or any(a.startswith("-") for a in argv[1:]):
        return None
    return _namespace(command="hook", func="_hooks:cmd_hook", config=None, verbose=False, json=False,
                      no_scan=True, event=argv[1], payload=argv[2] if len(argv) == 3 else None,
                      background=None, client=client)


# ``statusline``'s options as argparse names them: flags, and options that take a value.
_STATUSLINE_FLAGS = {"--no-color": "no_color", "--json": "json", "-v": "verbose", "--verbose": "verbose"}
_STATUSLINE_VALUES = {"--segments": "segments", "--format": "template", "--config": "config"}


def _statusline_args(argv: list[str]) -> argparse.Namespace | None:
    """``statusline [OPTIONS]`` as Claude Code runs it, parsed without building the parser:
    it runs after every update of the conversation and is cancelled when slow
    (docs/statusline.md). Anything else (``install``, ``--help``, an abbreviated
    or unknown option, a value that looks like an option) goes to the full parser."""
    values = _statusline_values(argv)
    if values is None:
        return None
    if values["config"] is not None:
        from pathlib import Path

        values["config"] = Path(values["config"])
    return _namespace(**values)


def _statusline_values(argv: list[str]) -> dict[str, Any] | None:
    """``_statusline_args``'s values, the config file as given (importing pathlib for it
    would cost the hand-off to the agent more than the agent's answer)."""
    if argv[:1] != ["statusline"]:
        return None
    values: dict[str, Any] = {"config": None, "verbose": False, "command": "statusline", "json": False, "template": None,
                    "segments": None, "no_color": False, "statusline_command": None,
                    "func": "_statusline:cmd_statusline", "no_scan": True}
    rest = iter(argv[1:])
    for arg in rest:
        name, eq, value = arg.partition("=")
        if arg in _STATUSLINE_FLAGS:
            values[_STATUSLINE_FLAGS[arg]] = True
            continue
        if name not in _STATUSLINE_VALUES:
            return None
        if not eq:
            value = next(rest, "-")
        if value.startswith("-"):
            return None
        values[_STATUSLINE_VALUES[name]] = value
    return values


def _command(func: str) -> Callable[[Context], None]:
    """The parser's ``"_module:cmd_name"`` as the function, importing just that module."""
    import importlib

    module, name = func.split(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


# Arguments the services name otherwise than this command line does; any other
# ``name`` is the option ``--name`` (``since`` -> ``--since``).
_SPOKEN = {"memory_id": "a memory id", "session_id": "--session",  # memory forget ID / --session
           "query": "the query"}  # search QUERY


def _option(name: str) -> str:
    """An argument as the CLI spells it, for errors the services raise (``BadArgument``)."""
    return _SPOKEN.get(name) or "--" + name.replace("_", "-")


def _message(error: LlmSessionError) -> str:
    from ...core.errors import BadArgument

    return error.spoken(_option) if isinstance(error, BadArgument) else str(error)


def _print_traceback() -> None:
    import traceback  # only for --verbose: importing it costs every command 3 ms

    traceback.print_exc()


def _import_msgspec_alone() -> None:
    """Import msgspec as where ``typing_extensions`` is not installed: it is not a
    dependency of msgspec, which then takes ``get_type_hints``, ``Required`` and
    ``NotRequired`` from ``typing`` (its own fallback; our structs use nothing else).
    Importing typing_extensions (and ``inspect``, ``ast``, ``dis`` with it) was a
    third of msgspec's import, 8-10 ms of every command (bench/README.md, status line).
    Whatever imports typing_extensions later (pydantic, pygls) gets it as usual.

    Nor does it compile anything: msgspec probes whether ``typing.ForwardRef`` takes
    ``is_class`` by making one, which compiles its text, and a process's first
    ``compile()`` sets up CPython's AST types, 9 M instructions (a sixth of a status
    line's own work, bench/README.md). The probe's object is thrown away, so while
    msgspec is imported a ForwardRef is made without compiling; a status line then
    compiles nothing at all unless it stores a response."""
    if "msgspec" in sys.modules or "typing_extensions" in sys.modules:
        return
    import typing

    make_forward_ref = typing.ForwardRef.__init__
    sys.modules["typing_extensions"] = None  # type: ignore[assignment]  # import raises ImportError
    typing.ForwardRef.__init__ = _uncompiled  # type: ignore[method-assign]
    try:
        import msgspec  # noqa: F401
    finally:
        del sys.modules["typing_extensions"]
        typing.ForwardRef.__init__ = make_forward_ref  # type: ignore[method-assign]


def _uncompiled(self: object, arg: str, is_argument: bool = True, module: object = None, *,
                is_class: bool = False) -> None:
    """``typing.ForwardRef.__init__``'s signature (msgspec's probe looks at no more), without its compile()."""


def _end_now(ctx: Context, start_agent: bool = False) -> NoReturn:
    """End a status line's process as soon as its line is out, without the interpreter's
    teardown: freeing every module and object it made was 5-8 ms of the line (more when
    it stored a response; bench/README.md). What teardown does that matters is done
    first: exit handlers run, the store is closed (SQLite checkpoints its log as on any
    close) and the output flushed."""
    import atexit
    import os

    try:
        atexit._run_exitfuncs()
        ctx.close()
        sys.stdout.flush()
        sys.stderr.flush()
        if start_agent and _agent_wanted(ctx):
            from .statusline_agent import client

            client.start()
    except BaseException:  # noqa: BLE001 -- the line is out; nothing here may change the exit code
        pass
    os._exit(0)


def _agent_wanted(ctx: Context) -> bool:
    """Whether the config (as the line just read it) lets a status line start its agent."""
    config = ctx.loaded_config  # only if the line loaded it: a config it could not read starts nothing
    return config is not None and config.statusline.agent


def main(argv: list[str] | None = None) -> int:
    """Run one command; ``argv`` None: the process's own (the ``llm-session`` script,
    ``python -m``), and then a status line ends the process itself (``_end_now``)."""
    own = argv is None
    argv = sys.argv[1:] if argv is None else argv
    start_agent = False
    if own:
        quick_values = _statusline_values(argv)
        if quick_values is not None and not quick_values["verbose"]:
            from .statusline_agent import client

            start_agent = client.hand_off(argv)  # the agent's line ends the process here; else draw it below
    quick = _statusline_args(argv)
    if quick is not None:  # a status line lives for tens of ms and makes no garbage worth a cycle collection
        import gc

        gc.disable()
    _import_msgspec_alone()
    from ...core.errors import LlmSessionError
    from ._context import Context

    args = quick or _lsp_args(argv) or _hook_args(argv) or build_parser(argv).parse_args(argv)
    if args.verbose:
        from ...core.logs import to_stderr

        to_stderr(verbose=True)
    ctx = Context(args)
    try:
        _command(args.func)(ctx)
    except LlmSessionError as e:
        if args.verbose:
            _print_traceback()
        print(f"error: {_message(e)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0  # e.g. piped into head
    except Exception as e:  # noqa: BLE001 -- a bug, unless it is about the store's file: one line either way
        if args.verbose:
            _print_traceback()
        known = ctx.explain(e)
        if known is not None:
            print(f"error: {known}", file=sys.stderr)
            return 1
        print(f"internal error: {e.__class__.__name__}: {e} (run with --verbose for details)", file=sys.stderr)
        return 70
    if own and quick is not None:
        _end_now(ctx, start_agent)
    if own:  # the interpreter's last cycle collections would walk every object, for no garbage: 4% of a warm usage
        import gc

        gc.freeze()
    return 0
