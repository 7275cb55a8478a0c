"""Our one-line errors, as the LSP says them: an error response, and a message for the environment.

Errors the user can fix (``errors.LlmSessionError``) become an LSP error
response carrying the same one line the CLI prints (``error_response``, at the
one edge: ``feature._plain``). Those about the environment -- a corrupt or
unopenable database, a broken config file -- are also shown to the user with
``window/showMessage`` (``ShownOnce``, which hears every call of the engine),
because a failed hover or status poll is otherwise invisible in an editor.
"""

from __future__ import annotations

from collections.abc import Callable

from pygls.exceptions import JsonRpcException

from ...core.errors import BadInput, ConfigError, LlmSessionError, StoreCorrupt, StoreError


class ServiceError(JsonRpcException):
    """A service's one-line error, as an LSP ``RequestFailed`` response."""

    CODE = -32803  # LSP RequestFailed: the request was valid, the work failed


class InvalidParams(ServiceError):
    CODE = -32602


def error_response(error: LlmSessionError) -> ServiceError:
    cls = InvalidParams if isinstance(error, BadInput) else ServiceError
    return cls(str(error))


class ShownOnce:
    """Shows an environment error once, until something succeeds again.

    A damaged page fails only the requests that read it, while others (the
    store poll) succeed in between: its message is shown once per process.
    The engine's ``Outcomes``.
    """

    def __init__(self, show: Callable[[str], None]) -> None:
        self._show = show
        self._shown: str | None = None  # the environment error last shown to the user
        self._damage_shown: set[str] = set()

    def failed(self, error: LlmSessionError) -> None:
        if not isinstance(error, (StoreError, ConfigError)):
            return  # the request's own problem: its error response says it
        message = str(error)
        if message != self._shown and message not in self._damage_shown:
            self._shown = message
            if isinstance(error, StoreCorrupt):
                self._damage_shown.add(message)
            self._show(message)

    def succeeded(self) -> None:
        self._shown = None
