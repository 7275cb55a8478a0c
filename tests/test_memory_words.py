"""A process that recalls often holds the memories' words and ranks them itself:
the same memories in the same order as FTS5's ``ORDER BY rank``, and current
with whatever any process writes."""

from __future__ import annotations

import importlib
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from llm_session_manager.services import memory
from llm_session_manager.services.memory import resident, resident_words
from llm_session_manager.store import connect

recall_module = importlib.import_module("llm_session_manager.services.memory.recall")

SUBJECTS = ["The payment service", "The auth middleware", "Our café's naïve cache", "The ingest worker",
            "The migration runner", "The CSV exporter", "MAX_RETRIES in config.yaml", "The retry queue"]
VERBS = ["times out when", "retries when", "was migrated because", "migrates rows if", "logs a warning when",
         "double counts when", "is configured by max_retries since", "breaks if"]
CAUSES = ["the upstream API returns a 502", "the retries hit max retries", "Redis is failing over",
          "the disk is nearly full", "two requests arrive at once", "the cafe closes the connection",
          "migrations run concurrently", "the token expires mid request",
          "its retries pass the max pool size"]
QUERIES = [
    "payment times out", "max_retries", "max retries", "MAX_RETRIES config", "migrations", "migrate migrating",
    "café cache", "cafe naive", "retry retries retried", "Redis failover failing", "the of and", "502",
    "disk full warning", "unknownword", "token expires request payment cache worker", "config.yaml",
]
FILTERS = [{}, {"project": "api"}, {"tags": ("fact",)}, {"since": 1_750_000_150.0},
           {"project": "web", "tags": ("decision",), "since": 1_750_000_100.0}]


@pytest.fixture
def conn(sandbox_home, tmp_path):
    conn = connect()
    rng = random.Random(4)
    lines = [json.dumps({"text": f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(CAUSES)}"
                                 + " again" * rng.randrange(3) + f" (case {i})",
                         "project": rng.choice(["api", "web", None]), "tags": rng.sample(["fact", "decision"], 1),
                         "created_at": 1_750_000_000 + i}) for i in range(300)]
    lines += [json.dumps({"text": "!!! ---"}), json.dumps({"text": "Max retries."})]
    src = tmp_path / "memories.jsonl"
    src.write_text("\n".join(lines) + "\n")
    assert memory.import_jsonl(conn, src).imported == 302
    return conn


def by_fts5(conn, query: str, depth: int = 50, project=None, tags=(), since=None) -> list[int]:
    """FTS5's own ranking of the query recall makes, equal ranks in rid order."""
    expression = recall_module.match_expression(query)
    clauses, params = "", [expression]
    if project is not None:
        clauses += " AND m.project = ?"
        params.append(project)
    for tag in tags:
        clauses += " AND EXISTS (SELECT 1 FROM json_each(m.tags) WHERE value = ?)"
        params.append(tag)
    if since is not None:
        clauses += " AND m.created_at >= ?"
        params.append(since)
    rows = conn.execute("SELECT f.rowid, f.rank FROM memories_fts f JOIN memories m ON m.rid = f.rowid "
                        f"WHERE memories_fts MATCH ?{clauses}", params).fetchall()
    return [rid for rid, _ in sorted(rows, key=lambda r: (r[1], r[0]))][:depth]


def held(conn, query: str, depth: int = 50, **filters) -> list[int]:
    return resident_words.ranked(conn, recall_module.query_words(query), depth=depth, **filters)


@pytest.mark.parametrize("filters", FILTERS)
def test_the_held_words_rank_as_fts5_does(conn, filters):
    for query in QUERIES:
        for depth in (5, 50):
            assert held(conn, query, depth, **filters) == by_fts5(conn, query, depth, **filters), (query, depth)


def test_a_phrase_of_several_tokens_matches_only_where_they_stand_together(conn):
    adjacent = {rid for rid, text in conn.execute("SELECT rid, lower(text) FROM memories")
                if "max_retries" in text or "max retries" in text}
    assert set(held(conn, "max_retries", depth=1000)) == adjacent


def test_memories_another_process_writes_are_ranked_at_once(conn, cli):
    assert held(conn, "zanzibar") == []
    r = cli("remember", "The zanzibar flag turns the retry queue off", "--json")
    assert r.code == 0, r.err
    [_found] = held(conn, "zanzibar")
    assert held(conn, "retry queue") == by_fts5(conn, "retry queue")

    assert cli("memory", "forget", r.json()["id"]).code == 0
    assert held(conn, "zanzibar") == []
    assert held(conn, "retry queue") == by_fts5(conn, "retry queue")


