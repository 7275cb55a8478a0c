"""The rules, in the order they run: provider tokens, URLs and commands, names, context."""

from __future__ import annotations

import re
from collections.abc import Callable

from ._context import _NEAR, _PROSE_PASSWORD, _judge_prose_password, _replace_near
from ._engine import _Judge, _Rule, _rule, _splice, _Where, lazy, marker
from ._names import _first_value, _judge_named, _name_around
from ._values import _PLACEHOLDER, _plausible, _random_looking

_SECRET_WORD = r"(?i:pass|pwd|pswd|secret|token|key|cred|auth)"
_SECRET_WORD_KEYWORDS = "pass pwd pswd secret token key cred auth"

# NAME=value, NAME: value, "NAME": "value", NAME := value, NAME => value,
# os.environ["NAME"] = value, name: str = "value"; JSON-escaped quotes too.
# A bare value must end the line or be followed by more words (not `}` `)` `,`,
# which would make it a variable in a call or object literal).
_ASSIGNMENT = lazy(
    _SECRET_WORD
    + r"""[A-Za-z0-9_.-]*+
    (?: \\?["']\]?[ \t]*(?::=|=>|=|:)                  # "name": / "name" : / ["name"] =
      | \\?["'][ \t]*(?P<comma>,)(?=[ \t]*\\?["'])      # define('NAME', 'value')
      | \]?(?:[ \t]*:[ \t]*[A-Za-z_][\w.]*(?:\[[\w.\[\], |]*\])?(?:[ \t]*\|[ \t]*[A-Za-z_][\w.]*)*)?
        (?:[ \t]*(?::=|=>|\?=|=)|:) )                    # name = / name: / name: str =
    [ \t]*
    (?: \\?"(?P<dq>[^"\\\r\n]{1,512})\\?"
      | '(?P<sq>[^'\\\r\n]{1,512})'
      | (?P<bare>[^\s"'`,;&|(){}\[\]<>\\=][^\s"'`,;(){}\[\]<>\\]{0,511}+)
        (?=[ \t]*(?:$|[\r\n#;]|\\[nrt"])|["']|[ \t]+[^\s}\]),]) )""",
    re.X | re.M,
)


_CALL_OPENS = lazy(r"""[\w.]\([ \t]*\\?["']$""")  # get(" — NAME is a call's first argument


def _judge_assignment(match: re.Match[str]) -> tuple[str, _Where] | None:
    name, start = _name_around(match)
    if match.group("comma") and not _CALL_OPENS.search(match.string, max(0, start - 20), start):
        return None  # NAME, value only as a call's first two arguments, not in a list of names
    bare = match.group("bare")
    if bare is not None and "&" in bare and start and match.string[start - 1] in "?&":
        # a URL's query string: the value ends where the next parameter begins
        value = bare[: bare.index("&")]
        kind = _judge_named(name, value, quoted=False)
        return None if kind is None else (kind, (match.start("bare"), match.start("bare") + len(value)))
    return _first_value(match, name, ("dq", "sq", "bare"))


# --flag value, --flag=value, --flag "value"
_FLAG = lazy(
    r"--(?P<name>[A-Za-z0-9_-]*?" + _SECRET_WORD + r"""[A-Za-z0-9_-]*+)(?:=|[ \t]+)
    (?: "(?P<dq>[^"\r\n]{1,512})" | '(?P<sq>[^'\r\n]{1,512})'
      | (?P<bare>[^\s"'`;&|<>(){}\[\]\\-][^\s"'`;&|<>(){}\[\]\\]{0,511}+) )""",
    re.X,
)


def _judge_flag(match: re.Match[str]) -> tuple[str, _Where] | None:
    start = match.start()
    if start and (match.string[start - 1].isalnum() or match.string[start - 1] in "_-"):
        return None
    return _first_value(match, match.group("name"), ("dq", "sq", "bare"))


# <password>value</password>, found from the secret word inside the tag name.
_XML = lazy(_SECRET_WORD + r"[\w.:-]*+>(?P<v>[^<>\s]{1,512})</(?P<close>[\w.:-]+)>")


def _judge_xml(match: re.Match[str]) -> tuple[str, _Where] | None:
    name, start = _name_around(match)
    if start == 0 or match.string[start - 1] != "<" or match.group("close") != name:
        return None
    kind = _judge_named(name, match.group("v"), quoted=True)
    return None if kind is None else (kind, "v")


# -----BEGIN ... PRIVATE KEY----- body -----END ... PRIVATE KEY-----. A key
# pasted without its END line still loses its body (the `w` branch).
_PEM = lazy(
    r"""-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE[ ]KEY(?:[ ]BLOCK)?-----
    (?: (?P<v>[\s\S]{1,16384}?)-----END[ A-Z0-9_-]{0,100}PRIVATE[ ]KEY(?:[ ]BLOCK)?-----
      | (?P<w>(?:(?:\\r)?(?:\\n|\r?\n)(?:[A-Za-z-]+:[^\r\n\\]*|[A-Za-z0-9+/=]{8,}))+) )""",
    re.I | re.X,
)


