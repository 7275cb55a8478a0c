"""The Python API: what the CLI, MCP and LSP answer, as functions and structs.

Every frontend is a skin over these; a script can call them directly::

    from llm_session_manager import services as lsm

    conn, config = lsm.connect(), lsm.load_config()
    lsm.scan(conn, config)  # read what the assistants logged since the last scan
    for s in lsm.list_sessions(conn, config, lsm.Filters(provider="codex", active=True)):
        print(s.id, s.tokens.total, s.cost_usd)
    lsm.usage_report(conn, "month").totals
    lsm.recall(conn, "how do we run the tests", config=config)

The results are the msgspec structs of ``core.models`` (``msgspec.json.encode``
gives the JSON the CLI prints with ``--json``). Errors a caller can cause are
``core.errors.LlmSessionError`` subclasses.

Each name is imported on first use (PEP 562 ``__getattr__``), not with this
package: the services a frontend uses pull in numpy, yaml or tiktoken, and
``llm-session --version`` or an MCP ``initialize`` should not wait for them.
The ``TYPE_CHECKING`` imports say the same to type checkers. Submodules
(``services.sessions``, ``services.memory``, ...) are the fuller API; the names
here are the ones a script reaches for first.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..core.config import Config
    from ..core.config import load as load_config
    from ..core.models import (
        AnalyticsReport,
        FileCost,
        Memory,
        MessageContext,
        Recommendation,
        ScanResult,
        SearchMatch,
        SearchResult,
        Session,
        TokenCount,
        UsageReport,
    )
    from ..ingest import scan
    from ..store import connect
    from .analytics import report as analytics_report
    from .ci_report import Budgets, CiReport
    from .ci_report import from_team as ci_report_from_team
    from .ci_report import from_transcripts as ci_report_from_transcripts
    from .ci_report import judge as judge_ci_report
    from .context_plan import FileRanking, rank_files
    from .context_report import ContextReport
    from .context_report import build as measure_context
    from .conversation import Conversation
    from .conversation import load as load_conversation
    from .conversation_export import render as export_conversation
    from .export import SessionReport
    from .export import build_report as session_report
    from .export import render as export_session
    from .history import message_context
    from .history import search as search_history
    from .limits import LimitsReport
    from .limits import report as limits_report
    from .memory import ImportResult, forget, list_memories
    from .memory import import_jsonl as import_memories
    from .memory.memorize import memorize  # from the modules: the package's names shadow them
    from .memory.recall import recall
    from .memory.remember import remember
    from .recommend import for_sessions as recommendations
    from .retention import pin as pin_session
    from .retention import prune as prune_conversations
    from .retention import unpin as unpin_session
    from .sessions import Filters, get_session, list_sessions, set_project, tag, untag
    from .team.link import Link as TeamLink
    from .team.link import load as team_link
    from .team.push import Pushed
    from .team.push import push as team_push
    from .team.report import usage as team_usage
    from .templates.create import Preparation
    from .templates.create import plan as plan_template
    from .templates.create import prepare as prepare_template
    from .templates.save import from_sessions as save_template
    from .templates.templates_file import load as load_templates
    from .tokens import count_tokens
    from .usage import report as usage_report

# name -> (module, relative to this package; its attribute)
_API: dict[str, tuple[str, str]] = {
    # the store and the config every call takes
    "connect": ("..store", "connect"),
    "load_config": ("..core.config", "load"),
    "Config": ("..core.config", "Config"),
    "scan": ("..ingest", "scan"),
    "ScanResult": ("..core.models", "ScanResult"),
    # sessions
    "list_sessions": (".sessions", "list_sessions"),
    "get_session": (".sessions", "get_session"),
    "Filters": (".sessions", "Filters"),
    "Session": ("..core.models", "Session"),
    "tag": (".sessions", "tag"),
    "untag": (".sessions", "untag"),
    "set_project": (".sessions", "set_project"),
    "recommendations": (".recommend", "for_sessions"),
    "Recommendation": ("..core.models", "Recommendation"),
    # usage and cost
    "usage_report": (".usage", "report"),
    "UsageReport": ("..core.models", "UsageReport"),
    "analytics_report": (".analytics", "report"),
    "AnalyticsReport": ("..core.models", "AnalyticsReport"),
    "count_tokens": (".tokens", "count_tokens"),
    "TokenCount": ("..core.models", "TokenCount"),
    # one session's report, its files by context cost, past conversations
    "session_report": (".export", "build_report"),
    "SessionReport": (".export", "SessionReport"),
    "export_session": (".export", "render"),
    "rank_files": (".context_plan", "rank_files"),
    "FileRanking": (".context_plan", "FileRanking"),
    "FileCost": ("..core.models", "FileCost"),
    "measure_context": (".context_report", "build"),
    "ContextReport": (".context_report", "ContextReport"),
    "search_history": (".history", "search"),
    "SearchResult": ("..core.models", "SearchResult"),
    "SearchMatch": ("..core.models", "SearchMatch"),
    "message_context": (".history", "message_context"),
    "MessageContext": ("..core.models", "MessageContext"),
    # memory
    "recall": (".memory", "recall"),
    "remember": (".memory", "remember"),
    "memorize": (".memory", "memorize"),
    "list_memories": (".memory", "list_memories"),
    "forget": (".memory", "forget"),
    "import_memories": (".memory", "import_jsonl"),
    "Memory": ("..core.models", "Memory"),
    "ImportResult": (".memory", "ImportResult"),
    # conversations: replay, export, pinning and retention (docs/conversations.md)
    "load_conversation": (".conversation", "load"),
    "Conversation": (".conversation", "Conversation"),
    "export_conversation": (".conversation_export", "render"),
    "pin_session": (".retention", "pin"),
    "unpin_session": (".retention", "unpin"),
    "prune_conversations": (".retention", "prune"),
    # plan limits (docs/statusline.md, docs/cli.md: limits)
    "limits_report": (".limits", "report"),
    "LimitsReport": (".limits", "LimitsReport"),
    # templates (docs/templates.md)
    "load_templates": (".templates.templates_file", "load"),
    "prepare_template": (".templates.create", "prepare"),
    "plan_template": (".templates.create", "plan"),
    "Preparation": (".templates.create", "Preparation"),
    "save_template": (".templates.save", "from_sessions"),
    # CI gates (docs/ci.md)
    "ci_report_from_transcripts": (".ci_report", "from_transcripts"),
    "ci_report_from_team": (".ci_report", "from_team"),
    "judge_ci_report": (".ci_report", "judge"),
    "CiReport": (".ci_report", "CiReport"),
    "Budgets": (".ci_report", "Budgets"),
    # this machine's side of a team server (docs/team.md)
    "team_link": (".team.link", "load"),
    "TeamLink": (".team.link", "Link"),
    "team_push": (".team.push", "push"),
    "Pushed": (".team.push", "Pushed"),
    "team_usage": (".team.report", "usage"),
}

__all__ = [
    "AnalyticsReport",
    "Config",
    "ContextReport",
    "FileCost",
    "FileRanking",
    "Filters",
    "ImportResult",
    "Memory",
    "MessageContext",
    "Recommendation",
    "ScanResult",
    "SearchMatch",
    "SearchResult",
    "Session",
    "SessionReport",
    "TokenCount",
    "UsageReport",
    "analytics_report",
    "connect",
    "count_tokens",
    "export_session",
    "forget",
    "get_session",
    "import_memories",
    "list_memories",
    "list_sessions",
    "load_config",
    "measure_context",
    "memorize",
    "message_context",
    "rank_files",
    "recall",
    "recommendations",
    "remember",
    "scan",
    "search_history",
    "session_report",
    "set_project",
    "tag",
    "untag",
    "usage_report",
]
__all__ += [  # conversations
    "Conversation", "export_conversation", "load_conversation", "pin_session", "prune_conversations", "unpin_session",
]
__all__ += ["LimitsReport", "limits_report"]  # plan limits
__all__ += ["Preparation", "load_templates", "plan_template", "prepare_template", "save_template"]  # templates
__all__ += ["Budgets", "CiReport", "ci_report_from_team", "ci_report_from_transcripts", "judge_ci_report"]  # CI
__all__ += ["Pushed", "TeamLink", "team_link", "team_push", "team_usage"]  # team server


def __getattr__(name: str) -> Any:
    """A name of ``__all__``, imported now and kept. Any other name is an
    AttributeError, which is also how ``from . import sessions`` finds a submodule."""
    try:
        module, attribute = _API[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module, __name__), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
