"""Whether an HTTP request names this machine: the DNS rebinding check of serve's HTTP routes.

On loopback, ``serve`` answers only requests whose ``Host`` (and ``Origin``,
if sent) is a local name, with or without a port: a web page in the user's
browser must not reach the user's data through a hostile DNS name that
resolves to 127.0.0.1. MCP gets the same rule from its SDK (``local_only``
in ``__init__.py``); the routes of our own (OTLP, ``/metrics``) ask here.
"""

from __future__ import annotations


def local(headers: dict[str, str]) -> bool:
    """Whether ``Host`` and any ``Origin`` in ``headers`` (lower-case names) name this machine."""
    from ...runtime.serve_address import is_loopback

    def local_name(authority: str) -> bool:
        host = authority.rsplit("]", 1)[0] + "]" if authority.startswith("[") else authority.split(":")[0]
        return is_loopback(host)

    origin = headers.get("origin")
    if origin is not None and not local_name(origin.split("://", 1)[-1].split("/")[0]):
        return False
    return local_name(headers.get("host", ""))
