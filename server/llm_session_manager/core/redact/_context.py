"""Secrets said in a sentence, found by the words around them rather than a name."""

from __future__ import annotations

import re

from ._engine import _lower, _Where, lazy, marker
from ._names import _NAME_PARTS
from ._values import _CODE_REF, _PLACEHOLDER, _classes, _entropy, _plausible

# trufflehog's detectors look for a provider's keyword and take a value near it
# (its AWS detector pairs any 40-character base64 string with a key id in the
# same chunk). Prose has no assignment to name the value: "key AKIA... with
# secret wJalr...". Here a value that looks random (long, all of upper case,
# lower case and digits, short runs of letters, high entropy) within a few
# words after a standalone secret word is one. Hashes (hex), UUIDs, digests,
# paths and identifiers are not random in that sense and stay.

_NEAR = lazy(
    r"(?P<word>(?i:secret|password|passwd|passphrase|token|key|credential)s?(?![A-Za-z0-9_])"
    r"|\[REDACTED:aws-access-key\])(?P<w>[^\r\n]{0,48}+[A-Za-z0-9/+=_-]*+)"
)
_CANDIDATE = lazy(r"(?<![A-Za-z0-9/+=_.-])[A-Za-z0-9/+_-]{20,200}={0,2}(?![A-Za-z0-9/+=_-])")
_HEXISH = lazy(r"^(?:[0-9a-f]+(?:-[0-9a-f]+)*|[0-9A-F]+(?:-[0-9A-F]+)*)$")
_DIGEST = lazy(r"^(?:sha|md5|blake|xxh)[0-9]*[-_]", re.I)
_AWS_SECRET = lazy(r"^[A-Za-z0-9/+]{40}$")
_NEAR_KINDS = {"password": "password", "passwd": "password", "passphrase": "password", "token": "token"}


def _random_value(value: str) -> bool:
    """Whether ``value`` looks machine-made: what a key or token is, and prose never."""
    value = value.rstrip("=")
    if len(value) < 20 or _HEXISH.match(value) or _DIGEST.match(value) or _PLACEHOLDER.search(value):
        return False
    if not (any(c.isupper() for c in value) and any(c.islower() for c in value) and any(c.isdigit() for c in value)):
        return False
    parts = _NAME_PARTS.findall(value)  # words of an identifier or a path are long; random runs short
    return sum(map(len, parts)) / len(parts) <= 3.0 and _entropy(value) >= 3.5


def _replace_near(match: re.Match[str], found: dict[str, int]) -> str:
    text, start = match.string, match.start()
    if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
        return match.group(0)  # part of a name (publicToken, hotkey): the assignment rules' business
    word = match.group("word").lower().rstrip("s")
    window, at = match.group("w"), match.start("w")

    def replace(candidate: re.Match[str]) -> str:
        value = candidate.group(0)
        if not _random_value(value):
            return value
        # 40 base64 characters a little after "aws" or an AWS key id (its marker says "aws")
        aws = len(value) == 40 and "aws" in _lower(text[max(0, start - 80) : at + candidate.start()])
        kind = "aws-secret-key" if aws and _AWS_SECRET.match(value) else _NEAR_KINDS.get(word, "secret")
        found[kind] = found.get(kind, 0) + 1
        return marker(kind)

    return match.group(0)[: at - start] + _CANDIDATE.sub(replace, window)


# "the password is Tr0ub4dor&3": a password said in a sentence, with a digit or a symbol in it.
_PROSE_PASSWORD = lazy(
    r"(?i:password|passwd|passphrase)(?:[ \t]+(?i:for|of|on|to)(?:[ \t]+\S{1,64}){1,4}?)?[ \t]+(?i:is|was)[ \t]*:?[ \t]+"
    r"""[`"']?(?P<v>[^\s`"']{4,64}?)[`"']?(?=[\s,;)]|[.!?](?:\s|$)|$)"""
)


def _judge_prose_password(match: re.Match[str]) -> tuple[str, _Where] | None:
    text, start, value = match.string, match.start(), match.group("v")
    if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
        return None
    if value.isalpha() or value.endswith(":") or _classes(value) < 2 or _CODE_REF.match(value):  # `is None:`
        return None
    return ("password", "v") if _plausible(value, "password", True, quoted=False, env_name=False) else None
