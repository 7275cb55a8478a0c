"""Plain data shared by every layer.

Two kinds live here. The ``*Row`` named tuples are what sources hand to ingest
and ingest hands to the store: they sit on the hot path of a cold scan (hundreds
of thousands per run), and being tuples they go straight into ``executemany``
without a conversion step. The msgspec ``Struct`` classes further down are what
services hand to frontends; their field names are the public JSON contract of
DESIGN.md, so renaming one is a breaking change.
"""

import functools
from typing import Any, Literal, NamedTuple, get_args

import msgspec

PROVIDERS = (
    "claude-code",
    "codex",
    "gemini",
    "cursor",
    "copilot",
    "aider",
    "ollama",
    "lmstudio",
    "llm",
    "openai-api",
    "anthropic-api",
    "chatgpt",
)


def short_id(session_id: str) -> str:
    """A session id as people are shown it: 8 characters, after the provider's
    prefix where it has one (``chatgpt:67a1b2c3``); still a prefix of the id,
    so every command accepts it."""
    return session_id[: session_id.find(":") + 9] if ":" in session_id else session_id[:8]


# --- sources -> ingest -> store ---------------------------------------------


class UsageRow(NamedTuple):
    """One billed model response, deduplicated by ``dedup_key``."""

    dedup_key: str
    session_id: str
    ts: float  # unix seconds
    model: str
    input_tokens: int  # fresh input: excludes cache reads (and cache writes, for Claude)
    output_tokens: int  # includes reasoning tokens
    cache_creation_tokens: int
    cache_read_tokens: int
    cost_usd: float | None  # the log's own figure when it has one, else priced at ingest
    sidechain: bool  # a sub-agent's response: billed, but not in the main context window
    context_tokens: int  # what this turn put in the context window
    context_window: int | None  # the window the log itself reports, if any
    exact: bool | None = None  # None: as the source says (``Source.exact``); set for mixed logs
    cache_creation_1h_tokens: int = 0  # the part of cache_creation_tokens written with a one-hour TTL


class MessageRow(NamedTuple):
    """A piece of conversation worth keeping for search, memory and replay."""

    key: str  # unique across the store (the assistant's own id where it has one)
    session_id: str
    ts: float
    role: str  # user | assistant | system
    kind: str  # prompt | text | summary | compact | api_error | tool_error
    text: str


class FileRefRow(NamedTuple):
    """A file a session read, edited or searched."""

    key: str  # unique across the store
    session_id: str
    ts: float
    path: str
    action: str  # read | edit | write | search | list


class SessionRow(NamedTuple):
    """What one chunk of a log says about a session; ingest merges these."""

    id: str
    provider: str
    cwd: str | None
    title: str | None
    model: str | None
    git_branch: str | None
    version: str | None
    started_at: float  # earliest timestamp seen in this chunk
    last_activity: float  # latest timestamp seen in this chunk


class Attribution(NamedTuple):
    """Rows of the attribution tables (store/migrations/018.sql), for ``usage --by tool|agent|mcp-server|skill``."""

    calls: list[tuple]  # tool_calls: (dedup_key, id, session_id, seq, name, detail, result_tokens)
    results: list[tuple]  # tool_results: (id, session_id, tokens, text): see migration 018
    runs: list[tuple]  # agent_runs: (agent_id, tool_use_id, agent_type)
    agents: list[tuple]  # response_agents: (dedup_key, agent_id)
    # tool_uses (migration 033), each call as the conversation shows it:
    # (session_id, id, ts, seq, name, input summary, result_bytes, message_key)
    uses: list[Any]  # tuples, or lists where a parser fills a result's size in later (msgpack: arrays)
    outputs: list[tuple]  # (result_bytes, session_id, id): a result whose call an earlier chunk read


