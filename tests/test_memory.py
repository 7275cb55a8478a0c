"""Memory as a user meets it: remember, recall, import, forget; secrets never stored."""

from __future__ import annotations

import json
import logging

import pytest

from llm_session_manager.core.errors import BadInput, NotFound
from llm_session_manager.services import memory
from llm_session_manager.store import connect

ANTHROPIC_KEY = "sk-ant-api03-" + "Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7" * 3 + "xyzAA"
FIELDS = ["id", "text", "score", "project", "session_id", "created_at", "tags", "source"]


@pytest.fixture
def conn(sandbox_home):
    return connect()


class Broken:
    """An embedder whose server is down."""

    name = "ollama:down"
    dim = 256

    def embed(self, texts):
        raise RuntimeError("connection refused")


def test_remember_redacts_secrets_and_answers_its_id(cli):
    r = cli("remember", f"Deploys use the key {ANTHROPIC_KEY} from the vault", "--project", "shop",
            "--tag", "deploy", "--json")
    assert r.code == 0, r.err
    mid = r.json()["id"]
    listed = cli("memory", "list", "--json").json()
    assert [m["id"] for m in listed] == [mid]
    assert ANTHROPIC_KEY not in r.out + json.dumps(listed)
    assert "[REDACTED:anthropic-api-key]" in listed[0]["text"]
    assert listed[0]["project"] == "shop" and listed[0]["tags"] == ["deploy"]


def test_the_same_memory_twice_is_stored_once(conn):
    first = memory.remember(conn, "Run the tests with  make test", project="p")
    again = memory.remember(conn, "run the TESTS with make test ", project="p")
    assert again.id == first.id
    assert len(memory.list_memories(conn)) == 1
    other_project = memory.remember(conn, "Run the tests with make test", project="q")
    assert other_project.id != first.id


def test_recall_json_follows_the_contract(cli):
    cli("remember", "The staging database is configured in deploy/staging.toml", "--project", "api")
    cli("remember", "Use pnpm, never npm, in the web app", "--project", "web", "--tag", "tooling")
    found = cli("recall", "where is the staging database configured", "--json").json()
    assert found and list(found[0])[:7] == FIELDS[:7]
    assert found[0]["text"].startswith("The staging database")
    assert 0 < found[0]["score"] <= 1.0
    scores = [m["score"] for m in found]
    assert scores == sorted(scores, reverse=True)
    only_web = cli("recall", "database", "--project", "web", "--json").json()
    assert {m["project"] for m in only_web} == {"web"}
    tagged = cli("recall", "package manager", "--tag", "tooling", "--json").json()
    assert [m["text"] for m in tagged] == ["Use pnpm, never npm, in the web app"]


@pytest.mark.parametrize("query", ['"unbalanced', "a AND OR NOT", "col:umn * ^ NEAR(x y", "(((", "-- ; DROP", "💥", "."])
def test_queries_with_fts_syntax_never_error(conn, query):
    memory.remember(conn, "Quotes \"and\" parentheses (like these) are fine")
    assert isinstance(memory.recall(conn, query), list)


def test_hybrid_recall_finds_what_words_or_meaning_alone_miss(conn):
    """One memory shares only a rare code with the query, the other only its meaning."""
    docs = {
        "meaning": "The automobile's motor refuses to ignite after freezing nights.",
        "keyword": "Invoices, receipts, payroll exports and quarterly tax forms for the accountants "
                   "are kept together with the spreadsheet template zq7731 on the shared finance drive.",
        "bicycle": "The bicycle tire went flat on the way to work.",
        "truck": "Truck drivers must rest every four hours on the highway.",
        "motorbike": "The motorbike battery dies if left parked in winter.",
        "docs": "Release notes are written in Markdown.",
        "cat": "The cat sleeps on the sofa all afternoon.",
        "make": "Use tabs for indentation in Makefiles.",
    }
    name = {memory.remember(conn, text).id: key for key, text in docs.items()}
    query = "car engine does not start on a cold morning zq7731"

    hybrid = {name[m.id] for m in memory.recall(conn, query, limit=2)}
    words_only = {name[m.id] for m in memory.recall(conn, query, limit=2, embedder=Broken())}
    meaning_only = {name[m.id] for m in _vector_only(conn, query, 2)}

    assert hybrid == {"meaning", "keyword"}
    assert "meaning" not in words_only
    assert "keyword" not in meaning_only


