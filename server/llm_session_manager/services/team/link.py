"""The team server this data dir joined: its URL and this device's token, kept private.

``team.json`` in the data dir, owner-only (mode 0600), like the serve token
beside it: whoever can read it can read the store anyway. Its token is the
device's secret; ``team join`` writes it, nothing prints it.
"""

from __future__ import annotations

import urllib.parse
import uuid
from pathlib import Path

import apsw
import msgspec

from ...core import whole_file
from ...core.errors import BadInput, TeamError
from ...core.paths import data_dir
from ...store.connection import write_transaction

FILE_NAME = "team.json"
_CLIENT_ID = "team_client_id"


class Link(msgspec.Struct):
    url: str  # the server's base URL, no trailing slash
    token: str


def path() -> Path:
    return data_dir() / FILE_NAME


def check_url(url: str, insecure: bool = False) -> str:
    """``url`` as a base URL; plain http only to this machine unless ``insecure``: the token must not cross
    a network in clear."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"the team server's URL must be http(s), like https://team.example.com, got {url!r}")
    local = parts.hostname in ("localhost", "::1") or parts.hostname.startswith("127.")
    if parts.scheme == "http" and not local and not insecure:
        raise BadInput(f"{url} is plain http to another machine, which would send the token in clear: "
                       "use https (the server's reverse proxy), or --insecure on a trusted network")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def save(link: Link) -> Path:
    """Write ``team.json`` (owner-only) in place of any earlier one."""
    target = path()
    whole_file.write(target, (msgspec.json.encode(link) + b"\n",), mode=0o600, parents=True)
    return target


def load() -> Link:
    """The joined server, or an error saying how to join one."""
    try:
        data = path().read_bytes()
    except FileNotFoundError:
        raise TeamError("this machine has joined no team server: run 'llm-session team join URL --token T'") from None
    except OSError as e:
        raise TeamError(f"cannot read {path()}: {e.strerror or e}") from e
    try:
        return msgspec.json.decode(data, type=Link)
    except msgspec.DecodeError as e:
        raise TeamError(f"{path()} is damaged ({e}): run 'llm-session team join URL --token T' again") from e


def client_id(conn: apsw.Connection) -> str:
    """This data dir's device id, made once: the server binds a device token to it."""
    with write_transaction(conn):
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (_CLIENT_ID,)).fetchone()
        if row is not None:
            return str(row[0])
        made = str(uuid.uuid4())
        conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (_CLIENT_ID, made))
    return made
