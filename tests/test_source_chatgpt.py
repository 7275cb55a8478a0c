"""The ChatGPT data export, told through tests/fixtures/chatgpt/conversations.json.

Token counts are estimates; each expectation is counted here with o200k_base
over the fixture's own texts, by the rule the source documents: an answer's
input is every earlier message on the branch, its output its own text.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import FIXTURES

from llm_session_manager.core.encoding import count_o200k
from llm_session_manager.core.models import Batch
from llm_session_manager.sources.chatgpt import SOURCE

EXPORT = FIXTURES / "chatgpt" / "conversations.json"
RETRY = "chatgpt:684e65c7-c770-8007-9684-3f62b6f51677"
RECEIPT = "chatgpt:68a1f0d2-3e4b-8005-b6c7-9a0e1f2d3c4b"
CONVERSATIONS = json.loads(EXPORT.read_text())


def parse(data: bytes = EXPORT.read_bytes()) -> Batch:
    return SOURCE.parse(EXPORT, data, None)


def tokens(conversation: int, node_id: str) -> int:
    """o200k tokens of one message's words (string parts, code or output text)."""
    content = CONVERSATIONS[conversation]["mapping"][node_id]["message"]["content"]
    words = [p for p in content.get("parts", []) if isinstance(p, str)] + [content.get("text") or ""]
    return count_o200k("\n".join(w for w in words if w).strip())


def test_chatgpt_exports_are_found_by_content_only_where_configured(tmp_path):
    assert SOURCE.default_roots({}, tmp_path) == []
    (tmp_path / "2025-08").mkdir()
    (tmp_path / "2025-08" / "conversations.json").write_bytes(EXPORT.read_bytes())
    (tmp_path / "chatgpt-backup.json").write_bytes(EXPORT.read_bytes())
    (tmp_path / "package.json").write_text('{"name": "not-an-export"}')
    (tmp_path / "message_feedback.json").write_text('[{"conversation_id": "x", "rating": "thumbsUp"}]')
    assert list(SOURCE.discover(tmp_path)) == [str(tmp_path / "2025-08" / "conversations.json"),
                                              str(tmp_path / "chatgpt-backup.json")]


def test_only_the_branch_the_user_kept_is_read():
    batch = parse()
    keys = {m.key for m in batch.messages} | {u.dedup_key for u in batch.usage}
    # the first wording of the prompt and the answer to it were replaced by an edit
    assert "chatgpt:f59941d8-1db8-4cae-be01-40412020507e" not in keys
    assert "chatgpt:82a8322a-b065-4966-82df-5e952b7a1b35" not in keys
    assert [(m.role, m.kind) for m in batch.messages if m.session_id == RETRY] == [
        ("user", "prompt"), ("assistant", "text"), ("user", "prompt"), ("assistant", "text"),
    ]


def test_each_answer_is_estimated_from_what_came_before_it_on_the_branch():
    usage = [u for u in parse().usage if u.session_id == RETRY]
    prompt = tokens(0, "f30fe1f2-813a-48f2-99a4-740951ddbb5f")
    answer = tokens(0, "0edd1113-4af5-4b51-963e-bd768da49f6f")
    follow_up = tokens(0, "c3a1e5f0-2b7d-4e8a-9f61-0d4c8b2a7e13")
    last = tokens(0, "5d2f8b14-6c9e-4a37-b0e2-71f3a9c4d856")
    # the empty placeholder ChatGPT writes before each answer is no response
    assert [(u.input_tokens, u.output_tokens, u.context_tokens) for u in usage] == [
        (prompt, answer, prompt),
        (prompt + answer + follow_up, last, prompt + answer + follow_up),
    ]
    assert {(u.model, u.cost_usd, u.cache_read_tokens, u.cache_creation_tokens) for u in usage} == {
        ("gpt-4o", 0.0, 0, 0)
    }
    assert SOURCE.exact is False


