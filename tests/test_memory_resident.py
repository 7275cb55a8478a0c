"""A long-lived process keeps the memory codes in memory; memories another
process adds or forgets are seen by its next recall, and its neighbours are
exactly those sqlite-vec's own scan finds."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from llm_session_manager.services import memory
from llm_session_manager.services.memory import resident_codes, vectors
from llm_session_manager.store import connect

recall_module = importlib.import_module("llm_session_manager.services.memory.recall")

TEXTS = [
    "The billing service retries failed webhooks three times with exponential backoff",
    "Postgres 16 runs the orders database; migrations live in db/migrations",
    "The frontend caches API responses for five minutes with SWR",
    "Deploys go through ArgoCD; never edit resources in the cloud console",
    "Session tokens expire after fifteen minutes and refresh silently",
    "Use Decimal for money, never floats; amounts are stored in cents",
]


@pytest.fixture
def conn(sandbox_home):
    return connect()


def _nearest(conn, text: str, k: int = 3) -> list[str]:
    embedder = recall_module.resolve_embedder(None)
    [vector] = vectors.embed(embedder, [text])
    rids = [rid for rid, _ in vectors.search(conn, vector, project=None, candidates=k, held=True)]
    ids = dict(conn.execute("SELECT rid, id FROM memories"))
    return [ids[rid] for rid in rids]


def test_memories_another_process_remembers_or_forgets_are_seen_at_once(conn, cli):
    for text in TEXTS:
        memory.remember(conn, text, project="shop")
    assert _nearest(conn, TEXTS[0])[0] == memory.list_memories(conn, limit=100)[-1].id  # the index is built

    r = cli("remember", "The cart total applies coupons before tax, never after", "--project", "shop", "--json")
    assert r.code == 0, r.err
    added = r.json()["id"]
    assert _nearest(conn, "The cart total applies coupons before tax, never after")[0] == added

    assert cli("memory", "forget", added).code == 0
    assert added not in _nearest(conn, "The cart total applies coupons before tax, never after", k=10)


def test_the_held_codes_find_the_same_neighbours_as_sqlite_vec(conn):
    rng = np.random.default_rng(7)
    for i in range(300):
        words = " ".join(rng.choice(TEXTS[i % len(TEXTS)].split(), size=8))
        memory.remember(conn, f"{words} #{i}", project=f"p{i % 3}")
    [query] = vectors.embed(recall_module.resolve_embedder(None), ["webhooks retry with backoff in billing"])
    code = vectors.codes(query[None, :])[0].tobytes()
    for partition in (None, "p1"):
        ours = resident_codes.nearest(conn, code, partition, 20)
        sql = "SELECT rowid, distance FROM memories_vec WHERE bits MATCH vec_bit(?) AND k = 300"
        params: tuple = (code,)
        if partition:
            sql += " AND project = ?"
            params += (partition,)
        theirs = conn.execute(sql, params).fetchall()
        cutoff = theirs[19][1]  # ties at the 20th distance may be broken either way
        assert {rid for rid, d in theirs if d < cutoff} <= set(ours)
        assert all(dict(theirs)[rid] <= cutoff for rid in ours)


def test_a_store_replaced_under_the_same_path_is_not_answered_from_the_old_codes(sandbox_home):
    from llm_session_manager.store.connection import db_path

    first = connect()
    old = [memory.remember(first, text, project="shop").id for text in TEXTS[:3]]
    assert _nearest(first, TEXTS[0])[0] == old[0]
    first.close()
    for suffix in ("", "-wal", "-shm"):  # moved aside, as the corrupt-store message tells users to
        path = db_path().with_name(db_path().name + suffix)
        if path.exists():
            path.rename(path.with_name(path.name + ".old"))

    second = connect()  # a new store: its counters start where the old one's were
    new = [memory.remember(second, text, project="shop").id for text in TEXTS[3:6]]
    assert [_nearest(second, text, k=1)[0] for text in TEXTS[3:6]] == new  # from the codes alone


def test_the_vectors_rescored_are_the_ones_vec0_returns(conn):
    for text in TEXTS:
        memory.remember(conn, text, project="shop")
    rids = [r[0] for r in conn.execute("SELECT rid FROM memories")]
    theirs = {rid: row[0] for rid in rids
              if (row := conn.execute("SELECT vector FROM memories_vec WHERE rowid = ?", (rid,)).fetchone())}
    assert len(theirs) == len(TEXTS)
    assert dict(vectors.stored(conn, rids)) == theirs


def test_a_process_that_recalled_an_empty_store_finds_its_first_memories(conn):
    for _ in range(2):  # the second recall holds what the store has: nothing
        assert memory.recall(conn, "package manager") == []
    memory.remember(conn, TEXTS[0])
    memory.remember(conn, "Use pnpm, never npm, in the web app")
    assert memory.recall(conn, "which package manager")[0].text == "Use pnpm, never npm, in the web app"


def test_a_bulk_forget_by_another_process_is_seen_by_a_process_that_holds_the_indexes(conn, cli):
    """`memory forget --tag` in another process: the long-lived one recalls none of them after."""
    for text in TEXTS[:3]:
        memory.remember(conn, text, project="shop", tags=["planted"])
    for text in TEXTS[3:]:
        memory.remember(conn, text, project="shop", tags=["kept"])
    query = "billing webhooks orders database frontend caches"
    for _ in range(2):  # from the second recall on, this process holds the indexes
        found = memory.recall(conn, query, limit=10)
    assert {m.text for m in found} >= set(TEXTS[:3])

    preview = cli("memory", "forget", "--tag", "planted", "--dry-run", "--json")
    assert preview.code == 0, preview.err
    assert preview.json()["count"] == 3 and not preview.json()["forgotten"]
    assert len(memory.recall(conn, query, limit=10)) == 6  # a dry run deletes nothing

    done = cli("memory", "forget", "--tag", "planted")
    assert done.code == 0 and done.out.strip() == "Forgot 3 memories"
    after = memory.recall(conn, query, limit=10)
    assert {m.text for m in after} == set(TEXTS[3:])
    assert _nearest(conn, TEXTS[0], k=10) and not set(_nearest(conn, TEXTS[0], k=10)) & {
        m.id for m in found if m.text in TEXTS[:3]}
