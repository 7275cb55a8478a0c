"""The language server refuses the bad values every door refuses (tests/argument_cases.py):
an InvalidParams error in the words the MCP tools use."""

from __future__ import annotations

import pytest
from argument_cases import CASES
from lsp_client import start
from pygls.exceptions import JsonRpcException

pytestmark = pytest.mark.asyncio


async def test_each_request_and_command_refuses_a_bad_argument_naming_it():
    lsp = await start()
    try:
        for case in CASES:
            if case.lsp is None:
                continue
            method, params = case.lsp
            with pytest.raises(JsonRpcException) as e:
                if method.startswith("llmSession/"):
                    await lsp.request(method, params)
                else:
                    await lsp.command(method, *params)
            assert (e.value.code, e.value.message) == (-32602, case.says), case.what
    finally:
        await lsp.stop()
