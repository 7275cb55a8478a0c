"""What a secret value looks like, and what is a placeholder, a reference or code instead."""

from __future__ import annotations

import math
from collections import Counter

from ._engine import lazy


def _entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def _classes(value: str) -> int:
    """How many of lowercase, uppercase, digits and other characters ``value`` mixes."""
    return (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() for c in value)
    )


def _random_looking(value: str) -> bool:
    return _classes(value) >= 2 and _entropy(value) >= 3.0


_PLACEHOLDER = lazy(
    r"""(?ix)
    ^(?: none|null|nil|true|false|undefined|yes|no|on|off|empty|optional|required
       | str|string|int|bool|bytes|text|number|boolean|object|any|secretstr|secretbytes
       | password|passwd|pass|pwd|secret|token|key|apikey|api_key|changeme|change_me
       | example|sample|dummy|fake|test|todo|tbd|redacted|hidden|masked|n/?a|sensitive|value )$
    | ^[^a-z0-9]*$ | ^[$%@] | \{\{ | ^<.*>$ | ^\[.*\]$ | ^\{.*\}$ | ^\(.*\)$ | ^your[_-] | [_-]here$
    | x{6,} | \*{3,} | •{3,} | \.\.\. | … | \[REDACTED | abcdefgh | 01234567 | 12345678
    | ^(?:process\.env|os\.environ|os\.getenv|env\[|getenv|secrets\.)
    """
)
_PATH_OR_URL = lazy(r"^(?:~|\.{1,2})?/|^[A-Za-z]:\\|^[A-Za-z][A-Za-z0-9+.-]*://")
# An identifier or attribute chain (a variable, not a value), or words-joined-by-dashes.
_CODE_REF = lazy(r"^(?:[A-Za-z_$]+|[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+|[a-z]+(?:-[a-z]+)+)$")
_CONSTANT = lazy(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")  # GITHUB_TOKEN: a name, not a value
_NUMBER = lazy(r"^[+-]?\d+(?:\.\d+)?$")
_ENV_NAME = lazy(r"^[A-Z][A-Z0-9_]*$")


def _plausible(value: str, kind: str, strong: bool, *, quoted: bool, env_name: bool) -> bool:
    """Whether ``value``, assigned to a name of this ``kind``, is a real secret.

    Placeholders, references (``$VAR``, ``{{ x }}``, ``os.environ[...]``), paths,
    URLs and code (``getpass()``, ``tokenizer.encode``) are not. A password
    needs no more than that; a token, secret or key must also be long and mixed
    enough; under a weak name (``key``, ``auth``) a value must look random.
    """
    if _PLACEHOLDER.search(value) or _PATH_OR_URL.match(value) or _CONSTANT.match(value):
        return False
    if quoted and any(c.isspace() for c in value):
        return False
    if (not strong or not quoted) and not env_name and _CODE_REF.match(value):
        return False
    if not strong:
        digit = any(c.isdigit() for c in value)
        return len(value) >= 16 and digit and _classes(value) >= 2 and _entropy(value) >= 3.5
    if kind == "password":
        return len(value) >= 3
    return len(value) >= 8 and not _NUMBER.match(value) and _classes(value) >= 2 and _entropy(value) >= 2.5
