"""The errors a user can cause or meet, each turned into one line at the edge.

Frontends catch ``LlmSessionError`` and print ``str(error)``; anything else is a
bug and shows a traceback only with ``--verbose``.
"""

from __future__ import annotations


class LlmSessionError(Exception):
    """Base of every error that has a one-line explanation for the user."""


class ConfigError(LlmSessionError):
    """The config file is unreadable, has an unknown key or a value of the wrong type."""


class StoreError(LlmSessionError):
    """The database cannot be opened or used."""


class StoreCorrupt(StoreError):
    """The database file is damaged (whole or a page of it); it is never deleted or recreated over."""


class DiskFull(StoreError):
    """A write failed for want of space; what was stored before it is intact."""


class NotFound(LlmSessionError):
    """A session, memory or file named by the user does not exist."""


class Ambiguous(LlmSessionError):
    """A session id prefix matches more than one session."""


class BadInput(LlmSessionError):
    """An argument or input file the user gave cannot be used."""
