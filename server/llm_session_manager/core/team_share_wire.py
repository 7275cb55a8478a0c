"""What a member's machine and the team server exchange beyond usage: conversation
(opt-in per project), shared memories, handoffs and session history (docs/team.md).

Each kind of push has its own route rather than more fields on ``PushBatch``: a
server that predates them answers 404, where it would silently drop unknown
fields, and the client would then think them stored. A message or file reference
is keyed by the pushing device and the store's own key (the provider's identity
of the line), so pushing it again changes nothing.
"""

from __future__ import annotations

import msgspec

MESSAGES_PATH = "/api/push/messages"
MEMORIES_PATH = "/api/push/memories"
HANDOFFS_PATH = "/api/handoffs"
MEMORY_SEARCH_PATH = "/api/memories/search"


def take_path(session_id: str) -> str:
    return f"/api/sessions/{session_id}/take"


def history_path(session_id: str) -> str:
    return f"/api/sessions/{session_id}/history"


class PushMessage(msgspec.Struct, array_like=True):
    key: str
    session_id: str
    ts: float
    role: str  # user | assistant | system
    kind: str  # prompt | text | summary | compact | api_error | tool_error
    text: str  # redacted on this machine before it is sent


class PushFileRef(msgspec.Struct, array_like=True):
    key: str
    session_id: str
    ts: float
    path: str
    action: str  # read | edit | write | search | list


class MessagesBatch(msgspec.Struct):
    client_id: str
    messages: list[PushMessage] = []
    file_refs: list[PushFileRef] = []


class MessagesResult(msgspec.Struct):
    messages_new: int
    file_refs_new: int


class PushMemory(msgspec.Struct):
    id: str  # the memory's id in the pushing store
    scope: str  # personal | project | team
    text: str  # redacted
    project: str | None
    session_id: str | None
    tags: list[str]
    created_at: float
    embedder: str  # which model made ``vector``: only vectors of one model are compared
    vector: list[float]


class MemoriesBatch(msgspec.Struct):
    client_id: str
    memories: list[PushMemory] = []


class MemoriesResult(msgspec.Struct):
    memories: int  # stored or brought up to date


class TeamMemory(msgspec.Struct):
    """A memory from the team's pool, as a search returns it."""

    id: str
    text: str
    score: float
    scope: str
    project: str | None
    session_id: str | None
    tags: list[str]
    created_at: float
    user: str  # who shared it
    device: str


class MemorySearch(msgspec.Struct):
    memories: list[TeamMemory]
    method: str  # pgvector | exact (cosine in the server process) | words (no vector sent)


class HandoffRequest(msgspec.Struct):
    session_id: str
    to: str  # the receiving user's name
    note: str | None = None


class Handoff(msgspec.Struct):
    id: int
    session_id: str
    sender: str
    receiver: str
    note: str | None
    created_at: float
    taken_at: float | None = None


class PackSession(msgspec.Struct):
    id: str
    provider: str
    project: str | None
    cwd: str | None
    title: str | None
    model: str | None
    started_at: float | None
    last_activity: float | None
    user: str  # whose device pushed it
    device: str


class PackMessage(msgspec.Struct):
    key: str
    ts: float
    role: str
    kind: str
    text: str


class PackFile(msgspec.Struct):
    path: str
    actions: list[str]
    last_ts: float


class PackMemory(msgspec.Struct):
    id: str
    text: str
    scope: str
    tags: list[str]
    created_at: float


class Pack(msgspec.Struct):
    """What the team has of one session: enough to carry on with it elsewhere."""

    session: PackSession
    handoff: Handoff | None
    memories: list[PackMemory]
    files: list[PackFile]
    messages: list[PackMessage]  # the whole pushed conversation, in order


class HistoryDevice(msgspec.Struct):
    user: str
    device: str
    first: float | None  # the session's start as that device has it
    last: float | None  # its last activity there
    messages: int  # messages that device pushed of it
    responses: int  # billed responses that device pushed of it


class History(msgspec.Struct):
    session_id: str
    devices: list[HistoryDevice]
    handoffs: list[Handoff]
