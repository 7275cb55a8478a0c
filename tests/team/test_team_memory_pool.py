"""The team's memory pool: memories shared as personal, project or team are searched
within what the caller may read (never another member's personal ones), by pgvector
where the server has it and by exact cosine in the server where it does not, with
the same top results; MCP ``recall`` adds them to the local ones, and a server that
is down leaves the local ones with a note (docs/team.md#memory-pool)."""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
import urllib.request
import uuid

import psycopg
import pytest
import trio
from mcp import ClientSession, StdioServerParameters, stdio_client
from team_fixtures import TeamServer, database_url, enroll, postgres, team_server  # noqa: F401 -- fixtures

from llm_session_manager.core.embed import get_embedder
from llm_session_manager.team.memory_pool import EXACT_ENV, encode_vector

pytestmark = pytest.mark.slow

MEMORIES = {  # text: (project, scope or None for not shared)
    "Ann prefers tabs over spaces in her own scratch scripts.": ("shop", "personal"),
    "The shop's coupon discount is applied once, in cart/total.ts, never in coupon.ts.": ("shop", "project"),
    "The acme API rate limiter lives in middleware/limits.py and allows 100 requests a minute.": ("acme-api",
                                                                                                  "project"),
    "Deploys are frozen on Fridays for the whole team.": (None, "team"),
    "Ann's unshared note: the coupon tests are flaky on CI.": ("shop", None),
}


def _search(url: str, token: str, query: str, limit: int = 10) -> dict:
    embedder = get_embedder()
    vector = encode_vector(embedder.embed([query])[0])
    args = urllib.parse.urlencode({"q": query, "limit": limit, "embedder": embedder.name, "vector": vector})
    req = urllib.request.Request(f"{url}/api/memories/search?{args}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def _mcp_recall(query: str, env: dict[str, str]) -> dict:
    async def ask() -> dict:
        params = StdioServerParameters(command=sys.executable, args=["-m", "llm_session_manager", "mcp"], env=env)
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            result = await session.call_tool("recall", {"query": query, "limit": 5})
            assert not result.is_error, result.content[0].text
            return result.structured_content

    return trio.run(ask)


def test_memory_scopes_pgvector_and_the_exact_fallback_and_recall_over_mcp(
        team_server, database_url, cli, fixture_logs, tmp_path, monkeypatch) -> None:
    tokens = {name: enroll(database_url, name, "member", "pc")[0] for name in ("ann", "bob", "carl")}
    assert cli("team", "join", team_server.url, "--token", tokens["ann"]).code == 0
    ids = {}
    for text, (project, scope) in MEMORIES.items():
        args = ["remember", text, "--json"] + (["--project", project] if project else [])
        ids[text] = cli(*args, *(["--share", scope] if scope and scope != "project" else [])).json()["id"]
        if scope == "project":  # shared after the fact, as 'memory share' does
            assert cli("memory", "share", ids[text][:8], "--scope", "project").code == 0
    pushed = cli("team", "push", "--json")
    assert pushed.code == 0, pushed.err
    assert pushed.json()["memories"] == 4
    assert cli("team", "push", "--json", "--no-scan").json()["memories"] == 0  # each once

    # bob pushed the shop and acme-api sessions too (the same logs); carl pushed nothing.
    bob = {"LLM_SESSION_DATA_DIR": str(tmp_path / "bob")}
    assert cli("team", "join", team_server.url, "--token", tokens["bob"], env=bob).code == 0
    assert cli("team", "push", env=bob).code == 0
    query = "where is the coupon discount applied in the shop?"
    seen = {name: {m["text"] for m in _search(team_server.url, tokens[name], query)["memories"]}
            for name in tokens}
    personal, unshared = next(iter(MEMORIES)), list(MEMORIES)[4]
    assert seen["ann"] == set(MEMORIES) - {unshared}
    assert seen["bob"] == set(MEMORIES) - {personal, unshared}
    assert seen["carl"] == {"Deploys are frozen on Fridays for the whole team."}

    # The same top results by pgvector and by the exact fallback (a second server told not to use it).
    with psycopg.connect(database_url) as conn:
        has_vector = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone() is not None
    if not has_vector and os.environ.get("CI"):
        pytest.fail("pgvector is missing on CI: 'make system-deps' builds it")
    monkeypatch.setenv(EXACT_ENV, "1")
    exact_server = TeamServer(database_url)
    try:
        for q in (query, "rate limits of the API", "when can we deploy?"):
            by_db = _search(team_server.url, tokens["ann"], q, limit=3)
            by_python = _search(exact_server.url, tokens["ann"], q, limit=3)
            assert by_db["method"] == ("pgvector" if has_vector else "exact") and by_python["method"] == "exact"
            assert [m["id"] for m in by_db["memories"]] == [m["id"] for m in by_python["memories"]]
            assert [m["score"] for m in by_db["memories"]] == pytest.approx(
                [m["score"] for m in by_python["memories"]], abs=1e-4)
    finally:
        exact_server.stop()
    monkeypatch.delenv(EXACT_ENV)

    # bob's assistant recalls the team's project memory beside his own (he has none), labelled.
    bob_env = {**os.environ, **bob}
    found = _mcp_recall(query, bob_env)
    assert found["memories"] == []
    best = found["team"][0]
    assert best["text"] == list(MEMORIES)[1] and best["scope"] == "project" and best["user"] == "ann"
    assert all(m["text"] != personal for m in found["team"])
    team_server.stop()
    down = _mcp_recall(query, bob_env)
    assert down["team"] == [] and "cannot reach the team server" in down["team_note"]


def test_a_database_that_may_not_create_pgvector_is_still_migrated_and_searched_exactly(
        postgres, cli, fixture_logs, tmp_path) -> None:
    """pgvector is not a trusted extension: a database owner who is not a superuser cannot create it."""
    from llm_session_manager.team import db
    from llm_session_manager.team.memory_pool import has_pgvector

    role, name = f"plain_{uuid.uuid4().hex[:8]}", f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"CREATE DATABASE {name} OWNER {role}")
    url = postgres.url(name).replace("postgres@", f"{role}@", 1)
    with db.connect(url) as conn:
        assert db.migrate(conn)[1] == db.SCHEMA_VERSION
        assert not has_pgvector(conn)
    token, = enroll(url, "ann", "member", "pc")
    server = TeamServer(url)
    try:
        assert cli("team", "join", server.url, "--token", token).code == 0
        assert cli("remember", "Deploys are frozen on Fridays for the whole team.", "--share", "team").code == 0
        assert cli("team", "push").code == 0
        found = _search(server.url, token, "when can we deploy?")
    finally:
        server.stop()
    assert found["method"] == "exact"
    assert [m["text"] for m in found["memories"]] == ["Deploys are frozen on Fridays for the whole team."]