class Batch:
    """Everything parsed from one chunk of one log file."""

    __slots__ = ("attribution", "file_refs", "limits", "malformed", "messages", "sessions", "skipped", "state", "usage",
                 "warnings")

    def __init__(self, state: bytes | None = None) -> None:
        self.sessions: dict[str, SessionRow] = {}
        self.usage: list[UsageRow] = []
        self.messages: list[MessageRow] = []
        self.file_refs: list[FileRefRow] = []
        # What each response did (tool calls, their results, sub-agents): stored with the conversation.
        self.attribution = Attribution([], [], [], [], [], [])
        # The assistant's own plan-limit readings (store/limit_readings.py ``Reading`` values).
        self.limits: list[tuple] = []
        self.malformed = 0
        # Which lines of the chunk were skipped, and why: (0-based line in the
        # chunk, reason), for ``scan --verbose`` to name them.
        self.skipped: list[tuple[int, str]] = []
        # One line each on what the user should know of this file (ingest names it).
        self.warnings: list[str] = []
        # Parser state carried to the next chunk of the same file (Codex needs
        # the current model and the previous cumulative totals); opaque bytes.
        self.state = state

    def skip(self, line: int, reason: object) -> None:
        """Count line ``line`` of the chunk (from 0) as malformed, saying why."""
        self.malformed += 1
        self.skipped.append((line, str(reason)))

    def see_session(self, row: SessionRow) -> None:
        """Merge ``row`` into what this batch knows of its session."""
        old = self.sessions.get(row.id)
        if old is None:
            self.sessions[row.id] = row
            return
        self.sessions[row.id] = SessionRow(
            id=row.id,
            provider=row.provider,
            cwd=row.cwd or old.cwd,
            title=old.title or row.title,
            model=row.model or old.model,
            git_branch=row.git_branch or old.git_branch,
            version=row.version or old.version,
            started_at=min(old.started_at, row.started_at),
            last_activity=max(old.last_activity, row.last_activity),
        )


# --- services -> frontends (the JSON contract) -------------------------------


class Provenance(msgspec.Struct, omit_defaults=True, frozen=True):
    """Where each figure of a row, session or report comes from (docs/usage.md#provenance):
    ``official`` (the assistant's own meter), ``exact`` (from the logs' counts), ``estimated``
    (our tokenizer or the assistant's own estimate), ``unknown`` (no price: ``cost_usd`` is
    only the priced part, or null). Only the figures the object has are named. Frozen: a
    report's rows share the few there are."""

    tokens: str  # exact | estimated
    cost_usd: str  # exact | estimated | unknown
    context: str | msgspec.UnsetType = msgspec.UNSET  # a session's context fill: exact | estimated | unknown
    result_tokens: str | msgspec.UnsetType = msgspec.UNSET  # attribution rows: always estimated


@functools.cache
def provenance(estimated: bool, complete: bool) -> Provenance:
    """The provenance of a sum of responses: its tokens exact unless one is estimated; its
    cost unknown when a part has no price, else as certain as the tokens it is priced from.
    One of four, made once: a report has a row per session."""
    tokens = "estimated" if estimated else "exact"
    return Provenance(tokens, tokens if complete else "unknown")


@functools.cache
def session_provenance(exact: bool, complete: bool, context: str) -> Provenance:
    """A session's: its tokens as its responses' counts, its cost as ``provenance`` says, its
    context fill as ``context`` (its latest turn's count; unknown when no turn told it)."""
    return msgspec.structs.replace(provenance(not exact, complete), context=context)


class Tokens(msgspec.Struct):
    input: int
    output: int
    cache_creation: int
    cache_read: int
    total: int
    source: str  # exact | estimated


class Context(msgspec.Struct):
    used: int
    limit: int
    percent: float


class Health(msgspec.Struct):
    score: float
    status: str  # healthy | warning | critical
    components: dict[str, float]


class Session(msgspec.Struct, omit_defaults=True):  # cost_complete only when false, log_gone and pinned only when true
    id: str
    provider: str
    project: str | None
    cwd: str | None
    title: str | None
    model: str | None
    started_at: str | None  # ISO 8601, UTC
    last_activity: str | None
    active: bool
    tokens: Tokens
    context: Context
    cost_usd: float | None  # None: no part of it has a price (see cost_complete)
    health: Health
    tags: list[str]
    cost_complete: bool = True  # False: some responses are of a model without a price
    # Start of the current run of work (no pause long enough to count as stopped):
    # what "running for" counts from, not ``started_at`` (services/working.py).
    working_since: str | None = None
    # Every log it was read from has been deleted (Claude Code's cleanupPeriodDays)
    # or moved away since: what the store holds of it is all there is.
    log_gone: bool = False
    # Pinned with ``llm-session record``: retention never prunes its conversation.
    pinned: bool = False
    # Where its tokens, cost and context fill come from (``Provenance``).
    provenance: Provenance | msgspec.UnsetType = msgspec.UNSET