def test_memories_without_words_still_count_in_the_ranking(sandbox_home):
    """BM25 weighs a memory's length against the average length of all memories,
    those without a single word included: adding some reverses this order."""
    conn = connect()
    for text in ["alpha alpha beta gamma delta epsilon", "alpha", " ".join(f"filler{i}" for i in range(40))]:
        memory.remember(conn, text)
    before = by_fts5(conn, "alpha")
    assert held(conn, "alpha") == before
    other = connect()
    for text in ["!!!", "---", "...", "???", "***"]:
        memory.remember(other, text)
    assert by_fts5(conn, "alpha") == before[::-1]
    assert held(conn, "alpha") == before[::-1]


def test_a_text_edited_in_place_is_ranked_by_its_new_words(conn):
    assert held(conn, "payment") == by_fts5(conn, "payment")
    rid = held(conn, "payment")[0]
    other = connect()  # say, someone fixing a typo with the sqlite3 shell
    other.execute("UPDATE memories SET text = 'The billing service rounds amounts to cents' WHERE rid = ?", (rid,))
    assert rid not in held(conn, "payment", depth=1000)
    assert held(conn, "billing cents") == by_fts5(conn, "billing cents") == [rid]


def test_a_store_replaced_under_the_same_path_is_not_ranked_from_the_old_words(sandbox_home):
    from llm_session_manager.store.connection import db_path

    first = connect()
    memory.remember(first, "The payment service retries webhooks")
    assert len(held(first, "payment")) == 1
    first.close()
    for suffix in ("", "-wal", "-shm"):
        path = db_path().with_name(db_path().name + suffix)
        if path.exists():
            path.rename(path.with_name(path.name + ".old"))
    second = connect()  # a new store whose counters stand where the old one's did
    memory.remember(second, "Deploys go through ArgoCD")
    assert held(second, "payment") == []
    assert len(held(second, "argocd")) == 1


def test_a_process_holds_a_store_from_its_second_recall_on(conn):
    assert resident.worth_holding(conn) is False  # one recall, as a CLI command makes: SQLite answers
    assert resident.worth_holding(connect()) is True  # counted per store, whichever connection asks
    in_memory = connect(Path(":memory:"))  # nobody else's, and nothing to key it by
    assert [resident.worth_holding(in_memory) for _ in range(3)] == [False, False, False]


def test_a_cli_recall_from_sqlite_finds_what_a_long_lived_process_finds_from_memory(sandbox_home, tmp_path, cli):
    conn = connect()
    rng = random.Random(9)
    src = tmp_path / "few.jsonl"  # fewer memories than vector candidates: no ties at a cut-off
    src.write_text("".join(json.dumps({
        "text": f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(CAUSES)} (case {i})",
        "project": rng.choice(["api", "web"]), "tags": [rng.choice(["fact", "decision"])]}) + "\n"
        for i in range(60)))
    memory.import_jsonl(conn, src)
    for _ in range(2):
        memory.recall(conn, "warm up")
    for args in ([], ["--project", "api"], ["--tag", "fact"], ["--project", "web", "--tag", "decision"]):
        for query in ("payment times out", "max_retries config", "migrations while Redis is failing over"):
            r = cli("recall", query, "--limit", "10", "--json", *args)
            assert r.code == 0, r.err
            filters = dict(zip(args[::2], args[1::2]))
            ours = memory.recall(conn, query, limit=10, project=filters.get("--project"),
                                 tags=[filters["--tag"]] if "--tag" in filters else [])
            assert [(m.id, m.score) for m in ours] == [(m["id"], m["score"]) for m in r.json()], (query, args)


@pytest.mark.slow
def test_ranking_while_another_process_imports_loses_and_repeats_nothing(conn, tmp_path):
    src = tmp_path / "more.jsonl"
    src.write_text("".join(json.dumps({"text": f"The ledger sync job {word} batch number {i}"}) + "\n"
                           for i, word in enumerate(["stalls on", "retries", "skips"] * 1000)))
    writer = subprocess.Popen([sys.executable, "-m", "llm_session_manager", "memory", "import", str(src)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    while writer.poll() is None:  # each import batch, seen as it commits, is added to what is held
        held(conn, "ledger", depth=10_000)
    assert writer.returncode == 0, writer.stderr.read()
    assert held(conn, "ledger", depth=10_000) == by_fts5(conn, "ledger", depth=10_000)
    assert len(held(conn, "ledger", depth=10_000)) == 3000
    assert held(conn, "ledger sync stalls", depth=100) == by_fts5(conn, "ledger sync stalls", depth=100)
