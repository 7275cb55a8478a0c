"""The errors a user can cause or meet, each turned into one line at the edge.

Frontends catch ``LlmSessionError`` and print ``str(error)``; anything else is a
bug and shows a traceback only with ``--verbose``. A server (``serve``, the team
server) answers one with its ``status``: whose fault it is, said once here, so
every route answers the same error alike.
"""

from __future__ import annotations

from collections.abc import Callable


class LlmSessionError(Exception):
    """Base of every error that has a one-line explanation for the user."""

    status = 500


class ConfigError(LlmSessionError):
    """The config file is unreadable, has an unknown key or a value of the wrong type."""


class StoreError(LlmSessionError):
    """The database cannot be opened or used."""

    status = 503


class StoreCorrupt(StoreError):
    """The database file is damaged (whole or a page of it); it is never deleted or recreated over."""


class DiskFull(StoreError):
    """A write failed for want of space; what was stored before it is intact."""


class NotFound(LlmSessionError):
    """A session, memory or file named by the user does not exist."""

    status = 404


class Ambiguous(LlmSessionError):
    """A session id prefix matches more than one session."""

    status = 400


class BadInput(LlmSessionError):
    """An argument or input file the user gave cannot be used."""

    status = 400


class BadArgument(BadInput):
    """An argument of a call has a value no service can use, or is missing.

    The message names the argument as the services and the MCP and LSP callers
    do (``since``, ``limit``); the CLI says ``--since`` instead, with ``spoken``.
    One name: "limit must be ..."; several (one of them is needed): "say what
    to forget: memory_id, session_id, tag or since".
    """

    def __init__(self, names: str | tuple[str, ...], problem: str) -> None:
        self.names = (names,) if isinstance(names, str) else names
        self.problem = problem
        super().__init__(self.spoken(str))

    def spoken(self, say: Callable[[str], str]) -> str:
        """The message with each argument named by ``say`` (the CLI: ``since`` -> ``--since``)."""
        if len(self.names) == 1:
            return f"{say(self.names[0])} {self.problem}"
        *first, last = (say(n) for n in self.names)
        return f"{self.problem}: {', '.join(first)} or {last}"


class TeamError(LlmSessionError):
    """The team server, or its database, refused or cannot do what was asked (docs/team.md)."""

    status = 409


class TeamUnreachable(TeamError):
    """The team server (or its database) cannot be reached now; what was not pushed is pushed next time."""

    status = 503


class ChatRefused(LlmSessionError):
    """A chat platform's request is unsigned, stale or tampered with (docs/chat.md): answered 401."""

    status = 401


class ChatNotSetUp(LlmSessionError):
    """A chat platform's endpoint is asked for but its secret or key is missing (docs/chat.md)."""

    status = 503


class BudgetExceeded(LlmSessionError):
    """A CI budget gate failed (``ci report --max-cost``, ``instructions-budget``, ``health-check``): the job fails."""


class CiCommentError(LlmSessionError):
    """The report could not be posted on the pull or merge request (no token, not a request, refused)."""


class EncryptionKeyMissing(LlmSessionError):
    """The store's message bodies are encrypted and no key was given (docs/privacy.md); nothing was changed."""

    status = 503


class WrongKey(LlmSessionError):
    """The key given does not open the store's encrypted message bodies (docs/privacy.md); nothing was changed."""
