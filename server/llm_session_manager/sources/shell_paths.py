"""Files a shell command or an ``apply_patch`` patch reads, writes, searches or lists.

Coding assistants mostly look at code through the shell: Codex runs ``bash -lc
"sed -n '1,80p' src/app.py"`` and ``rg -n foo src``, Claude Code's Bash tool runs
``ls tests && cat tests/test_app.py``, and both write files through ``cat > f <<'EOF'``
or an ``apply_patch`` envelope. This module turns such a command into
``(path, action)`` pairs, ``action`` one of ``read | edit | write | search | list``.

It is a best-effort reading, not a shell: it knows a handful of programs (readers,
``sed``, searchers, listers), redirections, ``cd`` and heredocs; it drops words with
variables, substitutions or globs, and lines whose quotes do not balance. Relative
paths are resolved against ``cwd`` (and any ``cd`` before them); with no ``cwd`` they
stay relative.

Both functions run once per tool call of every log line a scan reads, so they avoid
generators and do the cheap string tests before any regex.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

__all__ = ["paths_from_command", "paths_from_patch"]

Ref = tuple[str, str]  # (path, action)

# A header line of the patch. Not anchored with ^: a pattern that starts with the
# literal *** is found by a fast scan, where ^ would be tried at every character of
# what may be a long patch; paths_from_patch keeps the matches that start a line.
_PATCH_FILE = re.compile(
    r"\*\*\* ?(?:(Add|Update|Delete) File|(Move) to): (.+?)\s*$", re.MULTILINE
)
_PATCH_ACTIONS = {"Add": "write", "Update": "edit", "Delete": "edit", "Move": "write"}
_SHELLS = frozenset({"bash", "sh", "zsh", "dash"})
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")
_SEPARATORS = frozenset({"&&", "||", "|", "|&", ";", ";;", "&", "(", ")"})
# A shell word (quoted parts and escapes included) or an operator.
_OPERATOR = r"&&|\|\||;;|\|&|[0-9]*(?:>>|>&|&>|>\||<<<|<<-|<<|<&|<|>)|[|;&()]"
# Runs of plain characters are taken whole and never given back (``++``, ``*+``): one
# step per run instead of per character, and no backtracking through an unclosed quote.
_WORD = r"""(?:[^\s'"\\|;&()<>]++|\\.|'[^']*+'|"(?:[^"\\]++|\\.)*+")+"""
# Words are far more common than operators, so they are tried first; the lookahead
# leaves digits that start a redirection (2>, 2>&1, 1&>) to _OPERATOR, as trying it
# first did: no other operator can start where a word does.
_TOKEN_BODY = rf"(?![0-9]*(?:[<>]|&>)){_WORD}|{_OPERATOR}"
# With quotes or escapes in the line, group 2 catches a quote that does not balance.
_TOKEN = re.compile(rf"({_TOKEN_BODY})|(\S)")
# Without them every non-blank character is part of a word or an operator, so the
# same tokens come out of a pattern with no groups, as plain strings.
_PLAIN_TOKEN = re.compile(_TOKEN_BODY)
_SPECIAL = re.compile(r"""[|;&()<>'"\\]""")  # what makes a line more than plain words
_NOT_A_PATH = re.compile(r"[$`*?]")  # variables, substitutions and globs
_UNQUOTE = re.compile(r"""'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)""")
_DOUBLE_QUOTED_ESCAPE = re.compile(r'\\([\\"$`])')
_REDIRECT_START = frozenset("<>&0123456789")
_REDIRECT = re.compile(r"[0-9]*(>>|>&|&>|>\||<<<|<<-|<<|<&|<|>)")
_WRITES = frozenset({">", ">>", ">|", "&>"})
_UNNORMAL = re.compile(r"(?:^|/)\.\.?(?:/|$)|//|./$")  # what normpath would change
_READERS = frozenset({"cat", "head", "tail", "nl", "less", "more", "bat"})
_SEARCHERS = frozenset({"rg", "grep"})
_LISTERS = frozenset({"ls", "find", "tree"})
_KNOWN = _READERS | _SEARCHERS | _LISTERS | {"sed"}
_SED_VALUED = frozenset({"-e", "--expression", "-f", "--file"})
# options of rg/grep that take a value, so that value is not a path
_VALUED = frozenset(
    "-e -f -g -t -T -A -B -C -m -M --glob --iglob --type --type-not --regexp --file "
    "--max-count --max-depth --context --after-context --before-context".split()
)
_PATTERN_GIVEN = frozenset({"-e", "-f", "--regexp", "--file"})


def paths_from_patch(patch: str, cwd: str | None) -> list[Ref]:
    """Files an ``apply_patch`` envelope adds, updates, deletes or moves to, in order."""
    refs: list[Ref] = []
    for m in _PATCH_FILE.finditer(patch):
        start = m.start()
        if start == 0 or patch[start - 1] == "\n":  # else a *** inside a line of the patch
            refs.append((_resolve(m[3], cwd), _PATCH_ACTIONS[m[1] or m[2]]))
    return _once(refs)


def paths_from_command(command: str | Sequence[str], cwd: str | None) -> list[Ref]:
    """Files a command reads, writes, searches or lists, each once, in order.

    ``command`` is a script (``"ls tests && cat tests/a.py"``) or an argv
    (``["bash", "-lc", "<script>"]``, ``["cat", "a.py"]``, ``["apply_patch", "<patch>"]``).
    """
    refs: list[Ref] = []
    if not isinstance(command, str):
        if not command:
            return refs
        if len(command) >= 3 and _program(command[0]) in _SHELLS and command[1][:1] == "-":
            command = command[-1]  # bash -lc '<script>'
        elif command[0] in ("apply_patch", "applypatch") and len(command) > 1:
            return paths_from_patch(command[1], cwd)
        else:
            _argv_refs(list(command), cwd, refs)
            return _once(refs)
    if "Begin Patch" in command:
        return paths_from_patch(command, cwd)
    _script_refs(command, cwd, refs)
    return _once(refs)


def _once(refs: list[Ref]) -> list[Ref]:
    return list(dict.fromkeys(refs)) if len(refs) > 1 else refs


def _program(word: str) -> str:
    return word.rpartition("/")[2]


def _resolve(path: str, base: str | None) -> str:
    if path[:1] == "~":
        path = os.path.expanduser(path)
    if base and path[:1] != "/":
        path = f"{base}/{path}"
    if _maybe_unnormal(path) and _UNNORMAL.search(path):
        return os.path.normpath(path)
    return path


def _maybe_unnormal(path: str) -> bool:
    """What any match of _UNNORMAL needs (its $ also matches before a final newline).

    Much cheaper than the regex, and false for nearly every path, ``.github/`` included.
    """
    return (
        "//" in path
        or "/./" in path
        or "/../" in path
        or path[:1] == "."
        or path[-1:] in ("/", ".", "\n")
    )


def _script_refs(script: str, base: str | None, out: list[Ref]) -> None:
    """Each simple command of a script, line by line, heredoc bodies left out."""
    delimiter = None
    for text in script.replace("\\\n", " ").split("\n"):
        if delimiter is not None:
            if text.strip() == delimiter:
                delimiter = None
            continue
        if _SPECIAL.search(text) is None:
            # No quotes, escapes or operators: the line is one command of plain words.
            words = text.split()
            if words:
                base = _command_refs(words, base, out, False)
            continue
        if "<<" in text:
            heredoc = _HEREDOC.search(text)
            if heredoc:
                delimiter = heredoc[2]
        quoted = "'" in text or '"' in text or "\\" in text
        if quoted:
            tokens = [token for token, _ in _TOKEN.findall(text)]
            if "" in tokens:
                continue  # a quote that does not balance (the stray group matched it)
        else:
            tokens = _PLAIN_TOKEN.findall(text)
        # A redirection needs a < or >; most lines have none to look for.
        redirects = "<" in text or ">" in text
        words = []
        for token in tokens:
            if token in _SEPARATORS:  # before unquoting: a quoted '|' is a word
                if words:
                    base = _command_refs(words, base, out, redirects)
                    words = []
            elif quoted and ("'" in token or '"' in token or "\\" in token):
                words.append(_unquoted(token))
            else:
                words.append(token)
        if words:
            base = _command_refs(words, base, out, redirects)


def _unquoted(word: str) -> str:
    if "\\" not in word:
        # Without escapes every quote of one kind delimits: drop them all.
        if '"' not in word:
            return word.replace("'", "")
        if "'" not in word:
            return word.replace('"', "")
    return _UNQUOTE.sub(_unquote, word)


def _unquote(m: re.Match[str]) -> str:
    if m[1] is not None:
        return m[1]
    if m[2] is not None:
        return _DOUBLE_QUOTED_ESCAPE.sub(r"\1", m[2])
    return m[3]


def _command_refs(
    words: list[str], base: str | None, out: list[Ref], redirects: bool
) -> str | None:
    """Refs of one simple command; returns the directory the next command runs in."""
    if words[0] == "cd" and len(words) == 2:
        return _resolve(words[1], base)
    argv = _redirect_refs(words, base, out) if redirects else words
    if argv:
        _argv_refs(argv, base, out)
    return base


def _redirect_refs(words: list[str], base: str | None, out: list[Ref]) -> list[str]:
    """Files the redirections of a command write or read; returns the words left."""
    argv: list[str] = []
    it = iter(words)
    for word in it:
        op = _REDIRECT.fullmatch(word) if word[:1] in _REDIRECT_START else None
        if op is None:
            argv.append(word)
            continue
        target = next(it, "")
        if op[1] in _WRITES and target and target != "/dev/null":
            out.append((_resolve(target, base), "write"))
        elif op[1] == "<" and target:
            out.append((_resolve(target, base), "read"))
    return argv


def _argv_refs(argv: list[str], base: str | None, out: list[Ref]) -> None:
    prog = _program(argv[0])
    if prog not in _KNOWN:
        return  # most commands: nothing to read off their arguments
    args = argv[1:]
    if prog in _READERS:
        paths, action = _operands(args), "read"
    elif prog == "sed":
        scripted = in_place = False
        for a in args:
            if a.startswith(("-e", "--expression", "-f", "--file")):
                scripted = True
            elif a.startswith(("-i", "--in-place")):
                in_place = True
        ops = _operands(args, _SED_VALUED)  # `-e SCRIPT`, `-f FILE`: the script is no operand
        paths = ops if scripted else ops[1:]  # else the first operand is the script
        action = "edit" if in_place else "read"
    elif prog in _SEARCHERS:
        ops = _operands(args, _VALUED)
        listing = "--files" in args
        given = listing or not _PATTERN_GIVEN.isdisjoint(args)
        paths = (ops if given else ops[1:]) or ([base] if base else [])
        action = "list" if listing else "search"
    else:  # a lister
        ops = _operands(args) if prog != "find" else _find_roots(args)
        paths, action = ops or ([base] if base else []), "list"
    for p in paths:
        if p and p != "/dev/null" and not _NOT_A_PATH.search(p):
            out.append((_resolve(p, base), action))


def _operands(args: list[str], valued: frozenset[str] = frozenset()) -> list[str]:
    """Non-option words, skipping option values and counts like ``-n 20``/``+5``."""
    out: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
        elif a.startswith("-"):
            skip = a in valued
        elif not a.lstrip("+").isdigit():
            out.append(a)
    return out


def _find_roots(args: list[str]) -> list[str]:
    roots: list[str] = []
    for a in args:
        if a.startswith(("-", "(", "!")):
            break
        roots.append(a)
    return roots
