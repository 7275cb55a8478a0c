"""ChatGPT's data export: ``conversations.json``, every conversation of an account.

Settings → Data controls → Export data mails a zip whose ``conversations.json``
is a JSON array of conversations. Each holds its messages as a tree
(``mapping``: node id → ``{message, parent, children}``): editing a prompt or
regenerating an answer starts a new branch and keeps the old one, and
``current_node`` is the leaf of the branch the user last saw. Only that branch
is read, from ``current_node`` up to the root.

ChatGPT records no token counts. Each assistant message on the branch is taken
as one response and estimated with o200k_base (the tokenizer of ChatGPT's
GPT-4o and GPT-5 models): its input is the text of every earlier message on the
branch (what the model was shown), its output its own text. Text only: images,
files, memory, the system prompt and per-message framing are not counted, so
this is a lower bound. Cost is 0: ChatGPT is a subscription, not billed per
token.

The file can be hundreds of MB: it is split into conversations as raw JSON and
each is decoded into typed structs, so a damaged conversation is counted as
malformed and the rest still read (``_export``, imported on first use: a rescan
that finds nothing new never needs it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from ...core.models import Batch
from ..base import Layout, find_sniffed

PROVIDER = "chatgpt"


class ChatGPT:
    provider = PROVIDER
    exact = False
    layout: Layout = "document"
    watched = True

    def default_roots(self, env: Mapping[str, str], home: Path) -> list[Path]:
        """No standard place: exports are wherever the user unzipped them (``import``,
        or ``sources.chatgpt.paths``)."""
        return []

    def discover(self, root: Path) -> Iterator[str]:
        """The ``.json`` files under ``root`` that are ChatGPT exports."""
        return find_sniffed(root, ".json", self.sniff)

    def sniff(self, head: bytes) -> bool:
        """An array whose first conversation has a message ``mapping``."""
        return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[") and b'"mapping"' in head

    def parse(self, path: Path, data: bytes, state: bytes | None) -> Batch:
        from ._export import read_export

        return read_export(data)


SOURCE = ChatGPT()

__all__ = ["SOURCE", "ChatGPT"]