def _replace_pem(match: re.Match[str], found: dict[str, int]) -> str:
    """Keep the armour lines (they say what kind of key it was), drop the body."""
    group = "v" if match.group("v") is not None else "w"
    body = match.group(group)
    if body.replace("\\n", "\n").strip() == marker("private-key"):
        return match.group(0)
    found["private-key"] = found.get("private-key", 0) + 1
    newline = "\\n" if "\\n" in body else "\r\n" if "\r\n" in body else "\n"
    return _splice(match, group, newline + marker("private-key") + (newline if group == "v" else ""))


# scheme://user:password@host: only the password goes; the scheme names the kind.
_URL_CREDENTIALS = lazy(r"://(?P<user>[^\s:/?#@'\"<>\[\]{}]*):(?P<v>[^\s/?#'\"<>\[\]]+)@(?=[\w\[])")
_DATABASE_SCHEMES = frozenset(
    "postgres postgresql pgsql mysql mariadb mongodb mongodb+srv redis rediss valkey amqp amqps mssql "
    "sqlserver oracle clickhouse cockroachdb couchdb neo4j bolt cassandra memcached snowflake db2 kafka "
    "nats mqtt rabbitmq elasticsearch influxdb".split()
)


def _judge_url(match: re.Match[str]) -> tuple[str, _Where] | None:
    if _PLACEHOLDER.search(match.group("v")):
        return None
    text, start = match.string, match.start()
    scheme_start = start
    while scheme_start > 0 and (text[scheme_start - 1].isalnum() or text[scheme_start - 1] in "+.-"):
        scheme_start -= 1
    scheme = text[scheme_start:start].lower()
    return ("connection-string" if scheme in _DATABASE_SCHEMES else "basic-auth"), "v"


_AUTHORIZATION = lazy(
    r"""(?i:authorization)\\?["']?[ \t]*[:=][ \t]*\\?["']?
    (?:(?P<scheme>(?i:bearer|basic|token|bot|apikey|api-key|sso-key))[ \t]+)?
    (?P<v>[A-Za-z0-9._~+/=:-]{8,}+)""",
    re.X,
)


def _judge_authorization(match: re.Match[str]) -> tuple[str, _Where] | None:
    value, scheme = match.group("v"), match.group("scheme")
    if _PLACEHOLDER.search(value) or (scheme is None and not (len(value) >= 16 and _random_looking(value))):
        return None
    return ("basic-auth" if (scheme or "").lower() == "basic" else "bearer-token"), "v"


def _fixed(kind: str, check: Callable[[str], bool] | None = None) -> _Judge:
    """Judge for a rule whose pattern alone identifies the secret (group ``v``)."""

    def judge(match: re.Match[str]) -> tuple[str, _Where] | None:
        return None if check is not None and not check(match.group("v")) else (kind, "v")

    return judge


def _literal(kind: str) -> _Judge:
    """Judge for a value given on a command line, which may be quoted."""

    def judge(match: re.Match[str]) -> tuple[str, _Where] | None:
        group = next(g for g in ("sq", "dq", "v") if match.group(g) is not None)
        return None if _PLACEHOLDER.search(match.group(group)) else (kind, group)

    return judge


_END = r"(?![A-Za-z0-9_-])"  # a token ends where its alphabet does
_START = r"(?<![A-Za-z0-9_])"  # ... and starts where it begins
_QUOTED_OR_BARE = r"""(?:'(?P<sq>[^'\n]+)'|"(?P<dq>[^"\n]+)"|(?P<v>[^\s'"-][^\s'"]*))"""


