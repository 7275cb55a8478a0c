"""Secrets out of text before it is stored (ingest, memory) or exported.

Everything ingest stores (:func:`redact_many`), every memory and every export
passes through :func:`redact`. It replaces each secret's value with
``[REDACTED:<kind>]`` and keeps what tells a reader what was there: the
variable name, the URL's user and host, a PEM block's armour lines.

The rules follow the public catalogues (gitleaks' ``config/gitleaks.toml``,
detect-secrets' keyword and basic-auth plugins, trufflehog's URI, OpenAI and
private-key detectors; docs/redaction.md says which rule comes from where) and
lean the way they do: a token with a provider's fixed prefix is caught
anywhere, any other value only where a name, or the words just before it
("with secret ..."), say it is a secret. Hashes, UUIDs, git SHAs, integrity
strings and base64 payloads carry no such name, so they are left alone.

Speed matters because this runs over everything we keep. Every rule's pattern
begins with one of its literal keywords, so instead of letting the regex engine
try each position of the text, :func:`redact` finds the keywords with
``str.find`` on a lowercased copy and tries the pattern only there. Text with no
keyword in it costs a handful of substring searches and comes back unchanged.

Here: the public API and the batch path. ``_engine`` runs a rule, ``_rules``
holds them in order, ``_values`` and ``_names`` say what a secret value and a
secret's name look like, ``_context`` finds secrets said in a sentence.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from itertools import accumulate

import msgspec

from . import _engine
from ._engine import _apply, _lower, _Rule, lazy, marker
from ._rules import _RULES

__all__ = ["KINDS", "Redacted", "compile_all", "marker", "redact", "redact_many", "redact_text", "whole_words"]

KINDS: tuple[str, ...] = (
    "anthropic-api-key", "openai-api-key", "github-token", "gitlab-token", "slack-token",
    "slack-webhook", "stripe-key", "aws-access-key", "aws-secret-key", "google-api-key",
    "npm-token", "huggingface-token", "jwt", "private-key", "connection-string", "basic-auth",
    "bearer-token", "password", "secret", "token", "api-key",
)  # fmt: skip


class Redacted(msgspec.Struct, frozen=True):
    """Text with its secrets replaced, and how many of each kind were found."""

    text: str
    found: dict[str, int] = msgspec.field(default_factory=dict)


def compile_all() -> None:
    """Compile every pattern of the package now (a first scan, before it forks parse workers)."""
    _needle_groups()
    _engine.compile_all()


def redact(text: str) -> Redacted:
    """Replace every secret in ``text``. Idempotent: a marker is never a secret."""
    return _redact(text, _RULES)


def _redact(text: str, rules: tuple[_Rule, ...], lowered: str | None = None) -> Redacted:
    found: dict[str, int] = {}
    lowered = _lower(text) if lowered is None else lowered
    for rule in rules:
        changed = _apply(rule, text, lowered, found)
        if changed is not text:
            text, lowered = changed, _lower(changed)
    return Redacted(text=text, found=found)


def redact_text(text: str) -> str:
    """:func:`redact` for callers that only want the text."""
    return redact(text).text


def redact_many(texts: list[str]) -> list[str]:
    """:func:`redact_text` of each of ``texts``, for ingest's hundreds of thousands.

    One call per text would pay for every keyword search each time (about
    20 µs for a short message). Here the keywords are searched once over all
    the texts joined, and a text in which some are found is tried with only
    the rules those keywords start. Where that finds a secret, the text is
    redacted again the ordinary way, since a marker may be the context a later
    rule looks for (an AWS secret near ``[REDACTED:aws-access-key]``).
    """
    if not texts:
        return texts
    lowered = _lower("\0".join(texts))
    ends = list(accumulate(len(t) + 1 for t in texts))  # where each text's separator is
    needles: dict[int, set[str]] = {}
    if len(lowered) < _FIND_BELOW:
        for keyword in _KEYWORDS:
            at = lowered.find(keyword)
            while at != -1:
                i = bisect_right(ends, at)
                needles.setdefault(i, set()).add(keyword)
                at = lowered.find(keyword, ends[i])  # one hit is enough: on to the next text
    else:
        for pattern, group in _needle_groups():
            search = pattern.search
            hit = search(lowered)
            while hit is not None:
                i = bisect_right(ends, hit.start())
                needles.setdefault(i, set()).update(group)
                hit = search(lowered, ends[i])
    out = list(texts)
    for i, candidates in needles.items():
        text = texts[i]
        start = ends[i - 1] if i else 0
        low = lowered[start : start + len(text)]
        rules = _rules_for(frozenset(k for k in candidates if k in low))
        if _redact(text, rules, low).found:
            out[i] = redact(text).text
    return out


@functools.cache
def _rules_for(keywords: frozenset[str]) -> tuple[_Rule, ...]:
    """The rules that can match in a text holding just ``keywords``, each with
    only those of its keywords, in order."""
    rules = []
    for rule in _RULES:
        mine = tuple(k for k in rule.keywords if k in keywords)
        if mine:
            rules.append(rule._replace(keywords=mine))
    return tuple(rules)


def whole_words(text: str, cut_at: int = 80) -> str:
    """``text`` without its last word, if it may have been cut there.

    A title is the start of the first prompt, cut at 80 characters by its
    source (with or without a ``…``): the cut may leave a secret's first
    characters, too few for any rule to know them (an AWS secret needs all 40).
    The word the cut went through goes, before redaction looks, and ``…`` says so.
    """
    if len(text) < cut_at and not text.endswith("…"):
        return text
    kept = text.removesuffix("…")
    cut = max(kept.rfind(" "), kept.rfind("\t"), kept.rfind("\n"))
    return kept[:cut].rstrip() + "…" if cut > 0 else "…"


# What redact_many searches for. Below _FIND_BELOW characters (a status line storing
# one response) it finds each keyword with str.find: a text's keywords are those found
# in it. Above, every keyword less those holding a shorter one (a text with
# "password" in it has "pass" too), in one pattern per first letter: a pattern that
# starts with a literal letter is searched for at str.find's speed, so 19 patterns
# cost a third of 53 finds. Those are worked out on first use: that is 12 M
# instructions, as much as the rest of importing this package (bench/README.md), and
# a status line never needs them.
_KEYWORDS = tuple(sorted({k for rule in _RULES for k in rule.keywords}))
_FIND_BELOW = 1 << 16


@functools.cache
def _needle_groups() -> tuple[tuple[re.Pattern[str], frozenset[str]], ...]:
    """(pattern, the keywords a text it finds something in may hold), per first letter."""
    needles = sorted(k for k in _KEYWORDS if not any(o != k and o in k for o in _KEYWORDS))
    return tuple(
        (
            lazy(re.escape(first) + "(?:" + "|".join(re.escape(n[1:]) for n in group) + ")"),
            frozenset(k for k in _KEYWORDS if any(n in k for n in group)),
        )
        for first, group in ((f, [n for n in needles if n[0] == f]) for f in sorted({n[0] for n in needles}))
    )
