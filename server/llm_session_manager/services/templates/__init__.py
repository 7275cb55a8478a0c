"""Templates: named sets of sessions to start together, with their tags and files.

``schema`` says what ``templates.yaml`` may hold (and names the line of a
mistake), ``templates_file`` finds, reads and writes it, ``create`` resolves a
template in a directory (files, token cost, commands), plans its sessions and
starts them, and ``save`` makes a template from sessions in the store.
docs/templates.md is the user's side of it.
"""

from __future__ import annotations

from .create import ContextFile, PlannedSession, Preparation, launch, plan, prepare
from .save import from_sessions
from .schema import Template, TemplateError, TemplateSession, parse
from .templates_file import add, example_path, get, load, templates_path

__all__ = [
    "ContextFile",
    "PlannedSession",
    "Preparation",
    "Template",
    "TemplateError",
    "TemplateSession",
    "add",
    "example_path",
    "from_sessions",
    "get",
    "launch",
    "load",
    "parse",
    "plan",
    "prepare",
    "templates_path",
]
