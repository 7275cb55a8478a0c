"""Secrets out of text before it is stored (ingest, memory) or exported.

Everything ingest stores (:func:`redact_many`), every memory and every export
passes through :func:`redact`. It replaces each secret's value with
``[REDACTED:<kind>]`` and keeps what tells a reader what was there: the
variable name, the URL's user and host, a PEM block's armour lines.

The rules follow the public catalogues (gitleaks' ``config/gitleaks.toml``,
detect-secrets' keyword and basic-auth plugins, trufflehog's URI, OpenAI and
private-key detectors; docs/redaction.md says which rule comes from where) and
lean the way they do: a token with a provider's fixed prefix is caught
anywhere, any other value only where a name, or the words just before it
("with secret ..."), say it is a secret. Hashes, UUIDs, git SHAs, integrity
strings and base64 payloads carry no such name, so they are left alone.

Speed matters because this runs over everything we keep. Every rule's pattern
begins with one of its literal keywords, so instead of letting the regex engine
try each position of the text, :func:`redact` finds the keywords with
``str.find`` on a lowercased copy and tries the pattern only there. Text with no
keyword in it costs a handful of substring searches and comes back unchanged.
"""

from __future__ import annotations

import functools
import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from itertools import accumulate
from typing import NamedTuple

import msgspec

__all__ = ["KINDS", "Redacted", "marker", "redact", "redact_many", "redact_text", "whole_words"]

KINDS: tuple[str, ...] = (
    "anthropic-api-key", "openai-api-key", "github-token", "gitlab-token", "slack-token",
    "slack-webhook", "stripe-key", "aws-access-key", "aws-secret-key", "google-api-key",
    "npm-token", "huggingface-token", "jwt", "private-key", "connection-string", "basic-auth",
    "bearer-token", "password", "secret", "token", "api-key",
)  # fmt: skip


class Redacted(msgspec.Struct, frozen=True):
    """Text with its secrets replaced, and how many of each kind were found."""

    text: str
    found: dict[str, int] = msgspec.field(default_factory=dict)


def marker(kind: str) -> str:
    """What a secret of ``kind`` is replaced with."""
    return f"[REDACTED:{kind}]"


def redact(text: str) -> Redacted:
    """Replace every secret in ``text``. Idempotent: a marker is never a secret."""
    return _redact(text, _RULES)


def _redact(text: str, rules: tuple[_Rule, ...], lowered: str | None = None) -> Redacted:
    found: dict[str, int] = {}
    lowered = _lower(text) if lowered is None else lowered
    for rule in rules:
        changed = _apply(rule, text, lowered, found)
        if changed is not text:
            text, lowered = changed, _lower(changed)
    return Redacted(text=text, found=found)


def redact_text(text: str) -> str:
    """:func:`redact` for callers that only want the text."""
    return redact(text).text


def redact_many(texts: list[str]) -> list[str]:
    """:func:`redact_text` of each of ``texts``, for ingest's hundreds of thousands.

    One call per text would pay for every keyword search each time (about
    20 µs for a short message). Here the keywords are searched once over all
    the texts joined, and a text in which some are found is tried with only
    the rules those keywords start. Where that finds a secret, the text is
    redacted again the ordinary way, since a marker may be the context a later
    rule looks for (an AWS secret near ``[REDACTED:aws-access-key]``).
    """
    if not texts:
        return texts
    lowered = _lower("\0".join(texts))
    ends = list(accumulate(len(t) + 1 for t in texts))  # where each text's separator is
    needles: dict[int, set[str]] = {}
    for search, group in _NEEDLE_GROUPS:
        hit = search(lowered)
        while hit is not None:
            i = bisect_right(ends, hit.start())
            needles.setdefault(i, set()).update(group)
            hit = search(lowered, ends[i])  # one hit is enough: on to the next text
    out = list(texts)
    for i, candidates in needles.items():
        text = texts[i]
        start = ends[i - 1] if i else 0
        low = lowered[start : start + len(text)]
        rules = _rules_for(frozenset(k for k in candidates if k in low))
        if _redact(text, rules, low).found:
            out[i] = redact(text).text
    return out


@functools.cache
def _rules_for(keywords: frozenset[str]) -> tuple[_Rule, ...]:
    """The rules that can match in a text holding just ``keywords``, each with
    only those of its keywords, in order."""
    rules = []
    for rule in _RULES:
        mine = tuple(k for k in rule.keywords if k in keywords)
        if mine:
            rules.append(rule._replace(keywords=mine))
    return tuple(rules)