class RecalledMemory(msgspec.Struct):
    """A memory a ``repeat`` recommendation points at: what another session already found."""

    id: str
    text: str  # an excerpt
    session_id: str | None  # the session it was learned in
    similarity: float  # cosine to the session's recent prompts


class Recommendation(msgspec.Struct, omit_defaults=True):  # the evidence fields only where a rule has them
    session_id: str | None
    rule: str  # context | duration | idle | archive | consolidate | merge | repeat | health
    severity: str  # info | warning | critical
    message: str
    action: str
    sessions: list[str] = []  # consolidate, merge: the sessions it is about
    similarity: float | None = None  # merge: cosine of the summaries; repeat: of prompts and memory
    shared_files: list[str] = []  # merge: files both read or changed
    project: str | None = None  # merge: the project both are in
    memories: list[RecalledMemory] = []  # repeat: what to recall instead


class UsageTotals(msgspec.Struct):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float | None = 0.0  # the priced part; None when no part of it has a price
    cost_complete: bool = True  # False: some of the usage is of a model without a price
    provenance: Provenance | msgspec.UnsetType = msgspec.UNSET  # set by ``usage`` reports


# How ``usage`` groups: one spelling for the CLI, the MCP tool and the service.
UsageGroup = Literal["day", "week", "month", "session", "model", "project", "provider",
                     "agent", "tool", "mcp-server", "skill"]
USAGE_GROUPS: tuple[str, ...] = get_args(UsageGroup)
# The groups by what a response did rather than when or where (services/attribution.py).
ATTRIBUTION_GROUPS: tuple[str, ...] = ("agent", "tool", "mcp-server", "skill")
# The name ``mcp install`` registers our MCP server under: our tools are ``mcp__llm-session__<tool>`` in a log.
MCP_SERVER_NAME = "llm-session"
# How ``list`` orders sessions (services/sessions.py says what comes first for each).
SessionSort = Literal["last_activity", "started_at", "cost", "tokens", "context", "health"]
SESSION_SORTS: tuple[str, ...] = get_args(SessionSort)
# What ``export`` writes a session's report as.
ExportFormat = Literal["json", "yaml", "markdown", "csv"]
EXPORT_FORMATS: tuple[str, ...] = get_args(ExportFormat)
ConversationFormat = Literal["markdown", "html", "json", "jsonl"]  # export-conversation (docs/conversations.md)
CONVERSATION_FORMATS: tuple[str, ...] = get_args(ConversationFormat)


class UsageModelRow(msgspec.Struct):
    """One model's share of a usage row (``usage --breakdown``), like ccusage's ``modelBreakdowns``."""

    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float | None = 0.0  # as in UsageTotals
    cost_complete: bool = True


class ModelUsage(msgspec.Struct):
    """Billed responses of one model: a session's per model (``export``), or those an
    assistant text stands for, usually one (``conversation``)."""

    model: str
    responses: int
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int
    cost_usd: float | None  # None: the model has no price


class UsageReportRow(msgspec.Struct):
    key: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float | None = 0.0  # as in UsageTotals
    cost_complete: bool = True
    models: list[UsageModelRow] | msgspec.UnsetType = msgspec.UNSET  # only with --breakdown
    # Only by agent, tool, mcp-server or skill (services/attribution.py): calls of that key, the
    # tokens their results added to the context (estimated), and whether it is our own MCP server.
    calls: int | msgspec.UnsetType = msgspec.UNSET
    result_tokens: int | msgspec.UnsetType = msgspec.UNSET
    ours: bool | msgspec.UnsetType = msgspec.UNSET
    provenance: Provenance | msgspec.UnsetType = msgspec.UNSET  # set by ``usage`` reports


