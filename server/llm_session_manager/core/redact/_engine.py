"""How a rule runs: keywords found with ``str.find``, the rule's pattern tried only there.

A rule is a tuple of lowercase keywords, a pattern that starts with one of them,
and a replacement; a judge looks at a match and names the kind of secret and
where its value is, or says it is none.
"""

import re
from collections.abc import Callable
from typing import Any, NamedTuple, cast


def marker(kind: str) -> str:
    """What a secret of ``kind`` is replaced with."""
    return f"[REDACTED:{kind}]"


# A judge looks at a match and names the kind of secret and where it is (a
# group's name, or a span of the text), or says None: not a secret after all.
_Where = str | tuple[int, int]
_Judge = Callable[[re.Match[str]], "tuple[str, _Where] | None"]
_Replace = Callable[[re.Match[str], dict[str, int]], str]


class _Rule(NamedTuple):
    keywords: tuple[str, ...]  # lowercase; every match starts with one of them
    pattern: re.Pattern[str]
    replace: _Replace


class _Lazy:
    """A pattern compiled the first time it is used.

    The package holds 56 patterns, and compiling them all is most of what
    importing it costs (about 7 ms): too much for a short command (a status line
    storing one new response) that tries a few of them, or none. Each attribute
    is looked up on the compiled pattern once and then kept here, so a rule's
    ``match`` costs what the compiled pattern's does; ``compile_all`` compiles
    every one up front (before parse workers fork, which then share them).
    """

    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(*self._source)
        return self._compiled

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # copy and pickle probing for hooks: not the pattern's
            raise AttributeError(name)
        value = getattr(self.compiled(), name)
        setattr(self, name, value)
        return value


_LAZY: list[_Lazy] = []


def lazy(pattern: str, flags: int | re.RegexFlag = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, compiled only when first used."""
    pending = _Lazy(pattern, int(flags))
    _LAZY.append(pending)
    return cast("re.Pattern[str]", pending)


def compile_all() -> None:
    """Compile every pattern of the package now (a first scan, before it forks parse workers)."""
    for pending in _LAZY:
        pending.compiled()


def _lower(text: str) -> str:
    """``text.lower()`` with every offset kept: İ (U+0130) is the one letter whose
    lowercase is two characters, and no keyword needs it."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text.replace("\u0130", "I").lower()


def _apply(rule: _Rule, text: str, lowered: str, found: dict[str, int]) -> str:
    """``rule.pattern.sub`` over ``text``, but trying only where a keyword starts."""
    starts: list[int] = []
    for keyword in rule.keywords:
        at = lowered.find(keyword)
        while at != -1:
            starts.append(at)
            at = lowered.find(keyword, at + 1)
    if len(rule.keywords) > 1:
        starts.sort()
    pieces: list[str] = []
    done = 0
    for start in starts:
        if start < done:
            continue
        match = rule.pattern.match(text, start)
        if match is not None:
            replacement = rule.replace(match, found)
            if replacement != match.group(0):
                pieces += (text[done:start], replacement)
                done = match.end()
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def _splice(match: re.Match[str], where: _Where, replacement: str) -> str:
    """The match's text with a group, or a span, replaced."""
    whole, base = match.group(0), match.start()
    start, end = match.span(where) if isinstance(where, str) else where
    return whole[: start - base] + replacement + whole[end - base :]


def _by_judge(judge: _Judge) -> _Replace:
    def replace(match: re.Match[str], found: dict[str, int]) -> str:
        verdict = judge(match)
        if verdict is None:
            return match.group(0)
        kind, where = verdict
        found[kind] = found.get(kind, 0) + 1
        return _splice(match, where, marker(kind))

    return replace


def _rule(
    keywords: str, pattern: str | re.Pattern[str], judge: _Judge | None = None, *, replace: _Replace | None = None
) -> _Rule:
    if replace is None:
        assert judge is not None
        replace = _by_judge(judge)
    compiled = lazy(pattern) if isinstance(pattern, str) else pattern
    return _Rule(tuple(keywords.split()), compiled, replace)
