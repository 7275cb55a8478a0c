"""The MCP server: the SDK's low-level ``Server`` routing to our tools, resources and prompts.

The low-level server rather than ``MCPServer`` because our tools are already
typed by msgspec structs (``tool.py``): they give the schemas and the
validation, so a second, pydantic description of each tool would only drift.
The SDK's runner does the rest -- the handshake with clients of every protocol
version it knows (2024-11-05 onwards, so v1 and v2 SDK clients alike),
JSON-RPC, stdio and streamable HTTP.

Errors never take the server down: bad arguments and our one-line
``LlmSessionError``s are tool errors (``isError``) the model can read and act
on; anything else is logged with its traceback and reported as an internal error.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError

from ... import __version__
from ...core import logs
from ...runtime.engine import Engine

NAME = "llm-session"
RESOURCE_NOT_FOUND = -32002  # MCP's code for an unknown resource
INSTRUCTIONS = (
    "llm-session-manager knows every AI coding session on this machine (Claude Code, Codex, ...): "
    "tokens, cost, context fill, health, and what past sessions learned. Call session_status with your "
    "working directory to see how full your context is; recall before a task to reuse what is known; "
    "remember what the next session should know."
)
logger = logging.getLogger(__name__)


def build_server(engine: Engine) -> Server:
    h = _Handlers(engine)
    return Server(
        NAME,
        version=__version__,
        title="LLM Session Manager",
        instructions=INSTRUCTIONS,
        on_list_tools=h.list_tools,
        on_call_tool=h.call_tool,
        on_list_resources=h.list_resources,
        on_list_resource_templates=h.list_resource_templates,
        on_read_resource=h.read_resource,
        on_list_prompts=h.list_prompts,
        on_get_prompt=h.get_prompt,
    )


class _Handlers:
    """Request handlers; our modules are imported on first use, not at start-up."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def list_tools(self, ctx: Any, params: Any) -> types.ListToolsResult:
        from .tools import TOOLS

        return types.ListToolsResult(tools=[
            types.Tool(
                name=t.name,
                title=t.title,
                description=t.description,
                input_schema=t.input_schema,
                output_schema=t.output_schema,
                annotations=types.ToolAnnotations(
                    read_only_hint=t.read_only, destructive_hint=False,
                    idempotent_hint=t.idempotent, open_world_hint=False,
                ),
            )
            for t in TOOLS.values()
        ])

    async def call_tool(self, ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        from ...core.errors import BadArgument, LlmSessionError
        from .tool import to_json
        from .tools import TOOLS

        tool = TOOLS.get(params.name)
        if tool is None:
            raise MCPError(types.INVALID_PARAMS, f"unknown tool {params.name!r}; see tools/list")
        try:
            args = tool.parse(params.arguments)
            extra = (writer_label(ctx, tool.name),) if tool.signed else ()
            data = to_json(await self.engine.call(tool.run, args, *extra, fresh=tool.fresh))
        except BadArgument as e:  # from parsing them, or a service's finer check (a date, a bound)
            return _tool_error(f"invalid arguments for {tool.name}: {e}")
        except LlmSessionError as e:
            return _tool_error(str(e))
        except Exception as e:  # a bug: the model gets one line, the log the traceback
            logger.exception("tool %s failed", tool.name)
            return _tool_error(f"internal error in {tool.name}: {e.__class__.__name__}: {e}")
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=json.dumps(data, ensure_ascii=False, separators=(",", ":")))],
            structured_content=data,
        )

    async def list_resources(self, ctx: Any, params: Any) -> types.ListResourcesResult:
        from . import resources

        listed = await self._service(resources.list_sessions, fresh=True)
        return types.ListResourcesResult(
            resources=[types.Resource(mime_type="application/json", **r) for r in listed]
        )

    async def list_resource_templates(self, ctx: Any, params: Any) -> types.ListResourceTemplatesResult:
        from .resources import TEMPLATES

        return types.ListResourceTemplatesResult(resource_templates=[
            types.ResourceTemplate(uri_template=uri, name=name, description=text, mime_type="application/json")
            for uri, name, text in TEMPLATES
        ])

    async def read_resource(self, ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        from . import resources

        uri = str(params.uri)
        text = await self._service(resources.read, uri, fresh=uri.startswith("session:"))
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, mime_type="application/json", text=text)]
        )

    async def list_prompts(self, ctx: Any, params: Any) -> types.ListPromptsResult:
        from .prompts import PROMPTS

        return types.ListPromptsResult(prompts=[
            types.Prompt(
                name=name, description=description,
                arguments=[types.PromptArgument(name=a, description=d, required=r) for a, d, r in arguments],
            )
            for name, (description, arguments) in PROMPTS.items()
        ])

    async def get_prompt(self, ctx: Any, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        from . import prompts

        description, text = await self._service(prompts.render, params.name, params.arguments or {}, fresh=True)
        return types.GetPromptResult(
            description=description,
            messages=[types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))],
        )

    async def _service(self, fn: Any, *args: Any, fresh: bool = False) -> Any:
        """A service call for a non-tool request: our errors become JSON-RPC errors."""
        from ...core.errors import BadInput, LlmSessionError, NotFound

        try:
            return await self.engine.call(fn, *args, fresh=fresh)
        except NotFound as e:
            raise MCPError(RESOURCE_NOT_FOUND, str(e)) from None
        except BadInput as e:
            raise MCPError(types.INVALID_PARAMS, str(e)) from None
        except LlmSessionError as e:
            raise MCPError(types.INTERNAL_ERROR, str(e)) from None


def writer_label(ctx: Any, tool: str) -> str:
    """Who is writing: the client's name and version from ``initialize``, and the tool.

    A client that did not say (or a transport that carries no handshake) is
    still labelled as an MCP client, never as a person.
    """
    params = getattr(getattr(ctx, "session", None), "client_params", None)
    info = getattr(params, "client_info", None)
    name = " ".join(str(getattr(info, "name", "") or "").split())[:80] or "unknown MCP client"
    version = " ".join(str(getattr(info, "version", "") or "").split())[:40]
    return f"{name} {version} via {tool}" if version else f"{name} via {tool}"


def _tool_error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], is_error=True)


# --- stdio -------------------------------------------------------------------


async def serve_stdio(config_path: Path | None = None) -> None:
    from mcp.server.stdio import stdio_server

    server = build_server(Engine(config_path))
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def run_stdio(config_path: Path | None = None, verbose: bool = False) -> int:
    """Serve one MCP client over stdin/stdout, on trio, until it closes the pipe."""
    logs.to_stderr(verbose)
    # One BLAS thread, set before numpy loads (on the first recall): a recall's matrix products
    # are small, and a second OpenBLAS thread made them 2-3x slower on a busy 2-core machine.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    anyio.run(serve_stdio, config_path, backend="trio")
    return 0
