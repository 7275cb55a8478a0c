"""What is worth remembering from a session: small, offline heuristics.

From a session's stored messages and file references, ``candidates`` picks:

* **requirements** the user stated in prompts ("must", "should", "don't",
  "always", "never", "use X", "instead of", "at most"...);
* **decisions and facts** the assistant stated ("I'll use", "decided", "the bug
  was", "root cause", "X is configured in Y", "Switched ... to", "Fixed: ...",
  a declarative sentence naming a file path, anything that is "now" so);
* **summaries**: the session's title summaries and compaction summaries;
* **files that mattered**: the most edited, written and read files, as one memory.

Each becomes sentence-sized memories tied to its message; trivial sentences
(a few words, plans like "Let me look", narration like "Now let me check…",
lead-ins ending in ':') are skipped, and duplicates are left to the store.

What the assistant's harness put in the conversation is not what anyone said:
``<system-reminder>`` blocks (Claude Code injects CLAUDE.md and tool notices
in them), slash-command echoes (``<command-name>``, ``<local-command-stdout>``),
the "Caveat:" meta line, and the compaction prompt that opens a continued
session ("This session is being continued from a previous conversation...").
They are cut before anything is looked at, so project rules are not stored
again for every session that was shown them.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

MIN_WORDS = 4
MIN_CHARS = 20
MAX_CHARS = 500
TOP_FILES = 5


class Message(NamedTuple):
    key: str
    role: str
    kind: str  # prompt | text | summary | compact | api_error | tool_error
    text: str


class FileRef(NamedTuple):
    path: str
    action: str  # read | edit | write | search | list


class Candidate(NamedTuple):
    text: str
    message_key: str | None
    tag: str  # requirement | decision | fact | summary | files


_REQUIREMENT = re.compile(
    r"\b(must|mustn't|should|shouldn't|don't|do not|never|always|avoid|prefer|make sure|ensure|"
    r"instead of|at most|at least|required?|only|no more than|use|using)\b",
    re.I,
)
_DECISION = re.compile(
    r"\b(I'll use|I will use|I'm going to use|we'll use|decided|decision|going with|chose|opted|"
    r"switched|replaced|migrated|moved .* to|renamed)\b",
    re.I,
)
_FACT = re.compile(
    r"\b(the bug (was|is)|root cause|the (problem|issue|cause) (was|is)|is caused by|because|"
    r"(is|are) (configured|defined|set|declared|stored|kept|registered) in|lives in|comes from|"
    r"fixed|the fix|now|covers|requires|depends on)\b",
    re.I,
)
_CHANGE = re.compile(r"^(Added|Created|Fixed|Switched|Replaced|Removed|Renamed|Moved|Changed|Updated|Wired)\b")
_PATH = re.compile(
    r"(?:[\w.-]+/)+[\w.-]+\.\w{1,8}\b|\b[\w-]+\.(?:py|ts|tsx|js|jsx|go|rs|rb|java|kt|c|h|cpp|md|toml|yaml|yml|json|sql|sh)\b"
)
# Plans, progress and chatter: not knowledge.
_TRIVIAL = re.compile(
    r"^(I'll (?!use\b)|I will (?!use\b)|Let me|Let's|(Now|Next|First|Then|Also|Finally),? (I|let|let's|we)\b|"
    r"I'm going to (?!use\b)|I need to|I see\b|I can see|I notice|I found|I've (updated|added|made|created)|"
    r"Looking|Checking|Reading|Running|Searching|OK\b|Okay|Sure|Great|Perfect|Excellent|Good\b|Alright|Hmm|"
    r"Interesting|Thanks|Done\.?$|It (looks|seems) like|Looks like|The user (wants|asked|is asking)|"
    r"All (the )?(\d+ )?tests (pass|are passing)|Conversation compacted|"
    r"(The )?(tests?|build|checks?|linter|CI)( now)? (pass|passes|passing|succeeds?|is green|are green)\b|"
    r"(Now,? )?the (implementation|changes?|fix|update) (is|are|looks?) (complete|done|good|ready|in place)\b)",
    re.I,
)
_BOOKKEEPING = re.compile(r"\b(todo list|TodoWrite)\b", re.I)  # the assistant tracking its own steps
# What a harness wrote into the conversation (Claude Code's tags and meta lines, Codex's
# AGENTS.md and environment wrappers): cut, never memorized.
_INJECTED_BLOCK = re.compile(
    r"<(system-reminder|command-name|command-message|command-args|command-contents|local-command-stdout|"
    r"local-command-stderr|bash-input|bash-stdout|bash-stderr|user-prompt-submit-hook|"
    r"environment_context|user_instructions|INSTRUCTIONS)>.*?(</\1>|\Z)",
    re.S,
)
_INJECTED_MESSAGE = re.compile(
    r"^\s*(This session is being continued from a previous conversation|Caveat: The messages below were generated|"
    r"\[Request interrupted by user|Please continue the conversation from where we left)",
)
# Instruction files a harness pastes in, with or without the tags around them (Claude Code's wording).
_INSTRUCTIONS = re.compile(
    r"(As you answer the user's questions, you can use the following context:|# claudeMd\b|"
    r"Contents of \S+\.md \((project|user|local) instructions|# AGENTS\.md instructions for ).*",
    re.S,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\.\.\.)\s+(?=[A-Z`\"'(\[])")  # an ellipsis ends no sentence
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
_SUMMARY_PREFIX = re.compile(r"^(summary of the conversation so far|summary|done|tl;dr)\s*:\s*", re.I)


def sentences(text: str) -> list[str]:
    """Sentence-sized pieces of ``text``; a line ending in ':' or followed by a
    lower-case line is one sentence with the next."""
    joined: list[str] = []
    for raw in text.replace("\r", "").split("\n"):
        line = _BULLET.sub("", raw).strip()
        if not line or line.startswith("```"):
            continue
        bullet = line != raw.strip()  # a list item stands alone
        if joined and (joined[-1].endswith(":") or (
                not bullet and line[:1].islower() and not joined[-1].endswith((".", "!", "?")))):
            joined[-1] = f"{joined[-1]} {line}"
        else:
            joined.append(line)
    out: list[str] = []
    for block in joined:
        out.extend(s.strip() for s in _SENTENCE_END.split(block) if s.strip())
    return out


def _substantial(sentence: str) -> bool:
    return (
        len(sentence) >= MIN_CHARS
        and len(sentence.split()) >= MIN_WORDS
        and not sentence.endswith(("?", ":", "…", "..."))  # questions, and lead-ins to a tool call
        and not _TRIVIAL.match(sentence)
        and not _BOOKKEEPING.search(sentence)
    )


def spoken(text: str) -> str:
    """``text`` without what the harness injected; empty when all of it was injected."""
    if _INJECTED_MESSAGE.match(text):
        return ""
    return _INSTRUCTIONS.sub("", _INJECTED_BLOCK.sub("", text)).strip()


def _cut(sentence: str) -> str:
    return sentence if len(sentence) <= MAX_CHARS else sentence[: MAX_CHARS - 1].rstrip() + "…"


def candidates(messages: Iterable[Message], file_refs: Iterable[FileRef], cwd: str | None) -> list[Candidate]:
    out: list[Candidate] = []
    for m in messages:
        m = m._replace(text=spoken(m.text))
        if not m.text:
            continue
        if m.kind == "summary":
            text = m.text.strip()
            if len(text.split()) >= 3:
                out.append(Candidate(_cut(text), m.key, "summary"))
            continue
        if m.kind == "compact":
            for s in sentences(_SUMMARY_PREFIX.sub("", m.text.strip())):
                if _substantial(s):
                    out.append(Candidate(_cut(s), m.key, "summary"))
            continue
        if m.kind == "prompt" and m.role == "user":
            for s in sentences(m.text):
                if _substantial(s) and _REQUIREMENT.search(s):
                    out.append(Candidate(_cut(s), m.key, "requirement"))
            continue
        if m.kind == "text" and m.role == "assistant":
            for s in sentences(_SUMMARY_PREFIX.sub("", m.text.strip())):
                if not _substantial(s):
                    continue
                if _DECISION.search(s):
                    out.append(Candidate(_cut(s), m.key, "decision"))
                elif _CHANGE.match(s) or _FACT.search(s) or _PATH.search(s):
                    out.append(Candidate(_cut(s), m.key, "fact"))
    files = files_that_mattered(file_refs, cwd)
    if files:
        out.append(Candidate(files, None, "files"))
    return out


_WEIGHT = {"edit": 3, "write": 3, "read": 1}
_VERB = {"edit": "edited", "write": "written", "read": "read"}


def files_that_mattered(file_refs: Iterable[FileRef], cwd: str | None) -> str | None:
    """One line naming the most edited/written/read files (directories searched or
    listed do not count), relative to the session's directory."""
    weight: Counter[str] = Counter()
    actions: dict[str, set[str]] = {}
    for ref in file_refs:
        if ref.action not in _WEIGHT:
            continue
        weight[ref.path] += _WEIGHT[ref.action]
        actions.setdefault(ref.path, set()).add(ref.action)
    if not weight:
        return None
    top = sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_FILES]
    parts = []
    for path, _ in top:
        shown = os.path.relpath(path, cwd) if cwd and path.startswith(cwd.rstrip("/") + "/") else path
        verbs = [_VERB[a] for a in ("edit", "write", "read") if a in actions[path]]
        parts.append(f"{shown} ({', '.join(verbs)})")
    return "Files that mattered: " + "; ".join(parts) + "."