def whole_words(text: str, cut_at: int = 80) -> str:
    """``text`` without its last word, if it may have been cut there.

    A title is the start of the first prompt, cut at 80 characters by its
    source (with or without a ``…``): the cut may leave a secret's first
    characters, too few for any rule to know them (an AWS secret needs all 40).
    The word the cut went through goes, before redaction looks, and ``…`` says so.
    """
    if len(text) < cut_at and not text.endswith("…"):
        return text
    kept = text.removesuffix("…")
    cut = max(kept.rfind(" "), kept.rfind("\t"), kept.rfind("\n"))
    return kept[:cut].rstrip() + "…" if cut > 0 else "…"


# --- engine -------------------------------------------------------------------

# A judge looks at a match and names the kind of secret and where it is (a
# group's name, or a span of the text), or says None: not a secret after all.
_Where = str | tuple[int, int]
_Judge = Callable[[re.Match[str]], "tuple[str, _Where] | None"]
_Replace = Callable[[re.Match[str], dict[str, int]], str]


class _Rule(NamedTuple):
    keywords: tuple[str, ...]  # lowercase; every match starts with one of them
    pattern: re.Pattern[str]
    replace: _Replace


def _lower(text: str) -> str:
    """``text.lower()`` with every offset kept: İ (U+0130) is the one letter whose
    lowercase is two characters, and no keyword needs it."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text.replace("\u0130", "I").lower()


def _apply(rule: _Rule, text: str, lowered: str, found: dict[str, int]) -> str:
    """``rule.pattern.sub`` over ``text``, but trying only where a keyword starts."""
    starts: list[int] = []
    for keyword in rule.keywords:
        at = lowered.find(keyword)
        while at != -1:
            starts.append(at)
            at = lowered.find(keyword, at + 1)
    if len(rule.keywords) > 1:
        starts.sort()
    pieces: list[str] = []
    done = 0
    for start in starts:
        if start < done:
            continue
        match = rule.pattern.match(text, start)
        if match is not None:
            replacement = rule.replace(match, found)
            if replacement != match.group(0):
                pieces += (text[done:start], replacement)
                done = match.end()
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def _splice(match: re.Match[str], where: _Where, replacement: str) -> str:
    """The match's text with a group, or a span, replaced."""
    whole, base = match.group(0), match.start()
    start, end = match.span(where) if isinstance(where, str) else where
    return whole[: start - base] + replacement + whole[end - base :]


def _by_judge(judge: _Judge) -> _Replace:
    def replace(match: re.Match[str], found: dict[str, int]) -> str:
        verdict = judge(match)
        if verdict is None:
            return match.group(0)
        kind, where = verdict
        found[kind] = found.get(kind, 0) + 1
        return _splice(match, where, marker(kind))

    return replace


# --- what a secret value looks like -------------------------------------------


def _entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def _classes(value: str) -> int:
    """How many of lowercase, uppercase, digits and other characters ``value`` mixes."""
    return (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() for c in value)
    )


def _random_looking(value: str) -> bool:
    return _classes(value) >= 2 and _entropy(value) >= 3.0


_PLACEHOLDER = re.compile(
    r"""(?ix)
    ^(?: none|null|nil|true|false|undefined|yes|no|on|off|empty|optional|required
       | str|string|int|bool|bytes|text|number|boolean|object|any|secretstr|secretbytes
       | password|passwd|pass|pwd|secret|token|key|apikey|api_key|changeme|change_me
       | example|sample|dummy|fake|test|todo|tbd|redacted|hidden|masked|n/?a|sensitive|value )$
    | ^[^a-z0-9]*$ | ^[$%@] | \{\{ | ^<.*>$ | ^\[.*\]$ | ^\{.*\}$ | ^\(.*\)$ | ^your[_-] | [_-]here$
    | x{6,} | \*{3,} | •{3,} | \.\.\. | … | \[REDACTED | abcdefgh | 01234567 | 12345678
    | ^(?:process\.env|os\.environ|os\.getenv|env\[|getenv|secrets\.)
    """
)
_PATH_OR_URL = re.compile(r"^(?:~|\.{1,2})?/|^[A-Za-z]:\\|^[A-Za-z][A-Za-z0-9+.-]*://")
# An identifier or attribute chain (a variable, not a value), or words-joined-by-dashes.
_CODE_REF = re.compile(r"^(?:[A-Za-z_$]+|[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+|[a-z]+(?:-[a-z]+)+)$")
_CONSTANT = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")  # GITHUB_TOKEN: a name, not a value
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _plausible(value: str, kind: str, strong: bool, *, quoted: bool, env_name: bool) -> bool:
    """Whether ``value``, assigned to a name of this ``kind``, is a real secret.

    Placeholders, references (``$VAR``, ``{{ x }}``, ``os.environ[...]``), paths,
    URLs and code (``getpass()``, ``tokenizer.encode``) are not. A password
    needs no more than that; a token, secret or key must also be long and mixed
    enough; under a weak name (``key``, ``auth``) a value must look random.
    """
    if _PLACEHOLDER.search(value) or _PATH_OR_URL.match(value) or _CONSTANT.match(value):
        return False
    if quoted and any(c.isspace() for c in value):
        return False
    if (not strong or not quoted) and not env_name and _CODE_REF.match(value):
        return False
    if not strong:
        digit = any(c.isdigit() for c in value)
        return len(value) >= 16 and digit and _classes(value) >= 2 and _entropy(value) >= 3.5
    if kind == "password":
        return len(value) >= 3
    return len(value) >= 8 and not _NUMBER.match(value) and _classes(value) >= 2 and _entropy(value) >= 2.5


