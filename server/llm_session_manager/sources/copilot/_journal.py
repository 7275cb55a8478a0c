"""A VS Code chat session file, read back into the one session document it stands for.

Until early 2026 VS Code wrote ``<session>.json``: the whole ``ISerializableChatData``
(``version`` 3, ``sessionId``, ``requests[]``...) rewritten on every save. Since
"chat: store disk sessions using an 'append log'" (microsoft/vscode#286644) it writes
``<session>.jsonl``, an ``ObjectMutationLog``
(``src/vs/workbench/contrib/chat/common/model/objectMutationLog.ts``): one JSON entry
per line, replayed in order onto the document:

* ``{"kind":0,"v":{…}}`` — the whole document; the first line, and again when VS Code
  compacts a long log by rewriting the file;
* ``{"kind":1,"k":[path],"v":…}`` — set the value at ``path``;
* ``{"kind":2,"k":[path],"v":[…],"i":n}`` — cut the array at ``path`` to ``n`` items
  (when ``i`` is given), then append ``v``;
* ``{"kind":3,"k":[path]}`` — delete the value at ``path``.

The log mutates earlier state, so ingest hands over the whole file each time it changes
(layout "document") and it is replayed from the start: simple, and re-reading yields
the same requests, hence the same row keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from ..base import DECODE_ERRORS, decode_lenient

_ERRORS = DECODE_ERRORS
_decode = msgspec.json.decode


def load_session(path: Path, data: bytes) -> tuple[dict[str, Any] | None, int]:
    """The session document of a ``.json`` or ``.jsonl`` file, and how many entries were bad."""
    if path.suffix == ".jsonl":
        return replay(data)
    try:
        doc = decode_lenient(_decode, data)
    except _ERRORS:
        return None, 1  # caught mid-write, or damaged: read again when it changes
    return (doc, 0) if isinstance(doc, dict) else (None, 1)


def replay(data: bytes) -> tuple[dict[str, Any] | None, int]:
    """Apply every entry of a mutation log in order; skip (and count) what cannot apply.

    A last line without its newline is being written: it is left for the next scan,
    not counted.
    """
    doc: dict[str, Any] | None = None
    bad = 0
    lines = data.split(b"\n")
    last = len(lines) - 1
    for n, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            entry = decode_lenient(_decode, line)
        except _ERRORS:
            bad += n != last
            continue
        kind = entry.get("kind") if isinstance(entry, dict) else None
        if kind == 0:
            value = entry.get("v")
            doc = value if isinstance(value, dict) else None
            bad += doc is None
        elif doc is None or not _apply(doc, kind, entry):
            bad += 1
    return doc, bad


def _apply(doc: dict[str, Any], kind: object, entry: dict[str, Any]) -> bool:
    path = entry.get("k")
    if not isinstance(path, list) or not path:
        return False
    parent = _walk(doc, path[:-1])
    key = path[-1]
    if parent is None or not _addressable(parent, key):
        return False
    if kind == 1:
        return _set(parent, key, entry.get("v"))
    if kind == 2:
        items = entry.get("v")
        cut = entry.get("i")
        arr = parent[key] if _has(parent, key) and isinstance(parent[key], list) else []
        if isinstance(cut, int) and not isinstance(cut, bool):
            del arr[max(cut, 0):]
        if isinstance(items, list):
            arr.extend(items)
        return _set(parent, key, arr)
    if kind == 3:
        if isinstance(parent, dict):
            parent.pop(key, None)
        elif _has(parent, key):
            parent[key] = None
        return True
    return False


def _walk(doc: dict[str, Any], path: list[Any]) -> dict[str, Any] | list[Any] | None:
    node: Any = doc
    for key in path:
        if not _addressable(node, key) or not _has(node, key):
            return None
        node = node[key]
    return node if isinstance(node, (dict, list)) else None


def _addressable(node: object, key: object) -> bool:
    if isinstance(node, dict):
        return isinstance(key, str)
    return isinstance(node, list) and type(key) is int and key >= 0


def _has(node: dict[str, Any] | list[Any], key: Any) -> bool:
    return key in node if isinstance(node, dict) else key < len(node)


def _set(parent: dict[str, Any] | list[Any], key: Any, value: object) -> bool:
    if isinstance(parent, dict) or key < len(parent):
        parent[key] = value
    elif key == len(parent):
        parent.append(value)
    else:
        return False
    return True
