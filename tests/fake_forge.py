"""A loopback stand-in for the comment APIs of GitHub (issues comments) and GitLab (merge request notes).

It keeps comments in memory, records every request (method, path, headers,
body) for the tests to assert on, and answers as the real APIs do for the
calls ``ci report --comment`` makes. Nothing leaves the machine: the tests point
``GITHUB_API_URL`` / ``CI_API_V4_URL`` at it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Request:
    method: str
    path: str  # without the query
    query: str
    headers: dict[str, str]  # names in lower case: HTTP does not care, urllib capitalizes its own way
    body: Any


@dataclass
class Forge:
    url: str = ""
    requests: list[Request] = field(default_factory=list)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> {"id", "body"}
    next_id: int = 1000

    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method != "GET"]


_GITHUB_LIST = re.compile(r"^/repos/[^/]+/[^/]+/issues/(\d+)/comments$")
_GITHUB_ONE = re.compile(r"^/repos/[^/]+/[^/]+/issues/comments/(\d+)$")
_GITLAB_LIST = re.compile(r"^/api/v4/projects/[^/]+/merge_requests/(\d+)/notes$")
_GITLAB_ONE = re.compile(r"^/api/v4/projects/[^/]+/merge_requests/\d+/notes/(\d+)$")


@contextmanager
def serve(forge: Forge | None = None) -> Iterator[Forge]:
    forge = forge or Forge()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, value: Any) -> None:
            data = json.dumps(value).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            forge.requests.append(Request(self.command, parts.path, parts.query,
                                          {k.lower(): v for k, v in self.headers.items()}, body))
            if self.command == "GET" and (_GITHUB_LIST.match(parts.path) or _GITLAB_LIST.match(parts.path)):
                page = int(dict(p.split("=") for p in parts.query.split("&") if "=" in p).get("page", "1"))
                listed = list(forge.comments.values())
                self._answer(200, listed[(page - 1) * 100: page * 100])
            elif self.command == "POST" and (_GITHUB_LIST.match(parts.path) or _GITLAB_LIST.match(parts.path)):
                forge.next_id += 1
                forge.comments[forge.next_id] = {"id": forge.next_id, "body": body["body"]}
                self._answer(201, {**forge.comments[forge.next_id], "url": f"{forge.url}/comment/{forge.next_id}"})
            elif self.command in ("PATCH", "PUT") and (m := (_GITHUB_ONE.match(parts.path)
                                                             or _GITLAB_ONE.match(parts.path))):
                comment = forge.comments.get(int(m.group(1)))
                if comment is None:
                    self._answer(404, {"message": "Not Found"})
                    return
                comment["body"] = body["body"]
                self._answer(200, comment)
            else:
                self._answer(404, {"message": "Not Found"})

        do_GET = do_POST = do_PATCH = do_PUT = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    forge.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield forge
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