# --- what a secret's name looks like ------------------------------------------

_NAME_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_PASSWORD_WORDS = frozenset("password passwd pwd pswd pass passphrase passcode".split())
_SECRET_WORDS = frozenset("secret credential credentials cred creds".split())
_COMPOUND_HEADS = frozenset(  # one-word names: authtoken, clientsecret (any head will do for a password)
    "access auth api bearer refresh id session bot app user oauth security client master admin root service "
    "webhook signing personal deploy github gitlab slack npm pypi hf shared private db jwt consumer aws "
    "cookie".split()
)
_COMPOUNDS = (("password", "password"), ("passwd", "password"), ("passphrase", "password"),
              ("secret", "secret"), ("token", "token"))  # fmt: skip
_KEY_COMPOUNDS = frozenset("apikey secretkey privatekey privkey accesskey authkey appkey masterkey "
                           "signingkey encryptionkey clientkey servicekey accountkey licensekey".split())  # fmt: skip
_STRONG_KEY_PREFIXES = frozenset(
    "secret private priv access auth client signing encryption encrypt master service app account db "
    "database license webhook admin root hmac jwt session cookie crypto cipher aes shared consumer "
    "deploy subscription write read".split()
)
# After the secret word, these make the name describe the secret rather than
# hold it: password_hash, token_type, secret_name, key_id, key_sha256 ...
_DESCRIPTORS = frozenset(
    "id ids name names type types kind path paths file files filename dir url uri urls endpoint host "
    "hostname port length len size count counts limit limits max min hash hashed digest sha md5 crc "
    "checksum fingerprint thumbprint field fields prompt label placeholder policy regex pattern header "
    "headers param params env var variable ttl expiry expires expiration expire exp lifetime timeout "
    "prefix suffix format version enabled enable disabled required usage budget method mode provider "
    "index column location ref arn template rotation strength hint help text description title message "
    "error status state stdin source cmd command class schema input button form validator validation "
    "callback handler fn func function encoder decoder parser generator factory response request store "
    "manager cache set reset changed updated created visible visibility chars characters charset alphabet "
    "str alias board code frame mesh pair press pressed ring selector signature stone storetype word up "
    "down left right event events binding bindings".split()
)
# Before the secret word, these make it something else: tokenizer specials,
# pagination cursors, database and UI keys.
_NOT_SECRET_BEFORE = {
    "token": frozenset(
        "next page continuation pagination cursor sync csrf xsrf bos eos pad unk sep cls mask start end "
        "stop special image audio video max num total input output prompt completion cache cached "
        "reasoning new first last eot sot vocab chat system user assistant tool thinking public".split()
    ),
    "key": frozenset(
        "public pub publishable primary foreign sort cache partition hash range row dict map lookup "
        "unique natural composite idempotency react list item object group shard routing hot short i18n "
        "translation lang locale message storage state query registry meta metadata label config "
        "setting settings field column table index idx dedup dedupe join order content entry record node "
        "menu shortcut keyboard music piano".split()
    ),
}
_NOT_SECRET_NAMES = frozenset({"pwd", "oldpwd", "pass"})  # the shell's cwd; Python's `pass`


def _part_kind(part: str, before: str) -> tuple[str, bool] | None:
    """(kind, strong) for one lowercase name part, given the part before it."""
    if part == "key":
        if before == "api":
            return "api-key", True
        if before in _NOT_SECRET_BEFORE["key"]:
            return None
        return "secret", before in _STRONG_KEY_PREFIXES
    if part == "token" and before in _NOT_SECRET_BEFORE["token"]:
        return None
    if part in _PASSWORD_WORDS:
        return "password", True
    if part == "token":
        return "token", True
    if part in _SECRET_WORDS:
        return "secret", True
    if part == "auth":
        return "secret", False
    if part in _KEY_COMPOUNDS:
        return ("api-key" if part == "apikey" else "secret"), True
    for ending, kind in _COMPOUNDS:
        if part.endswith(ending) and part != ending:
            head = part[: -len(ending)]
            return (kind, True) if kind == "password" or head in _COMPOUND_HEADS else None
    return None


