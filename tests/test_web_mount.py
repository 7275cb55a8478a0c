"""Another server mounts the dashboard's pages under a path of its own, as the team server will.

The same app ``serve`` uses (``frontends/web/app.build`` over the local store's
source) is mounted at ``/dashboard`` in a Starlette app of the test's, and
driven over ASGI in trio, as Hypercorn's trio worker drives it: the shell
points at its script and API under the mount, and the API answers there.
"""

from __future__ import annotations

import json
from typing import Any

import trio
from starlette.applications import Starlette
from starlette.routing import Mount

from llm_session_manager.frontends.web.app import build
from llm_session_manager.frontends.web.local_source import LocalSource
from llm_session_manager.runtime.engine import Engine


async def _get(app: Any, path: str) -> tuple[int, bytes]:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
             "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_a_server_mounting_the_pages_under_a_path_gets_links_and_answers_under_it(store):
    host = Starlette(routes=[Mount("/dashboard", app=build(LocalSource(Engine(scan_before_reads=False))))])

    async def main() -> None:
        status, shell = await _get(host, "/dashboard/")
        assert status == 200
        assert b'data-root="/dashboard"' in shell and b'src="/dashboard/static/app.js"' in shell
        status, script = await _get(host, "/dashboard/static/app.js")
        assert status == 200 and len(script) > 10_000
        status, body = await _get(host, "/dashboard/api/view")
        assert status == 200
        view = json.loads(body)
        assert len(view["sessions"]) == view["overview"]["sessions"] == store["sessions"]
        status, body = await _get(host, "/dashboard/api/sessions/no-such-session")
        assert status == 404 and "no-such-session" in json.loads(body)["error"]

    trio.run(main)
