"""Memory over MCP: remember, recall, memorize."""

from __future__ import annotations

import pytest
from mcp_helpers import CLAUDE_B, anyio_backend, cli_json, error_text, logs, mcp_client, structured  # noqa: F401

from llm_session_manager.core.encoding import count_o200k

pytestmark = pytest.mark.anyio



@pytest.fixture
async def mcp(logs, tmp_path):
    async with mcp_client(tmp_path / "server.log") as session:
        yield session


async def test_what_one_session_remembers_the_next_recalls(mcp, tmp_path):
    text = "The shop's coupon discount is applied once, in cart/total.ts, never in coupon.ts."
    stored = structured(await mcp.call_tool("remember", {"text": text, "project": "shop", "tags": ["cart"]}))
    assert stored["id"]
    async with mcp_client(tmp_path / "second.log") as later:
        found = structured(await later.call_tool("recall", {"query": "where is the coupon discount applied?",
                                                            "project": "shop"}))
    assert found["memories"][0]["id"] == stored["id"]
    assert found["memories"][0]["text"] == text and found["memories"][0]["tags"] == ["cart"]
    read = await mcp.read_resource(f"memory://{stored['id']}")
    assert text in read.contents[0].text


async def test_memorize_session_stores_memories_from_a_session(mcp):
    got = structured(await mcp.call_tool("memorize_session", {"session_id": CLAUDE_B[:8], "limit": 1}))
    assert got["count"] >= 2 and len(got["memories"]) == 1 and got["truncated"]
    assert all(m["session_id"] in (CLAUDE_B, None) for m in got["memories"])
    assert got["memories"][0]["source"] == "memorize"


async def test_remember_redacts_secrets(mcp):
    structured(await mcp.call_tool("remember", {"text": "deploy key is sk-ant-api03-" + "a" * 90, "project": "ops"}))
    found = structured(await mcp.call_tool("recall", {"query": "deploy key", "project": "ops"}))
    assert all("a" * 40 not in m["text"] for m in found["memories"])


async def test_a_memory_a_model_wrote_says_which_client_wrote_it(logs, tmp_path, cli):
    """A fact planted over MCP is labelled with the client and tool, not passed off as the user's."""
    async with mcp_client(tmp_path / "model.log", client=("claude-code", "2.1.3")) as model:
        planted = structured(await model.call_tool("remember", {
            "text": "Coupons in the shop project stack without limit.", "project": "shop"}))
    assert cli("remember", "Coupons never stack: one per order.", "--project", "shop").code == 0
    async with mcp_client(tmp_path / "reader.log") as reader:
        found = structured(await reader.call_tool("recall", {"query": "do coupons stack", "project": "shop"}))
        prompt = await reader.get_prompt("project_memories", {"project": "shop"})
    by_text = {m["text"]: m for m in found["memories"]}
    model_made = by_text["Coupons in the shop project stack without limit."]
    assert model_made["id"] == planted["id"]
    assert (model_made["source"], model_made["writer"]) == ("mcp", "claude-code 2.1.3 via remember")
    person_made = by_text["Coupons never stack: one per order."]
    assert (person_made["source"], person_made["writer"]) == ("user", None)
    text = prompt.messages[0].content.text
    assert "Coupons in the shop project stack without limit. (written by a model: claude-code 2.1.3 via remember)" in text
    assert "Coupons never stack: one per order. (written by the user)" in text
    recalled = cli_json("recall", "do coupons stack", "--project", "shop")
    assert {m["writer"] for m in recalled} == {"claude-code 2.1.3 via remember", None}


async def test_a_long_memory_is_cut_in_recall_unless_asked_for_whole(mcp):
    note = "Release checklist for the shop: " + " ".join(f"step {n} is to verify the coupon service." for n in range(400))
    stored = structured(await mcp.call_tool("remember", {"text": note, "project": "shop"}))
    for n in range(4):
        structured(await mcp.call_tool("remember", {"text": f"Release note {n}: " + note, "project": "shop"}))
    answer = await mcp.call_tool("recall", {"query": "release checklist coupon service", "project": "shop"})
    found = structured(answer)["memories"]
    assert len(found) == 5 and all(m["text_cut"] and m["text"].endswith("…") for m in found)
    assert count_o200k(answer.content[0].text) < 2_000
    whole = structured(await mcp.call_tool("recall", {"query": "release checklist coupon service", "project": "shop",
                                                      "detail": True}))["memories"]
    assert next(m for m in whole if m["id"] == stored["id"])["text"] == note[:8_000].strip()  # as stored
    assert not any(m.get("text_cut") for m in whole)


async def test_a_recall_answer_says_what_it_costs_in_tokens(mcp):
    note = "Release checklist for the shop: " + " ".join(f"step {n} is to verify the coupon service." for n in range(400))
    structured(await mcp.call_tool("remember", {"text": note, "project": "shop"}))
    structured(await mcp.call_tool("remember", {"text": "Coupons never stack: one per order.", "project": "shop"}))
    for detail in (False, True):
        answer = structured(await mcp.call_tool("recall", {"query": "coupon", "project": "shop", "detail": detail}))
        assert answer["tokens"] == sum(m["tokens"] for m in answer["memories"]) > 0
        estimate = {m["text"][:20]: m["tokens"] for m in answer["memories"]}
        # within a fifth of o200k for each text as sent (cut, or whole with ``detail``)
        for m in answer["memories"]:
            assert abs(m["tokens"] - count_o200k(m["text"])) <= 0.2 * count_o200k(m["text"]) + 2, estimate

