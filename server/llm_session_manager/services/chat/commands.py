"""``/llm ...``: the one command set every platform shares, parsed from the words after ``/llm``.

Slack hands over the text typed after the slash command, Discord its
subcommand and options (joined back into the same words by ``discord``),
Teams the message with the bot's mention taken out (``teams``). A command
that cannot be used becomes ``help`` with the reason, so the asker gets the
usage instead of silence.
"""

from __future__ import annotations

from typing import Literal, get_args

import msgspec

Name = Literal["sessions", "usage", "recall", "health", "limits", "link", "help"]
NAMES: tuple[str, ...] = get_args(Name)
PERIODS = ("today", "week")

USAGE = (
    "/llm sessions [PROJECT] — recent sessions, of one project if named\n"
    "/llm usage [today|week] — tokens and cost\n"
    "/llm recall QUERY — memories that match\n"
    "/llm health ID — one session's health\n"
    "/llm limits — the assistants' 5-hour and weekly windows\n"
    "/llm link CODE — link this chat account to your team account"
)


class Command(msgspec.Struct, frozen=True):
    name: Name
    arg: str = ""  # the project, period, query, session id or link code
    problem: str = ""  # for ``help``: why the words asked were not a command


def parse(text: str) -> Command:
    """The command in ``text`` (``"usage week"``); ``help`` with a problem when there is none."""
    word, _, rest = " ".join(text.split()).partition(" ")
    word = word.lower()
    if not word or word == "help":
        return Command("help")
    if word not in NAMES:
        return Command("help", problem=f"there is no command {word!r}")
    if word == "usage":
        period = rest.lower() or "today"
        if period not in PERIODS:
            return Command("help", problem=f"usage takes today or week, not {rest!r}")
        return Command("usage", period)
    if word in ("recall", "health", "link") and not rest:
        what = {"recall": "a query", "health": "a session id", "link": "the code"}[word]
        return Command("help", problem=f"{word} needs {what}")
    if word == "limits" and rest:
        return Command("help", problem="limits takes nothing after it")
    return Command(word, rest)  # type: ignore[arg-type]  # word is one of NAMES, checked above
