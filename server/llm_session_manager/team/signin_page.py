"""The sign-in page: a plain HTML form, posted to ``/auth/login``, for people rather than scripts.

The form carries ``next``, the dashboard page to go back to; ``/auth/login``
then answers with a redirect there (or back here, saying why it failed)
instead of JSON. ``next`` must be a path on this server, never another host.
Nothing on the page runs a script, so it needs none of the dashboard's bundle.
Its referrer policy is ``same-origin``, not ``no-referrer``: under ``no-referrer``
a browser sends ``Origin: null`` with the form's POST, which the login's origin
check (``web_session.check_origin``) must refuse; ``same-origin`` still tells
other sites nothing.
"""

from __future__ import annotations

import html
import urllib.parse

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

PATH = "/auth/signin"
HOME = "/dashboard/"
_HEADERS = {"content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                       "frame-ancestors 'none'", "cache-control": "no-store",
            "referrer-policy": "same-origin", "x-content-type-options": "nosniff"}
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>Sign in — LLM sessions</title>
<style>body{{font:16px system-ui,sans-serif;max-width:22rem;margin:4rem auto;padding:0 1rem}}
label{{display:block;margin:.8rem 0}}input{{display:block;width:100%;padding:.4rem;font:inherit}}
button{{margin-top:.8rem;padding:.4rem 1rem;font:inherit}}[role=alert]{{color:#b00020}}</style></head>
<body><main><h1>Sign in</h1>{error}
<form method="post" action="/auth/login">
<input type="hidden" name="next" value="{next}">
<label>User name <input name="user" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form></main></body></html>
"""


def next_path(value: str | None) -> str | None:
    """``value`` if it is a path on this server (``/...``, not ``//host``); None otherwise."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    return value


async def page(request: Request) -> Response:
    back = next_path(request.query_params.get("next")) or HOME
    failed = request.query_params.get("error")
    error = f'<p role="alert">{html.escape(failed)}</p>' if failed else ""
    return Response(_PAGE.format(error=error, next=html.escape(back)), media_type="text/html; charset=utf-8",
                    headers=_HEADERS)


def to_signin(back: str, error: str | None = None) -> Response:
    """A redirect to this page, to come back to ``back`` once signed in."""
    query = {"next": back, **({"error": error} if error else {})}
    return RedirectResponse(f"{PATH}?{urllib.parse.urlencode(query)}", 303)
