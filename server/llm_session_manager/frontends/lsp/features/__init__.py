"""The server's features, one LSP capability per module.

=====================  ==========================================================
module                 what the client gets
=====================  ==========================================================
``sessions``           ``llmSession/sessions``
``status``             ``llmSession/status`` (for a status bar)
``recall``             ``llmSession/recall``, command ``llmSession.recall``
``watch``              ``llmSession/didChangeSessions``, health alerts,
                       command ``llmSession.refresh``
``export``             command ``llmSession.export``
``tag``                command ``llmSession.tag``
``optimize``           command ``llmSession.optimizeContext``
``instructions``       hover, code lens and diagnostics on instruction files
``search``             ``llmSession/search`` (docs/search.md)
=====================  ==========================================================
"""

from __future__ import annotations

from .export import Export
from .instructions import InstructionFiles
from .optimize import OptimizeContext
from .recall import Recall
from .search import Search
from .sessions import Sessions
from .status import Status
from .tag import Tag
from .watch import StoreWatcher

FEATURES = (Sessions, Status, Recall, StoreWatcher, Export, Tag, OptimizeContext, InstructionFiles, Search)

__all__ = ["FEATURES"]