def test_a_turn_that_asks_the_question_again_ranks_under_the_one_that_answers_it(conn):
    """Both turns name the same thing; one asks about it between other sentences (its
    point is a question), the other says it (its point holds a command)."""
    asks = memory.remember(conn, "I pushed the branch and CI is green. Is there a faster way to rebuild "
                                 "the frontend assets? Formatting was off in 3 places; ruff fixed it.")
    says = memory.remember(conn, "Coverage went up a little. To rebuild the frontend bundle, run "
                                 "`npm run build:prod`. I added a changelog entry.")
    memory.remember(conn, "The frontend tests pass locally now.")
    got = [m.id for m in memory.recall(conn, "how do we rebuild the frontend assets", limit=3)]
    assert got.index(says.id) < got.index(asks.id)


def _vector_only(conn, query, k):
    import importlib

    from llm_session_manager.core.embed import get_embedder

    vectors = importlib.import_module("llm_session_manager.services.memory.vectors")
    store = importlib.import_module("llm_session_manager.services.memory.store")
    hits = vectors.search(conn, get_embedder().embed([query])[0], project=None, candidates=vectors.CANDIDATES, held=True)
    rows = store.by_rids(conn, [rid for rid, _ in hits[:k]])
    return [rows[rid] for rid, _ in hits[:k]]


def test_a_broken_embedder_falls_back_to_words_with_one_warning(conn, caplog):
    memory.remember(conn, "The cache lives in redis on port 6380")
    with caplog.at_level(logging.WARNING):
        found = memory.remember(conn, "Logs rotate daily", embedder=Broken())
        hits = memory.recall(conn, "redis port", embedder=Broken())
    assert found.text == "Logs rotate daily"
    assert [m.text for m in hits] == ["The cache lives in redis on port 6380"]
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings and all("\n" not in w and "words only" in w for w in warnings)
    # The memory stored without a vector gets one as soon as the embedder works again.
    assert [m.text for m in memory.recall(conn, "log rotation", limit=1)] == ["Logs rotate daily"]
    assert conn.execute("SELECT count(*) FROM memories WHERE embedded = 0").fetchone()[0] == 0


