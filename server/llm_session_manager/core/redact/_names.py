"""What a secret's name looks like: ``DB_PASSWORD`` holds one, ``password_hash`` and ``max_tokens`` do not."""

from __future__ import annotations

import re

from ._engine import _Where, lazy
from ._values import _ENV_NAME, _plausible

_NAME_PARTS = lazy(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
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
