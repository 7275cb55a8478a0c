"""Which price table key a model name means, by ccusage's rules (its ``pricing.rs``).

Assistants log names the table does not list as such: ``anthropic/claude-…``,
dated aliases, ``claude-3.7-sonnet``, ``claude-sonnet-4-5[1m]``. ccusage finds
their entry like this, and so must we for the dollars to agree:

* the exact key;
* otherwise every key that occurs in the name, or in which the name occurs,
  between boundaries (anything but a letter or digit), also with ``.`` and
  ``@`` read as ``-``, but never across a version number: after a key ending in
  a digit, ``-5`` or ``.1`` is another version, while an 8-digit ``-YYYYMMDD``
  date is an alias;
* of those, the longest key; equal lengths go to the alphabetically first.
"""

from __future__ import annotations

from collections.abc import Mapping


def best_key(model: str, keys: Mapping[str, object]) -> str | None:
    """The key ccusage would pick for ``model``: exact, else the longest fuzzy match."""
    if not model:
        return None
    if model in keys:
        return model
    normalized = _normalize(model)
    best: str | None = None
    for key in keys:
        if not _matches(key, model, normalized):
            continue
        if best is None or len(key) > len(best) or (len(key) == len(best) and key < best):
            best = key
    return best


def _normalize(name: str) -> str:
    return name.replace(".", "-").replace("@", "-")


def _matches(key: str, model: str, normalized_model: str) -> bool:
    if _contains(model, key) or _contains(key, model):
        return True
    normalized_key = _normalize(key)
    return _contains(normalized_model, normalized_key) or _contains(normalized_key, normalized_model)


def _contains(value: str, key: str) -> bool:
    """``key`` occurs in ``value`` between boundaries, not followed by more version."""
    start = value.find(key)
    while start != -1:
        end = start + len(key)
        if (start == 0 or _is_boundary(value[start - 1])) and _suffix_allows(key, value[end:]):
            return True
        start = value.find(key, end)
    return False


def _is_boundary(char: str) -> bool:
    return not (char.isascii() and char.isalnum())


_DIGITS = "0123456789"
_DATE_DIGITS = 8  # Anthropic's dated aliases end in -YYYYMMDD


def _suffix_allows(key: str, suffix: str) -> bool:
    if not suffix:
        return True
    if not _is_boundary(suffix[0]):
        return False
    if key[-1] not in _DIGITS or suffix[0] not in "-.":
        return True
    rest = suffix[1:]
    digits = len(rest) - len(rest.lstrip(_DIGITS))
    if digits == 0:
        return True
    # "-5" after "claude-sonnet-4" is a newer version; "-20250929" is a date.
    return digits == _DATE_DIGITS and (digits == len(rest) or _is_boundary(rest[digits]))