class UsageReport(msgspec.Struct):
    rows: list[UsageReportRow]
    totals: UsageTotals
    unpriced_models: list[str] = []  # models in the report that have no price


class ScanResult(msgspec.Struct):
    files: int  # log files found
    records: int  # new rows stored: usage, messages and file references
    sessions: int  # sessions that got new data
    malformed: int  # lines skipped because they could not be parsed
    seconds: float
    files_read: int = 0  # files that had new bytes
    warnings: list[str] = []


class LocalModel(msgspec.Struct):
    """A model a local server (Ollama, LM Studio) holds loaded right now."""

    provider: str  # ollama | lmstudio
    model: str
    url: str  # the server that answered
    context_limit: int | None  # the context it was loaded with, in tokens
    size_bytes: int | None
    vram_bytes: int | None
    expires_at: str | None  # when Ollama unloads it if unused (ISO 8601)


class TokenCount(msgspec.Struct):
    tokens: int
    source: str  # exact | estimated
    method: str  # e.g. "tiktoken:o200k_base", "anthropic:count_tokens", "estimate:o200k*1.10"
    model: str | None = None


class FileUse(msgspec.Struct):
    """A file a session read, edited or searched, and what it costs in context now."""

    path: str
    actions: list[str]  # read | edit | write | search | list
    uses: int
    tokens: int | None  # what the file costs in context now, if it still exists
    token_source: str | None  # exact | estimated


class FileCost(FileUse):
    """A ``FileUse`` with why it has a token count or not (services/context_plan.py)."""

    state: str  # counted | gone | directory | too large | unreadable


class Memory(msgspec.Struct):
    """One memory (services/memory); field order is the JSON contract of DESIGN.md."""

    id: str
    text: str
    score: float | None  # recall's relevance in (0, 1]; None outside recall
    project: str | None
    session_id: str | None
    created_at: str  # ISO 8601, UTC
    tags: list[str]
    source: str = "user"  # user | import | memorize | mcp
    writer: str | None = None  # the program that wrote it ("claude-code 2.1.3 via remember"); None: a person or an import


class Recalled(Memory):
    """A memory as recall answers it."""

    tokens: int = 0  # its text in tokens, estimated (the bundled model's word pieces): what quoting it costs


class MemoryExcerpt(Recalled):
    """A memory whose text was cut to keep an answer short (``services.memory.excerpt``)."""

    text_cut: bool = False  # the text is its beginning; the memory by id has it all


SearchSort = Literal["best", "newest"]
SEARCH_SORTS: tuple[str, ...] = get_args(SearchSort)
SearchRole = Literal["user", "assistant", "tool", "system"]  # tool: a tool's error output (kind tool_error)
SEARCH_ROLES: tuple[str, ...] = get_args(SearchRole)


class SearchMatch(msgspec.Struct):
    """A message of a past session holding the text searched for (services/history)."""

    session_id: str
    provider: str
    cwd: str | None
    ts: str | None  # ISO 8601 UTC
    role: str  # user | assistant | system
    kind: str  # prompt | text | summary | compact | api_error | tool_error
    snippet: str  # around the match, redacted
    message: int = 0  # its place in the session, from 1 (``show ID --message N``)
    project: str | None = None
    score: float | None = None  # relevance in (0, 1] with sort "best"; None with "newest"
    highlights: list[tuple[int, int]] = []  # [start, end) character offsets of the matched words in ``snippet``


class SearchResult(msgspec.Struct):
    matches: list[SearchMatch]  # in ``sort`` order: best first, or newest first
    truncated: bool  # more matched than ``limit``
    sort: str = "best"
    complete: bool = True  # every match was ranked; false: the most recently stored ones (docs/search.md)


class ToolCallLine(msgspec.Struct):
    """A tool call made after a message, before the next (``show ID --message N``; migration 033)."""

    name: str  # Bash, Read, mcp__github__create_issue, shell, run_shell_command, ...
    input: str | None  # its input in a few words, redacted
    result_bytes: int | None  # its result's size as logged; None: no result read
    ts: str | None


