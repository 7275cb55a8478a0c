"""The MCP server (``llm-session mcp`` over stdio, ``/mcp`` in ``llm-session serve``).

``server`` builds the SDK's low-level ``Server`` and routes requests to the
services through ``runtime.engine`` (worker threads, one store connection per
thread); ``tool`` is the small base every tool is made of; ``tools/`` holds one
module per group of tools; ``resources`` and ``prompts`` the rest of the
surface; ``install`` writes the entry each MCP client needs. docs/mcp.md
describes it all for users.

Nothing is imported here: ``llm-session mcp install`` must not pay for the
SDK, and ``llm-session mcp`` must answer ``initialize`` as fast as a bare SDK
server, so services load on the first call that needs them.
"""
