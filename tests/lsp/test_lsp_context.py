"""The code lens on an instruction file says which of its sections the latest session here never needed:
the billing project's CLAUDE.md (tests/context_fixture.py), whose Deployment section nothing in its
session touched on, over the real server and real pipes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from context_fixture import SESSION, billing_logs
from lsp_client import start
from lsprotocol import types

pytestmark = pytest.mark.asyncio


async def test_code_lens_marks_the_claude_md_sections_the_session_never_needed(tmp_path, monkeypatch):
    billing = billing_logs(tmp_path, monkeypatch)
    scan = subprocess.run([sys.executable, "-m", "llm_session_manager", "scan", "--json"],
                          capture_output=True, text=True, env=dict(os.environ), timeout=120)
    assert scan.returncode == 0, scan.stderr
    server = await start(env=dict(os.environ))
    try:
        uri = server.open(billing.project / "CLAUDE.md")
        lenses = await server.client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        hover = await server.client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=9, character=0)))
    finally:
        await server.stop()
    titles = {lens.range.start.line: lens.command.title for lens in lenses}
    assert set(titles) == {0, 4, 8}  # the file (its heading is on line 1), Testing, Deployment
    assert titles[0].endswith(f" · 1 of 3 sections never relevant in session {SESSION[:8]}")
    assert titles[4].startswith("about ") and "never relevant" not in titles[4]
    assert titles[8].startswith("about ") and titles[8].endswith(f" tokens · never relevant in session {SESSION[:8]}")
    assert "This section (`Deployment`): about " in hover.contents.value
    assert f" · never relevant in session {SESSION[:8]}." in hover.contents.value