def test_the_cli_warns_and_still_answers_when_the_embedder_is_unreachable(cli, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("memory:\n  embedder:\n    kind: ollama\n    model: x\n    url: http://127.0.0.1:9\n"
                      "    timeout: 2\n    dim: 8\n")
    assert cli("remember", "Backups run at 02:00 UTC", "--config", str(config)).code == 0
    r = cli("recall", "backups", "--config", str(config), "--json")
    assert r.code == 0, r.err
    assert [m["text"] for m in r.json()] == ["Backups run at 02:00 UTC"]
    assert "warning:" in r.err


def test_a_new_embedder_re_embeds_every_memory_once(conn):
    import numpy as np

    class Other:
        name = "test:other"
        dim = 8

        def embed(self, texts):
            out = np.zeros((len(texts), 8), dtype=np.float32)
            out[:, 0] = 1
            return out

    memory.remember(conn, "First fact about the build")
    memory.remember(conn, "Second fact about the deploy")
    assert memory.recall(conn, "build", embedder=Other())
    rows = conn.execute("SELECT length(vector) FROM memories_vec").fetchall()
    assert rows == [(32,), (32,)]


def test_import_keeps_ids_counts_malformed_lines_and_redacts(conn, tmp_path):
    path = tmp_path / "m.jsonl"
    lines = [
        {"id": "mem-1", "text": "Prefer httpx over requests", "project": "api", "tags": ["python"],
         "metadata": {"from": "mem0"}},
        {"text": f"The token is ghp_{'a1B2c3D4e5F6g7H8i9J0' * 2}", "tags": []},
        {"id": "mem-3", "text": "Prefer httpx over requests", "project": "api"},  # same content
        {"id": "mem-4"},  # no text
        {"text": "   "},
        {"text": "bad tags", "tags": "x y"},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n\n")
    result = memory.import_jsonl(conn, path)
    assert result == memory.ImportResult(imported=2, skipped=1, malformed=4)
    stored = {m.id: m for m in memory.list_memories(conn)}
    assert stored["mem-1"].tags == ["python"] and stored["mem-1"].source == "import"
    assert "ghp_" not in json.dumps([m.text for m in stored.values()])
    again = memory.import_jsonl(conn, path)
    assert again == memory.ImportResult(imported=0, skipped=3, malformed=4)


def test_memory_import_cli_prints_counts(cli, tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text("".join(json.dumps({"id": f"m{i}", "text": f"fact number {i}"}) + "\n" for i in range(30)))
    r = cli("memory", "import", str(path), "--json")
    assert r.code == 0, r.err
    assert r.json() == {"imported": 30, "skipped": 0, "malformed": 0}
    assert "m7" in {m["id"] for m in cli("memory", "list", "--json").json()}
    assert cli("memory", "import", str(tmp_path / "missing.jsonl")).code == 1


def test_list_filters_and_forget_removes_from_every_index(conn):
    a = memory.remember(conn, "Alpha uses Postgres 16", project="alpha", tags=["db"])
    memory.remember(conn, "Beta uses SQLite", project="beta", tags=["db"])
    memory.remember(conn, "Alpha deploys on Fridays", project="alpha")
    assert {m.text for m in memory.list_memories(conn, project="alpha", tag="db")} == {"Alpha uses Postgres 16"}
    assert len(memory.list_memories(conn, limit=2)) == 2
    memory.forget(conn, a.id[:8])
    assert all(m.id != a.id for m in memory.recall(conn, "Postgres 16", limit=10))
    assert conn.execute("SELECT count(*) FROM memories_vec").fetchone()[0] == 2
    with pytest.raises(NotFound):
        memory.forget(conn, a.id)


def test_bad_input_is_one_clear_error(conn, cli):
    with pytest.raises(BadInput):
        memory.remember(conn, "   ")
    with pytest.raises(BadInput):
        memory.recall(conn, "")
    r = cli("memory", "forget", "no-such-id")
    assert r.code == 1 and r.err.startswith("error: no memory with id")
    assert cli("remember", "x", "--tag", "has space").code == 1


def test_forget_undoes_a_session_a_tag_or_everything_since_a_time(conn, cli):
    old = memory.remember(conn, "Orders ship from the Leeds warehouse on weekdays", project="shop")
    conn.execute("UPDATE memories SET created_at = created_at - 30 * 86400 WHERE id = ?", (old.id,))
    one = memory.remember(conn, "The cart rounds totals half-even", project="shop", session_id="sess-1")
    two = memory.remember(conn, "Coupons are applied before tax", project="shop", session_id="sess-1")
    tagged = memory.remember(conn, "Refunds go back to the original card", project="shop", tags=["payments"])

    assert cli("memory", "forget").code == 1  # nothing named: nothing forgotten
    r = cli("memory", "forget", "--session", "sess-1", "--json")
    assert r.code == 0, r.err
    assert r.json() == {"forgotten": True, "count": 2, "ids": sorted([one.id, two.id], key=[one.id, two.id].index),
                        "dry_run": False}
    assert cli("memory", "forget", "--tag", "payments").out.strip() == "Forgot 1 memory"
    assert {m.id for m in memory.list_memories(conn)} == {old.id}
    assert cli("memory", "forget", "--since", "7d", "--json").json()["count"] == 0  # the old one stays
    assert cli("memory", "forget", "--since", "60d", "--dry-run").out.strip() == "Would forget 1 memory"
    assert memory.recall(conn, "Leeds warehouse")[0].id == old.id
    assert tagged.id not in {m.id for m in memory.recall(conn, "refunds original card")}