def _classify_name(name: str) -> tuple[str, bool] | None:
    """(kind, strong) if ``name`` says it holds a secret, else None.

    The last secret word decides (``SECRET_KEY`` is a key whose owner says it
    is secret); a descriptor after it (``PASSWORD_HASH``) means the name is
    about the secret, not the secret itself.
    """
    if name.lower().lstrip("-$") in _NOT_SECRET_NAMES:
        return None
    parts = [p.lower() for p in _NAME_PARTS.findall(name)]
    for i in range(len(parts) - 1, -1, -1):
        verdict = _part_kind(parts[i], parts[i - 1] if i else "")
        if verdict is not None:
            return None if any(p in _DESCRIPTORS for p in parts[i + 1 :]) else verdict
        if parts[i] in ("key", "token"):  # a key or token the word before disowns
            return None
    return None


def _judge_named(name: str, value: str, *, quoted: bool) -> str | None:
    """The kind of secret ``name = value`` holds, if it holds one."""
    verdict = _classify_name(name)
    if verdict is None:
        return None
    kind, strong = verdict
    env_name = bool(_ENV_NAME.match(name))
    return kind if _plausible(value, kind, strong, quoted=quoted, env_name=env_name) else None


def _name_around(match: re.Match[str]) -> tuple[str, int]:
    """The whole identifier whose secret word the match starts at, and where it starts."""
    text, start, end = match.string, match.start(), match.start()
    while start > max(0, match.start() - 100) and (text[start - 1].isalnum() or text[start - 1] in "_.-"):
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] in "_.-"):
        end += 1
    return text[start:end], start


def _first_value(match: re.Match[str], name: str, groups: tuple[str, ...]) -> tuple[str, _Where] | None:
    for group in groups:
        value = match.group(group)
        if value is not None:
            kind = _judge_named(name, value, quoted=group != "bare")
            return None if kind is None else (kind, group)
    return None


# --- the rules ----------------------------------------------------------------

_SECRET_WORD = r"(?i:pass|pwd|pswd|secret|token|key|cred|auth)"
_SECRET_WORD_KEYWORDS = "pass pwd pswd secret token key cred auth"