def test_a_code_run_is_a_response_and_its_output_is_shown_to_the_next_one():
    batch = parse()
    usage = [u for u in batch.usage if u.session_id == RECEIPT]
    custom = CONVERSATIONS[1]["mapping"]["8e4b2d6a-0c13-4f5e-97a8-b1d3c5e7f902"]["message"]["content"]
    instructions = count_o200k(custom["user_profile"] + "\n" + custom["user_instructions"])
    prompt = tokens(1, "2c9d4e7b-5a16-4b8f-8e30-d7f1a2c6b485")  # its image adds no words
    code = tokens(1, "9a3b7c1d-4e58-4f62-b7a9-e0c2d4f6a813")
    output = tokens(1, "4b8c2e6f-1a37-4d95-a0b8-f3e5c7d9b124")
    answer = tokens(1, "7e1f5a9c-8d24-4b36-9c0f-a2e4b6d8f357")
    assert [(u.input_tokens, u.output_tokens) for u in usage] == [
        (instructions + prompt, code),
        (instructions + prompt + code + output, answer),
    ]
    # kept as conversation: the visible prompt and answer, not the code, its output
    # or the custom instructions
    assert [(m.role, m.text) for m in batch.messages if m.session_id == RECEIPT] == [
        ("user", "Here is this week's receipt roll. What is the total of the amounts?"),
        ("assistant", "The four amounts add up to **$1,234.50**."),
    ]


def test_the_session_says_what_the_conversation_was_and_when():
    sessions = parse().sessions
    retry = sessions[RETRY]
    assert (retry.provider, retry.title, retry.model, retry.cwd) == (
        "chatgpt", "Retry with exponential backoff", "gpt-4o", None,
    )
    assert (retry.started_at, retry.last_activity) == (1749968327.886819, 1749968437.551203)
    assert sessions[RECEIPT].model == "gpt-5"


def test_a_damaged_conversation_is_skipped_and_counted_and_the_rest_read():
    batch = parse()
    assert batch.malformed == 1  # its mapping is not a message tree
    assert set(batch.sessions) == {RETRY, RECEIPT}


def test_an_export_caught_mid_write_is_one_malformed_document_and_no_rows():
    data = EXPORT.read_bytes()
    batch = parse(data[: len(data) // 2])
    assert (batch.malformed, batch.usage, batch.sessions) == (1, [], {})


def test_re_reading_the_export_yields_the_same_keys():
    first, second = parse(), parse()
    assert [u.dedup_key for u in first.usage] == [u.dedup_key for u in second.usage]
    assert len({m.key for m in first.messages}) == len(first.messages)


def test_a_voice_conversation_counts_its_transcripts(tmp_path: Path):
    node = {
        "id": "m1", "parent": None, "children": [],
        "message": {
            "id": "m1", "author": {"role": "user"}, "create_time": 1760000000.0,
            "content": {"content_type": "multimodal_text", "parts": [
                {"content_type": "audio_transcription", "text": "what time is it in Tokyo", "direction": "in"},
                {"content_type": "audio_asset_pointer", "asset_pointer": "sediment://file_00000000",
                 "size_bytes": 9000},
            ]},
            "metadata": {}, "recipient": "all",
        },
    }
    answer = {
        "id": "m2", "parent": "m1", "children": [],
        "message": {
            "id": "m2", "author": {"role": "assistant"}, "create_time": 1760000002.0,
            "content": {"content_type": "multimodal_text", "parts": [
                {"content_type": "audio_transcription", "text": "It is nine in the evening in Tokyo.",
                 "direction": "out"},
            ]},
            "metadata": {"model_slug": "gpt-4o"}, "recipient": "all",
        },
    }
    export = [{"id": "v1", "title": "Voice", "create_time": 1760000000.0, "update_time": 1760000003.0,
               "mapping": {"m1": node, "m2": answer}, "current_node": "m2"}]
    (usage,) = parse(json.dumps(export).encode()).usage
    assert (usage.input_tokens, usage.output_tokens) == (
        count_o200k("what time is it in Tokyo"), count_o200k("It is nine in the evening in Tokyo."),
    )
