"""The report as a comment on the pull or merge request, updated in place rather than posted again.

The comment is found by the hidden marker its body starts with
(``ci_markdown.MARKER``) among the request's comments, and edited; only when
none has it is a new one posted. Where it runs is told from the variables the
CI sets:

* GitHub Actions: ``GITHUB_API_URL``, ``GITHUB_REPOSITORY``, the pull request's
  number from the event (``GITHUB_EVENT_PATH``), and ``GITHUB_TOKEN`` (the job's
  token, given to the step; it needs ``pull-requests: write``).
* GitLab CI: ``CI_API_V4_URL``, ``CI_PROJECT_ID``, ``CI_MERGE_REQUEST_IID``, and a
  token that may write notes in ``GITLAB_TOKEN`` (a project access token: the
  job's own token cannot).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

import msgspec

from ..core.errors import CiCommentError
from .ci_markdown import MARKER

TIMEOUT = 30.0
PAGE = 100


class Posted(msgspec.Struct):
    platform: str  # github | gitlab
    url: str  # the comment's API address
    action: str  # created | updated


def post(body: str, env: Mapping[str, str] | None = None) -> Posted:
    """Create or update the report comment where ``env`` (the CI's variables) says the job runs."""
    env = os.environ if env is None else env
    if env.get("GITHUB_ACTIONS") == "true" or env.get("GITHUB_API_URL"):
        return _github(body, env)
    if env.get("GITLAB_CI") == "true" or env.get("CI_API_V4_URL"):
        return _gitlab(body, env)
    raise CiCommentError("no pull or merge request to comment on: neither GitHub Actions nor GitLab CI variables are set")


def _github(body: str, env: Mapping[str, str]) -> Posted:
    token = env.get("GITHUB_TOKEN") or _missing("GITHUB_TOKEN (give the step the job's token)")
    repo = env.get("GITHUB_REPOSITORY") or _missing("GITHUB_REPOSITORY")
    number = _pull_number(env)
    api = env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
               "X-GitHub-Api-Version": "2022-11-28"}
    listing = f"{api}/repos/{repo}/issues/{number}/comments"
    comment = _marked(listing, headers)
    if comment is not None:
        url = f"{api}/repos/{repo}/issues/comments/{comment['id']}"
        _call("PATCH", url, headers, {"body": body})
        return Posted("github", url, "updated")
    made = _call("POST", listing, headers, {"body": body})
    return Posted("github", str(made.get("url", listing)), "created")


def _pull_number(env: Mapping[str, str]) -> int:
    path = env.get("GITHUB_EVENT_PATH")
    try:
        with open(path or "", encoding="utf-8") as f:
            event = json.load(f)
    except (OSError, ValueError):
        event = {}
    number = (event.get("pull_request") or {}).get("number") or event.get("number")
    if not isinstance(number, int):
        raise CiCommentError(f"this run is not for a pull request ({env.get('GITHUB_EVENT_NAME', 'no event')}): "
                             "nothing to comment on")
    return number


def _gitlab(body: str, env: Mapping[str, str]) -> Posted:
    token = env.get("GITLAB_TOKEN") or _missing("GITLAB_TOKEN (a project access token with the api scope)")
    iid = env.get("CI_MERGE_REQUEST_IID") or _missing("CI_MERGE_REQUEST_IID (run the job in a merge request pipeline)")
    project = urllib.parse.quote(env.get("CI_PROJECT_ID") or _missing("CI_PROJECT_ID"), safe="")
    api = (env.get("CI_API_V4_URL") or _missing("CI_API_V4_URL")).rstrip("/")
    headers = {"PRIVATE-TOKEN": token}
    notes = f"{api}/projects/{project}/merge_requests/{iid}/notes"
    note = _marked(notes, headers)
    if note is not None:
        url = f"{notes}/{note['id']}"
        _call("PUT", url, headers, {"body": body})
        return Posted("gitlab", url, "updated")
    made = _call("POST", notes, headers, {"body": body})
    return Posted("gitlab", f"{notes}/{made.get('id', '')}", "created")


def _marked(listing: str, headers: dict[str, str]) -> dict[str, Any] | None:
    """The first comment (GitHub) or note (GitLab) at ``listing`` that carries ``MARKER``, page by page."""
    page = 1
    while True:
        found = _call("GET", f"{listing}?per_page={PAGE}&page={page}", headers)
        for comment in found if isinstance(found, list) else []:
            if MARKER in str(comment.get("body", "")):
                return comment
        if not isinstance(found, list) or len(found) < PAGE:
            return None
        page += 1


def _missing(what: str) -> str:
    raise CiCommentError(f"cannot comment: {what} is not set")


def _call(method: str, url: str, headers: Mapping[str, str], payload: dict[str, Any] | None = None) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={**headers, **({"Content-Type": "application/json"} if data else {})})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as response:
            raw = response.read()
    except urllib.error.HTTPError as e:
        raise CiCommentError(f"{method} {url} was refused ({e.code}): {e.read()[:200].decode(errors='replace')}") from e
    except (OSError, urllib.error.URLError) as e:
        raise CiCommentError(f"cannot reach {url}: {getattr(e, 'reason', e)}") from e
    try:
        return json.loads(raw) if raw else {}
    except ValueError as e:
        raise CiCommentError(f"{method} {url} answered something other than JSON") from e