# NAME=value, NAME: value, "NAME": "value", NAME := value, NAME => value,
# os.environ["NAME"] = value, name: str = "value"; JSON-escaped quotes too.
# A bare value must end the line or be followed by more words (not `}` `)` `,`,
# which would make it a variable in a call or object literal).
_ASSIGNMENT = re.compile(
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


_CALL_OPENS = re.compile(r"""[\w.]\([ \t]*\\?["']$""")  # get(" — NAME is a call's first argument


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
_FLAG = re.compile(
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
_XML = re.compile(_SECRET_WORD + r"[\w.:-]*+>(?P<v>[^<>\s]{1,512})</(?P<close>[\w.:-]+)>")


def _judge_xml(match: re.Match[str]) -> tuple[str, _Where] | None:
    name, start = _name_around(match)
    if start == 0 or match.string[start - 1] != "<" or match.group("close") != name:
        return None
    kind = _judge_named(name, match.group("v"), quoted=True)
    return None if kind is None else (kind, "v")


# -----BEGIN ... PRIVATE KEY----- body -----END ... PRIVATE KEY-----. A key
# pasted without its END line still loses its body (the `w` branch).
_PEM = re.compile(
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
_URL_CREDENTIALS = re.compile(r"://(?P<user>[^\s:/?#@'\"<>\[\]{}]*):(?P<v>[^\s/?#'\"<>\[\]]+)@(?=[\w\[])")
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


_AUTHORIZATION = re.compile(
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


# --- context: a random value a few words after a word that says "secret" --------
#
# trufflehog's detectors look for a provider's keyword and take a value near it
# (its AWS detector pairs any 40-character base64 string with a key id in the
# same chunk). Prose has no assignment to name the value: "key AKIA... with
# secret wJalr...". Here a value that looks random (long, all of upper case,
# lower case and digits, short runs of letters, high entropy) within a few
# words after a standalone secret word is one. Hashes (hex), UUIDs, digests,
# paths and identifiers are not random in that sense and stay.

_NEAR = re.compile(
    r"(?P<word>(?i:secret|password|passwd|passphrase|token|key|credential)s?(?![A-Za-z0-9_])"
    r"|\[REDACTED:aws-access-key\])(?P<w>[^\r\n]{0,48}+[A-Za-z0-9/+=_-]*+)"
)
_CANDIDATE = re.compile(r"(?<![A-Za-z0-9/+=_.-])[A-Za-z0-9/+_-]{20,200}={0,2}(?![A-Za-z0-9/+=_-])")
_HEXISH = re.compile(r"^(?:[0-9a-f]+(?:-[0-9a-f]+)*|[0-9A-F]+(?:-[0-9A-F]+)*)$")
_DIGEST = re.compile(r"^(?:sha|md5|blake|xxh)[0-9]*[-_]", re.I)
_AWS_SECRET = re.compile(r"^[A-Za-z0-9/+]{40}$")
_NEAR_KINDS = {"password": "password", "passwd": "password", "passphrase": "password", "token": "token"}


def _random_value(value: str) -> bool:
    """Whether ``value`` looks machine-made: what a key or token is, and prose never."""
    value = value.rstrip("=")
    if len(value) < 20 or _HEXISH.match(value) or _DIGEST.match(value) or _PLACEHOLDER.search(value):
        return False
    if not (any(c.isupper() for c in value) and any(c.islower() for c in value) and any(c.isdigit() for c in value)):
        return False
    parts = _NAME_PARTS.findall(value)  # words of an identifier or a path are long; random runs short
    return sum(map(len, parts)) / len(parts) <= 3.0 and _entropy(value) >= 3.5


def _replace_near(match: re.Match[str], found: dict[str, int]) -> str:
    text, start = match.string, match.start()
    if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
        return match.group(0)  # part of a name (publicToken, hotkey): the assignment rules' business
    word = match.group("word").lower().rstrip("s")
    window, at = match.group("w"), match.start("w")

    def replace(candidate: re.Match[str]) -> str:
        value = candidate.group(0)
        if not _random_value(value):
            return value
        # 40 base64 characters a little after "aws" or an AWS key id (its marker says "aws")
        aws = len(value) == 40 and "aws" in _lower(text[max(0, start - 80) : at + candidate.start()])
        kind = "aws-secret-key" if aws and _AWS_SECRET.match(value) else _NEAR_KINDS.get(word, "secret")
        found[kind] = found.get(kind, 0) + 1
        return marker(kind)

    return match.group(0)[: at - start] + _CANDIDATE.sub(replace, window)


# "the password is Tr0ub4dor&3": a password said in a sentence, with a digit or a symbol in it.
_PROSE_PASSWORD = re.compile(
    r"(?i:password|passwd|passphrase)(?:[ \t]+(?i:for|of|on|to)(?:[ \t]+\S{1,64}){1,4}?)?[ \t]+(?i:is|was)[ \t]*:?[ \t]+"
    r"""[`"']?(?P<v>[^\s`"']{4,64}?)[`"']?(?=[\s,;)]|[.!?](?:\s|$)|$)"""
)


def _judge_prose_password(match: re.Match[str]) -> tuple[str, _Where] | None:
    text, start, value = match.string, match.start(), match.group("v")
    if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
        return None
    if value.isalpha() or value.endswith(":") or _classes(value) < 2 or _CODE_REF.match(value):  # `is None:`
        return None
    return ("password", "v") if _plausible(value, "password", True, quoted=False, env_name=False) else None


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


def _rule(
    keywords: str, pattern: str | re.Pattern[str], judge: _Judge | None = None, *, replace: _Replace | None = None
) -> _Rule:
    if replace is None:
        assert judge is not None
        replace = _by_judge(judge)
    compiled = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern)
    return _Rule(tuple(keywords.split()), compiled, replace)


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

# What redact_many searches for: every keyword, less those holding a shorter one
# (a text with "password" in it has "pass" too), in one pattern per first
# letter. A pattern that starts with a literal letter is searched for at
# str.find's speed, so 19 patterns cost a third of 53 finds.
_KEYWORDS = {k for rule in _RULES for k in rule.keywords}
_NEEDLES = sorted(k for k in _KEYWORDS if not any(o != k and o in k for o in _KEYWORDS))
_NEEDLE_GROUPS = tuple(  # (search, the keywords a text it finds something in may hold)
    (
        re.compile(re.escape(first) + "(?:" + "|".join(re.escape(n[1:]) for n in group) + ")").search,
        frozenset(k for k in _KEYWORDS if any(n in k for n in group)),
    )
    for first, group in ((f, [n for n in _NEEDLES if n[0] == f]) for f in sorted({n[0] for n in _NEEDLES}))
)
