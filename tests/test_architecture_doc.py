"""docs/architecture.md's code map names every module a newcomer would look for."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "server" / "llm_session_manager"
# Their modules are named one by one in the map; the other packages are described whole.
LAYERS = ("core", "sources", "ingest", "store", "services", "runtime", "frontends",
          "frontends/cli", "frontends/mcp_server", "frontends/lsp")


def _parts(directory: Path) -> list[Path]:
    return [p for p in sorted(directory.iterdir())
            if p.name not in ("__init__.py", "__main__.py", "__pycache__")
            and (p.is_dir() or p.suffix == ".py")]


def test_the_code_map_names_every_module_of_the_package_and_of_each_layer():
    code_map = (ROOT / "docs" / "architecture.md").read_text().split("## Code map", 1)[1].split("\n## ", 1)[0]
    expected = _parts(PACKAGE) + [p for layer in LAYERS for p in _parts(PACKAGE / layer)]
    missing = [str(p.relative_to(PACKAGE)) for p in expected
               if not re.search(rf"`{re.escape(p.stem)}(\.py|/|`)", code_map)]
    assert missing == [], "add these to the code map in docs/architecture.md"