class MessageLine(msgspec.Struct):
    """One message of a session as ``show ID --message N`` prints it (text redacted)."""

    message: int  # its place in the session, from 1
    ts: str | None
    role: str
    kind: str
    text: str
    tools: list[ToolCallLine] = msgspec.field(default_factory=list)  # the calls made after it, before the next


class MessageContext(msgspec.Struct):
    """A message of a session with the ones around it (``show ID --message N``)."""

    session_id: str
    provider: str
    project: str | None
    message: int  # the one asked for
    total: int  # messages in the session
    messages: list[MessageLine]


# --- analytics (services/analytics, services/blocks) -------------------------


class BurnRate(msgspec.Struct):
    tokens_per_minute: float  # all four kinds of tokens
    tokens_per_minute_for_indicator: float  # input + output only, as ccusage's HIGH/MODERATE/NORMAL
    cost_per_hour: float


class BlockProjection(msgspec.Struct):
    total_tokens: int  # at the block's end, if the burn rate holds
    cost_usd: float
    remaining_minutes: int


class BillingBlock(msgspec.Struct):
    """A Claude 5-hour billing block (times ISO 8601, UTC)."""

    start: str
    end: str
    last_activity: str
    active: bool
    responses: int
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int
    total_tokens: int
    cost_usd: float | None  # as in UsageTotals
    models: list[str]
    burn_rate: BurnRate | None  # active block only, as ccusage
    projection: BlockProjection | None
    cost_complete: bool = True
    unpriced_models: list[str] = []  # models of the block that have no price


class DailyUsage(msgspec.Struct):
    date: str  # local YYYY-MM-DD
    sessions: int  # sessions with a billed response that day
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float | None = 0.0  # as in UsageTotals
    cost_complete: bool = True
    provenance: Provenance | msgspec.UnsetType = msgspec.UNSET  # set by ``analytics``


class UsageShare(msgspec.Struct):
    """Usage of one project, model or provider; ``(other)`` sums those past the top N."""

    key: str
    sessions: int
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float | None = 0.0  # as in UsageTotals
    cost_complete: bool = True
    provenance: Provenance | msgspec.UnsetType = msgspec.UNSET  # set by ``analytics``


class SessionCost(msgspec.Struct):
    id: str
    provider: str
    project: str | None
    title: str | None
    model: str | None
    started_at: str | None
    last_activity: str | None
    total_tokens: int  # within the window
    cost_usd: float | None  # as in UsageTotals
    cost_complete: bool = True
    provenance: Provenance | msgspec.UnsetType = msgspec.UNSET  # set by ``analytics``


class SessionStats(msgspec.Struct):
    count: int  # sessions active within the window
    average_duration_s: float
    median_duration_s: float
    healthy: int
    warning: int
    critical: int
    healthy_share: float  # 0-1


class LimitHit(msgspec.Struct):
    session_id: str
    project: str | None
    context_used: int  # the fullest the context window got
    context_limit: int
    context_percent: float


class LimitHits(msgspec.Struct):
    context_percent: float  # the threshold: recommendations.context_percent
    sessions: int  # sessions whose context reached it
    top: list[LimitHit]
    api_errors: int  # API error messages within the window
    limit_errors: int  # of which about a usage or rate limit
    sessions_with_api_errors: int


class ProjectActivity(msgspec.Struct):
    project: str
    sessions: int
    active_days: int  # local days with a billed response
    responses: int
    cost_usd: float | None  # as in UsageTotals
    last_activity: str | None
    cost_complete: bool = True


class AnalyticsReport(msgspec.Struct):
    days: int
    since: str  # first local day of the window, YYYY-MM-DD
    until: str  # last (today)
    generated_at: str
    totals: UsageTotals
    daily: list[DailyUsage]  # every day of the window, oldest first
    by_project: list[UsageShare]
    by_model: list[UsageShare]
    by_provider: list[UsageShare]
    top_sessions: list[SessionCost]
    sessions: SessionStats
    limit_hits: LimitHits
    claude_block: BillingBlock | None  # the active 5-hour block, if any
    most_active_projects: list[ProjectActivity]
    unpriced_models: list[str] = []  # models used in the window that have no price
