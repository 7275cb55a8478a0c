"""``search_history`` never shows part of a secret: a snippet is cut from the
redacted message, so a key the window cuts through is still recognised whole.

Ingest stores no detected secret, so the messages here are written straight into
the store, as a version before that stored them (and as the upgrade's scrub would
find them); the snippet must not depend on the store being clean.
"""

from __future__ import annotations

import base64
import json
import os
import random
import string
from pathlib import Path

import apsw
import pytest
from mcp_helpers import CLAUDE_B, anyio_backend, logs, mcp_client, structured  # noqa: F401  (fixtures)

pytestmark = pytest.mark.anyio

_rng = random.Random(5)
ALNUM = string.ascii_letters + string.digits
SNIPPET_CHARS = 160  # each side of the match, as the tool cuts


def fake(n: int, alphabet: str = ALNUM) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


PEM_BODY = [fake(64, ALNUM + "+/") for _ in range(6)]
PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(PEM_BODY) + "\n-----END OPENSSH PRIVATE KEY-----"
GITHUB = "ghp_" + fake(36)
JWT = ".".join(base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")
               for d in ({"alg": "HS256", "typ": "JWT"}, {"sub": "42"})) + "." + fake(43, ALNUM + "-_")


def _straddling() -> dict[str, tuple[str, list[str]]]:
    """Messages in which the snippet window around "wombat" cuts through a secret."""
    pem_at = PEM.index(PEM_BODY[2])  # the window starts inside the key's body
    pem = PEM + " " + "w" * (SNIPPET_CHARS - (len(PEM) - pem_at) - 1) + " wombat"
    token = "wombat " + "x" * (SNIPPET_CHARS - len(GITHUB)) + " " + GITHUB  # cut one short of its last character
    jwt = "x" * 200 + " Cookie: session=" + JWT + " " + "y" * (SNIPPET_CHARS - 30) + " wombat"  # signature cut
    return {"pem": (pem, PEM_BODY), "token": (token, [GITHUB]), "jwt": (jwt, [JWT])}


async def test_a_snippet_is_cut_from_the_redacted_message(logs, tmp_path: Path):
    async with mcp_client(tmp_path / "server.log") as mcp:
        structured(await mcp.call_tool("search_history", {"query": "coupon"}))  # scanned, upgraded
        db = Path(os.environ["LLM_SESSION_DATA_DIR"]) / "sessions.db"
        conn = apsw.Connection(str(db))
        conn.setbusytimeout(5000)
        messages = _straddling()
        for i, (text, _) in enumerate(messages.values()):
            conn.execute("INSERT INTO messages (key, session_id, ts, role, kind, text) VALUES (?, ?, ?, 'user',"
                         " 'prompt', ?)", (f"raw-{i}", CLAUDE_B, 1.8e9 + i, text))
        conn.close()
        found = structured(await mcp.call_tool("search_history", {"query": "wombat"}))
    snippets = [m["snippet"] for m in found["matches"]]
    assert len(snippets) == 3
    for name, (_, secrets) in messages.items():
        for secret in secrets:
            pieces = [secret[i : i + 12] for i in range(0, len(secret) - 12, 6)]
            assert not [p for s in snippets for p in pieces if p in s], f"part of the {name} leaked"
    assert any("[REDACTED:private-key]" in s for s in snippets)
    assert any("[REDACTED:github-token]" in s for s in snippets)
