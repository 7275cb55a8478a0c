"""The ways in: the CLI, the MCP and language servers, the terminal dashboard and ``serve``.

Each parses a request, calls one service and presents the answer.
"""