# Order matters: provider tokens first, so a token gets its provider's name and
# leaves a marker the generic rules below will not look at again.
_RULES: tuple[_Rule, ...] = (
    _rule("-----begin", _PEM, replace=_replace_pem),
    _rule("sk-ant-", _START + r"(?P<v>sk-ant-[A-Za-z0-9_-]{20,})" + _END, _fixed("anthropic-api-key")),
    _rule(
        "sk-",
        _START + r"(?P<v>sk-(?:proj|svcacct|service|admin)-[A-Za-z0-9_-]{20,}|sk-[A-Za-z0-9]{32,})" + _END,
        _fixed("openai-api-key", lambda v: _random_looking(v[3:])),
    ),
    _rule(
        "ghp_ gho_ ghu_ ghs_ ghr_ github_pat_",
        _START + r"(?P<v>gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])",
        _fixed("github-token"),
    ),
    _rule(
        "glpat- glptt- gldt- glrt- glcbt- glft- gloas- glsoat- glimt- glagent- glffct-",
        _START + r"(?P<v>gl(?:pat|ptt|dt|rt|cbt|ft|oas|soat|imt|agent|ffct)-[A-Za-z0-9_-]{20,}"
        r"(?:\.[A-Za-z0-9]{2,}){0,2})" + _END,
        _fixed("gitlab-token"),
    ),
    _rule(
        "xox xapp-",
        _START + r"(?P<v>xox[abeoprs]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,})" + _END,
        _fixed("slack-token"),
    ),
    _rule(
        "hooks.slack.com",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<v>[A-Za-z0-9_+/-]{20,})",
        _fixed("slack-webhook"),
    ),
    _rule(
        "sk_live_ sk_test_ sk_prod_ rk_live_ rk_test_ rk_prod_ whsec_",
        _START + r"(?P<v>[rs]k_(?:live|test|prod)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9+/=]{20,})" + _END,
        _fixed("stripe-key"),
    ),
    _rule(
        "akia asia abia acca a3t",
        _START + r"(?P<v>(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})(?![A-Za-z0-9_])",
        _fixed("aws-access-key", lambda v: len(set(v[4:])) >= 6),
    ),
    _rule("aiza", _START + r"(?P<v>AIza[0-9A-Za-z_-]{35})" + _END, _fixed("google-api-key")),
    _rule(
        "npm_", _START + r"(?P<v>npm_[A-Za-z0-9]{36})" + _END, _fixed("npm-token", lambda v: len(set(v)) >= 10)
    ),
    _rule(
        "hf_",
        _START + r"(?P<v>hf_[A-Za-z0-9]{30,40})" + _END,
        _fixed("huggingface-token", lambda v: sum(map(str.isupper, v)) >= 6 and sum(map(str.islower, v)) >= 8),
    ),
    _rule(
        "eyj",
        _START + r"(?P<v>eyJ[A-Za-z0-9_-]{8,}\.(?:eyJ[A-Za-z0-9_-]{4,}\.(?:[A-Za-z0-9_-]+)?"
        r"|[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}))" + _END,
        _fixed("jwt"),
    ),
    _rule("://", _URL_CREDENTIALS, _judge_url),
    _rule(
        "awssecret aws_secret aws-secret aws.secret secretaccess secret_access secret-access",
        r"""(?i:aws[_.-]?secret|secret[_.-]?access)[A-Za-z0-9_.-]*\\?["']?\]?[ \t]*(?::=|=>|=|:)[ \t]*\\?["']?"""
        r"(?P<v>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        _fixed("aws-secret-key", _random_looking),
    ),
    _rule("authorization", _AUTHORIZATION, _judge_authorization),
    _rule(
        "bearer", _START + r"[Bb]earer[ \t]+(?P<v>[A-Za-z0-9._~+/-]{20,}=*)", _fixed("bearer-token", _random_looking)
    ),
    _rule(
        "curl",
        _START + r"""curl\b[^\n]{0,1000}?[ \t](?:-u|--user)(?:[ \t]+|=)["']?[^\s:"']*:(?P<v>[^\s"']+)""",
        _fixed("basic-auth", lambda v: not _PLACEHOLDER.search(v)),
    ),
    _rule(
        "mysql mariadb sshpass",
        _START + r"(?:(?:mysql|mysqldump|mysqladmin|mariadb)\b[^\n]{0,500}?[ \t]-p|sshpass[ \t]+-p[ \t]*)"
        + _QUOTED_OR_BARE,
        _literal("password"),
    ),
    _rule(
        "machine", _START + r"machine\s+\S+\s+(?:login\s+\S+\s+)?password\s+" + _QUOTED_OR_BARE, _literal("password")
    ),
    _rule(  # SQL: CREATE ROLE x WITH LOGIN PASSWORD '...', ALTER USER x IDENTIFIED BY '...'
        "password identified",
        r"(?:(?:(?<=(?i:with)[ \t])|(?<=(?i:login)[ \t])|(?<=(?i:encrypted)[ \t]))(?i:password)"
        r"|(?i:identified)[ \t]+(?i:by))[ \t]+'(?P<v>[^'\s]{1,512})'",
        _fixed("password", lambda v: _plausible(v, "password", True, quoted=True, env_name=False)),
    ),
    _rule("--", _FLAG, _judge_flag),
    _rule(_SECRET_WORD_KEYWORDS, _XML, _judge_xml),
    _rule(_SECRET_WORD_KEYWORDS, _ASSIGNMENT, _judge_assignment),
    _rule("password passwd passphrase", _PROSE_PASSWORD, _judge_prose_password),
    _rule("secret password passwd passphrase token key credential [redacted:aws-access-key]", _NEAR,
          replace=_replace_near),
)
