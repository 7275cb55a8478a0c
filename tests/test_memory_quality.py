"""Recall quality on a small seeded slice of the conversational evaluation (bench/recall_data.py).

The full evaluation is bench/recall_eval.py (docs/memory.md, "Recall quality"); this
slice -- six conversations with distractor turns, 120 questions -- fails when a ranking
change makes recall clearly worse at finding the one earlier turn that answers a question.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
# recall@5 of the slice: 0.783 when the reranker came in (words alone 0.683, RRF fusion 0.717), 0.850 since model v2
FLOOR = 0.80
LEAD = 0.10  # over the word half alone (FTS5 BM25, porter, stopwords dropped): issue 13's target


def _generator():
    spec = importlib.util.spec_from_file_location("recall_data", BENCH / "recall_data.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("recall_data", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def slice_store(tmp_path_factory):
    from llm_session_manager.services import memory
    from llm_session_manager.store import connect

    conversations = _generator().dataset(seed=11, conversations=6, distractors=True)
    src = tmp_path_factory.mktemp("quality") / "turns.jsonl"
    src.write_text("".join(json.dumps({"id": t.id, "text": t.text, "project": c.id, "tags": [t.role],
                                       "created_at": t.created_at}) + "\n"
                           for c in conversations for t in c.turns))
    conn = connect(src.parent / "sessions.db")
    memory.import_jsonl(conn, src)
    yield conn, conversations
    conn.close()


def test_recall_finds_the_answering_turn_among_distractors_better_than_words_alone(slice_store):
    from llm_session_manager.services import memory

    words = importlib.import_module("llm_session_manager.services.memory.recall")
    conn, conversations = slice_store
    ids = dict(conn.execute("SELECT rid, id FROM memories"))
    now = max(t.created_at for c in conversations for t in c.turns) + 3600
    found = by_words = total = 0
    for conv in conversations:
        for q in conv.questions:
            total += 1
            found += q.answer in [m.id for m in memory.recall(conn, q.q, limit=5, project=conv.id, now=now)]
            by_words += q.answer in [ids[r] for r in words._by_words(conn, q.q, conv.id, (), None, held=False)[:5]]
    assert total == 120
    assert found / total >= FLOOR, f"recall@5 {found / total:.3f} fell under {FLOOR}"
    assert found / total >= by_words / total + LEAD, f"recall@5 {found / total:.3f}, words alone {by_words / total:.3f}"


def test_every_recalled_memory_says_what_it_costs_in_tokens(slice_store):
    from llm_session_manager.services import memory
    from llm_session_manager.services.memory.records import tokens

    conn, conversations = slice_store
    got = memory.recall(conn, "database connection pool timeout", limit=3, project=conversations[0].id)
    assert got and all(m.tokens == tokens(m.text) > 0 for m in got)
