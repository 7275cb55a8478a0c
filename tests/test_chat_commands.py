"""The ``/llm`` words every platform shares, and answers kept within each platform's limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llm_session_manager.services.chat import discord, discord_embeds, slack_blocks, teams, teams_cards
from llm_session_manager.services.chat.answers import Answer, Fact, Item
from llm_session_manager.services.chat.commands import Command, parse
from llm_session_manager.services.chat.question import Question

CHAT = Path(__file__).parent / "fixtures" / "chat"


@pytest.mark.parametrize(("text", "command"), [
    ("sessions", Command("sessions")),
    ("  Sessions   shop ", Command("sessions", "shop")),
    ("usage", Command("usage", "today")),
    ("usage WEEK", Command("usage", "week")),
    ("recall how do we  deploy", Command("recall", "how do we deploy")),
    ("health 9e8d", Command("health", "9e8d")),
    ("limits", Command("limits")),
    ("", Command("help")),
    ("usage month", Command("help", problem="usage takes today or week, not 'month'")),
    ("health", Command("help", problem="health needs a session id")),
    ("deploy prod", Command("help", problem="there is no command 'deploy'")),
])
def test_the_words_after_llm_are_one_command(text: str, command: Command) -> None:
    assert parse(text) == command


def test_a_teams_message_loses_the_bots_mention_and_its_html() -> None:
    asked = teams.message((CHAT / "teams_activity.json").read_bytes())
    assert asked is not None
    assert asked.command == Command("health", "9e8d7c6b")
    assert asked.user == "f2e8f1d3-6b2a-4f6e-9a0c-3b1d2e4f5a6b"
    assert asked.also_known_as.startswith("29:")
    assert asked.workspace == "72f988bf-86f1-41af-91ab-2d7cd011db47"


def test_a_discord_subcommand_and_its_options_read_as_the_same_words() -> None:
    asked = discord.interaction((CHAT / "discord_interaction.json").read_bytes())
    assert isinstance(asked, Question)
    assert asked.command == Command("usage", "today")
    assert asked.user == "1101234567890000005"


def test_a_long_answer_stays_within_every_platforms_limits() -> None:
    big = Answer("t" * 400, "x" * 5000, facts=tuple(Fact(f"f{i}", "v") for i in range(30)),
                 items=tuple(Item(f"item {i}", "y" * 3000, (Fact("a", "b"),), ask=f"health {i}") for i in range(60)))
    blocks = slack_blocks.message(big)["blocks"]
    assert len(blocks) <= 50 and blocks[-1]["type"] == "context"
    assert all(len(b.get("fields", [])) <= 10 for b in blocks)
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section" and "text" in b)
    assert len(blocks[0]["text"]["text"]) <= 150
    embed = discord_embeds.embed(big)
    assert len(embed["fields"]) <= 25 and len(embed["title"]) <= 256 and len(embed["description"]) <= 4096
    assert all(len(f["value"]) <= 1024 for f in embed["fields"])
    card = teams_cards.card(big)
    assert json.loads(json.dumps(card))["type"] == "AdaptiveCard"


def test_mrkdwn_in_a_session_title_is_escaped_for_slack() -> None:
    shown = slack_blocks.message(Answer("x", items=(Item("<!channel> & <http://evil|click>"),)))
    assert "*&lt;!channel&gt; &amp; &lt;http://evil|click&gt;*" in json.dumps(shown["blocks"][2])
