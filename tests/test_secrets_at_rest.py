"""No secret at rest: transcripts full of planted keys go through a real scan, and
not one of the keys is anywhere in the bytes of the database or its write-ahead
log; titles, snippets, memories and forgotten memories included.

The transcripts are written by the demo log writers, which write lines shaped as
Claude Code and Codex write them (tests/fixtures/*/README.md says from where).
The keys are made at run time from a seeded generator, shaped like real ones,
so this file holds nothing a secret scanner would flag.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import random
import stat
import string
import time
from datetime import UTC, datetime
from pathlib import Path

import apsw
import msgspec
import pytest
import sqlite_vec

from llm_session_manager import demo_logs
from llm_session_manager.demo_logs._claude_lines import SONNET, Transcript
from llm_session_manager.demo_logs._claude_tools import text_block
from llm_session_manager.demo_logs._codex_lines import Rollout
from llm_session_manager.demo_logs._format import Ids
from llm_session_manager.ingest import _conversation, _rows
from llm_session_manager.store import connect

_rng = random.Random(16)
ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"


def fake(n: int, alphabet: str = ALNUM) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


def _b64url(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


AWS_ID = "AKIA" + fake(16, string.ascii_uppercase + string.digits)
AWS_SECRET = fake(40, ALNUM + "/+")
PEM_BODY = [fake(64, ALNUM + "+/") for _ in range(8)]
PEM = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(PEM_BODY) + "\n-----END RSA PRIVATE KEY-----"
GITHUB = "ghp_" + fake(36)
OPENAI = "sk-" + "proj-" + fake(48, B64URL) + "T3Blbk" + "FJ" + fake(48, B64URL)
ANTHROPIC = "sk-ant-" + "api03-" + fake(93, B64URL) + "AA"
SLACK = "xoxb-" + fake(12, string.digits) + "-" + fake(13, string.digits) + "-" + fake(24)
JWT = ".".join((_b64url({"alg": "HS256", "typ": "JWT"}), _b64url({"sub": "42"}), fake(43, B64URL)))
DB_PASSWORD = "pG7!" + fake(12)
URL_PASSWORD = "Zq9" + fake(14)
PROSE_PASSWORD = "Hx4" + fake(9) + "&1"
TOKEN = fake(32)

SECRETS = {
    "aws-id": AWS_ID, "aws-secret": AWS_SECRET, "github": GITHUB, "openai": OPENAI, "anthropic": ANTHROPIC,
    "slack": SLACK, "jwt": JWT, "db-password": DB_PASSWORD, "url-password": URL_PASSWORD,
    "prose-password": PROSE_PASSWORD, "token": TOKEN, **{f"pem-{i}": line for i, line in enumerate(PEM_BODY)},
}  # fmt: skip

# The first prompt becomes the title, cut at 79 characters: the AWS secret straddles the cut.
FIRST_PROMPT = f"Use the deploy key {AWS_ID} with secret {AWS_SECRET} to push the release bucket"
PROMPTS = [
    f"The CI box key is below, put it in the vault:\n{PEM}\nthen rotate it.",
    f"export GITHUB_TOKEN={GITHUB}\nexport OPENAI_API_KEY={OPENAI}\nDB_PASSWORD={DB_PASSWORD}",
    f"psql postgres://app:{URL_PASSWORD}@db.internal:5432/app fails; the password is {PROSE_PASSWORD} btw",
]
ANSWERS = [
    f"I used ANTHROPIC_API_KEY={ANTHROPIC} and posted with {SLACK} as asked.",
    f"The session cookie was {JWT}; the API token is {TOKEN} for the staging tenant.",
]


def _claude(ids: Ids, when: datetime, prompts: list[str], answers: list[str], session: str) -> Transcript:
    t = Transcript(ids, session, "/home/dev/vault", "main", SONNET, when)
    for i, prompt in enumerate(prompts):
        t.prompt(prompt)
        t.wait(2, 5)
        t.respond([text_block(answers[i % len(answers)])], 120, "end_turn")
    return t


def _codex(ids: Ids, when: datetime) -> Rollout:
    r = Rollout(ids, "/home/dev/vault-api", "gpt-5-codex", when, "medium")
    r.turn(FIRST_PROMPT, [], ANSWERS[0])
    for prompt, answer in zip(PROMPTS, ANSWERS * 2, strict=False):
        r.turn(prompt, [], answer)
    return r


def _leaks(*files: Path) -> dict[str, list[str]]:
    """Which secrets (or either half of one: a partial leak is a leak) are in each file's bytes."""
    found: dict[str, list[str]] = {}
    for f in files:
        data = f.read_bytes() if f.exists() else b""
        for name, secret in SECRETS.items():
            half = len(secret) // 2
            for part in (secret, secret[:half], secret[half:]):
                if part.encode() in data:
                    found.setdefault(f.name, []).append(name)
                    break
    return found


def _store_files(data_dir: Path) -> list[Path]:
    db = data_dir / "sessions.db"
    return [db, Path(f"{db}-wal")]


@pytest.fixture
def planted(tmp_path: Path, sandbox_home: Path) -> dict[str, Path]:
    """A corpus big enough for a first scan in parse workers (six chunks), with a
    Claude Code transcript and a Codex rollout full of secrets among its logs."""
    return _plant(tmp_path, 2 * _rows.CHUNK_BYTES + (8 << 20))


@pytest.fixture
def planted_alone(tmp_path: Path, sandbox_home: Path) -> dict[str, Path]:
    """The Claude Code transcript and the Codex rollout full of secrets, and no other logs."""
    return _plant(tmp_path, 0)


def _plant(tmp_path: Path, corpus_bytes: int) -> dict[str, Path]:
    claude = tmp_path / "claude"
    codex = tmp_path / "codex"
    if corpus_bytes:
        demo_logs.write_corpus(claude, corpus_bytes, files=300, seed=16)
    ids = Ids(random.Random(5))
    when = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    session = ids.uuid4()
    t = _claude(ids, when, [FIRST_PROMPT, *PROMPTS], ANSWERS, session)
    claude_log = claude / "projects" / "-home-dev-vault" / f"{session}.jsonl"
    t.write(claude_log)
    r = _codex(ids, when)
    r.write(codex / r.relpath)
    return {"claude": claude, "codex": codex, "claude_log": claude_log, "data": tmp_path / "data"}


def _env(planted: dict[str, Path]) -> dict[str, str]:
    return {"CLAUDE_CONFIG_DIR": str(planted["claude"]), "CODEX_HOME": str(planted["codex"]),
            "LLM_SESSION_DATA_DIR": str(planted["data"])}


def test_a_scan_of_transcripts_full_of_keys_stores_none_of_them(cli, planted):
    env = _env(planted)
    db = planted["data"] / "sessions.db"
    planted["data"].mkdir()
    connect(db).close()
    # Held open, so the scan's write-ahead log is still there to be read when it exits.
    watcher = apsw.Connection(str(db))
    watcher.execute("SELECT count(*) FROM sessions").fetchall()
    try:
        first = cli("scan", "--json", "--verbose", env=env)
        assert first.code == 0, first.err
        assert "parsing 6 chunks in" in first.err  # the parse workers redacted, not this process
        assert Path(f"{db}-wal").stat().st_size > 0
        assert _leaks(*_store_files(planted["data"])) == {}

        # More of the same conversation, read on its own: an incremental scan redacts too.
        ids = Ids(random.Random(6))
        more = _claude(ids, datetime(2026, 3, 2, 10, 0, tzinfo=UTC), PROMPTS, ANSWERS, "unused")
        with planted["claude_log"].open("a") as f:
            f.write("".join(more.lines).replace('"sessionId":"unused"', f'"sessionId":"{planted["claude_log"].stem}"'))
        again = cli("scan", "--json", env=env)
        assert again.code == 0, again.err
        assert again.json()["records"] > 0
        assert _leaks(*_store_files(planted["data"])) == {}
    finally:
        watcher.close()

    messages = [t for (t,) in apsw.Connection(str(db)).execute("SELECT text FROM messages WHERE session_id IN "
                                                                "(SELECT id FROM sessions WHERE cwd LIKE '%vault%')")]
    joined = "\n".join(messages)
    for kind in ("aws-access-key", "aws-secret-key", "private-key", "github-token", "openai-api-key",
                 "anthropic-api-key", "slack-token", "jwt", "password", "connection-string", "token"):
        assert f"[REDACTED:{kind}]" in joined, kind
    assert "-----BEGIN RSA PRIVATE KEY-----" in joined  # what was there is still said


def test_a_conversation_left_to_the_continuation_stores_no_secret_either(cli, planted):
    """A first ``usage`` stores usage, prints, and leaves the messages to a detached process."""
    env = {**_env(planted), "LLM_SESSION_CONVERSATION": "later"}
    db = planted["data"] / "sessions.db"
    planted["data"].mkdir()
    connect(db).close()
    watcher = apsw.Connection(str(db))  # keeps the write-ahead log there to be read
    watcher.execute("SELECT count(*) FROM sessions").fetchall()
    try:
        first = cli("usage", "--json", env=env)
        assert first.code == 0, first.err
        deadline = time.monotonic() + 120
        while not _conversation_stored(db):
            assert time.monotonic() < deadline, "the continuation never stored the conversation"
            time.sleep(0.05)
        assert watcher.execute("SELECT count(*) FROM messages").fetchone()[0] > 0
        assert _leaks(*_store_files(planted["data"])) == {}
    finally:
        watcher.close()


def _conversation_stored(db: Path) -> bool:
    """Every log's conversation is stored and no continuation holds the lock."""
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        if conn.execute("SELECT count(*) FROM source_files WHERE conversation_offset IS NOT NULL").fetchone()[0]:
            return False
    finally:
        conn.close()
    with open(db.with_name(_conversation.LOCK_NAME), "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
    return True


def test_titles_are_redacted_in_list_and_show(cli, planted_alone):
    env = _env(planted_alone)
    listed = cli("list", "--json", env=env)
    assert listed.code == 0, listed.err
    vault = [s for s in listed.json() if s["cwd"] and "vault" in s["cwd"]]
    assert {s["provider"] for s in vault} == {"claude-code", "codex"}
    for s in vault:
        assert s["title"].startswith("Use the deploy key [REDACTED:aws-access-key] with secret")
        assert s["title"].endswith("with secret…")
        assert not any(part in s["title"] for part in (AWS_ID, AWS_SECRET[:8]))
        shown = cli("show", s["id"], "--json", env=env)
        assert shown.code == 0, shown.err
        assert shown.json()["title"] == s["title"]


def test_the_store_is_readable_by_its_owner_only(cli, planted_alone):
    r = cli("scan", "--json", env=_env(planted_alone))
    assert r.code == 0, r.err
    data = planted_alone["data"]
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("sessions.db", "sessions.db-wal", "sessions.db-shm"):
        if (data / name).exists():
            assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name


def test_a_store_made_by_an_older_version_is_narrowed_to_its_owner(cli, tmp_path: Path, sandbox_home: Path):
    data = tmp_path / "old"
    data.mkdir()
    connect(data / "sessions.db").close()
    (data / "sessions.db").chmod(0o644)
    r = cli("list", "--json", env={"LLM_SESSION_DATA_DIR": str(data)})
    assert r.code == 0, r.err
    assert stat.S_IMODE((data / "sessions.db").stat().st_mode) == 0o600


def test_init_writes_the_config_for_its_owner_only(cli, tmp_path: Path, sandbox_home: Path):
    config = tmp_path / "conf" / "config.yaml"
    r = cli("init", "--json", env={"LLM_SESSION_CONFIG": str(config)})
    assert r.code == 0, r.err
    assert stat.S_IMODE(config.stat().st_mode) == 0o600


# --- memories -----------------------------------------------------------------


def test_an_aws_key_pair_in_prose_is_not_remembered(cli, sandbox_home: Path):
    text = f"Staging uses key {AWS_ID} with secret {AWS_SECRET} until the rotation."
    r = cli("remember", text, "--json")
    assert r.code == 0, r.err
    listed = cli("memory", "list", "--json")
    recalled = cli("recall", "staging rotation", "--json")
    for out in (listed.out, recalled.out):
        assert AWS_ID not in out and AWS_SECRET not in out
        assert "[REDACTED:aws-secret-key]" in out


def test_an_imported_memory_keeps_no_secret_in_its_text_or_metadata(cli, tmp_path: Path, sandbox_home: Path):
    jsonl = tmp_path / "memories.jsonl"
    jsonl.write_text(json.dumps({"text": f"the staging token is {TOKEN}", "metadata": {"api_key": OPENAI,
                                                                                        "from": "mem0"}}) + "\n")
    r = cli("memory", "import", str(jsonl), "--json")
    assert r.code == 0, r.err
    data = Path(os.environ["LLM_SESSION_DATA_DIR"])
    db = data / "sessions.db"
    metadata = apsw.Connection(str(db)).execute("SELECT metadata FROM memories").fetchall()
    assert json.loads(metadata[0][0]) == {"api_key": "[REDACTED:openai-api-key]", "from": "mem0"}
    assert _leaks(*_store_files(data)) == {}


def test_a_forgotten_memory_is_gone_from_the_file_and_its_log(cli, sandbox_home: Path):
    data = Path(os.environ["LLM_SESSION_DATA_DIR"])
    words = "quokkaxylophone marmaladeferret"
    kept = cli("remember", "the build cache lives in /var/cache/ci", "--json")
    gone = cli("remember", f"the {words} lives in the attic", "--json")
    assert kept.code == 0 and gone.code == 0, gone.err
    db = data / "sessions.db"
    watcher = apsw.Connection(str(db))  # keeps the write-ahead log from being deleted at exit
    watcher.execute("SELECT count(*) FROM memories").fetchall()
    try:
        assert b"quokkaxylophone" in db.read_bytes() + Path(f"{db}-wal").read_bytes()
        r = cli("memory", "forget", gone.json()["id"])
        assert r.code == 0, r.err
        for f in _store_files(data):
            raw = f.read_bytes() if f.exists() else b""
            assert b"quokkaxylophone" not in raw and b"marmaladeferret" not in raw, f.name
    finally:
        watcher.close()
    assert [m["text"] for m in cli("memory", "list", "--json").json()] == ["the build cache lives in /var/cache/ci"]


# --- an older store ------------------------------------------------------------


def _old_store(db: Path) -> None:
    """A store as the version before this one left it: schema v9, text stored as the logs had it."""
    sql = Path(__file__).parent.parent / "server" / "llm_session_manager" / "store"
    conn = apsw.Connection(str(db))
    conn.enable_load_extension(True)
    conn.load_extension(sqlite_vec.loadable_path())
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute((sql / "schema.sql").read_text())
    for step in range(2, 10):
        conn.execute((sql / "migrations" / f"{step:03d}.sql").read_text())
    conn.execute("PRAGMA user_version=9")
    conn.execute("INSERT INTO sessions (id, provider, cwd, project, title, started_at, last_activity)"
                 " VALUES ('s-old', 'claude-code', '/home/dev/vault', 'vault', ?, 1.7e9, 1.7e9)",
                 (FIRST_PROMPT[:79] + "…",))
    conn.execute("INSERT INTO messages (key, session_id, ts, role, kind, text) VALUES ('m1', 's-old', 1.7e9,"
                 " 'user', 'prompt', ?)", (PROMPTS[0],))
    conn.execute("INSERT INTO messages (key, session_id, ts, role, kind, text) VALUES ('m2', 's-old', 1.7e9,"
                 " 'assistant', 'text', ?)", (ANSWERS[0],))
    conn.execute("INSERT INTO memories (id, text, metadata, source, created_at, content_hash) VALUES"
                 " ('mem-1', ?, ?, 'user', 1.7e9, 'h1')",
                 (f"prod key {AWS_ID} with secret {AWS_SECRET}", json.dumps({"token": TOKEN})))
    state = msgspec.msgpack.encode({"title": FIRST_PROMPT[:79] + "…", "block": PROMPTS[0].splitlines(), "rows": 3})
    conn.execute("INSERT INTO source_files (path, provider, inode, size, mtime_ns, offset, state) VALUES"
                 " ('/gone/.aider.chat.history.md', 'aider', 1, 10, 1, 10, ?)", (state,))
    conn.close()


def test_an_older_store_is_scrubbed_once_on_upgrade(cli, tmp_path: Path, sandbox_home: Path):
    data = tmp_path / "old"
    data.mkdir()
    db = data / "sessions.db"
    _old_store(db)
    assert _leaks(db, Path(f"{db}-wal"))  # the old store holds them
    env = {"LLM_SESSION_DATA_DIR": str(data), "CLAUDE_CONFIG_DIR": str(tmp_path / "none"),
           "CODEX_HOME": str(tmp_path / "none")}
    r = cli("list", "--json", env=env)
    assert r.code == 0, r.err
    assert r.json()[0]["title"] == "Use the deploy key [REDACTED:aws-access-key] with secret…"
    assert _leaks(*_store_files(data)) == {}
    memories = cli("memory", "list", "--json", env=env).json()
    assert memories[0]["text"] == "prod key [REDACTED:aws-access-key] with secret [REDACTED:aws-secret-key]"
    conn = apsw.Connection(str(db))
    assert conn.execute("SELECT value FROM meta WHERE key = 'scrub_secrets'").fetchall() == []
    assert json.loads(conn.execute("SELECT metadata FROM memories").fetchone()[0]) == {"token": "[REDACTED:token]"}
    state = msgspec.msgpack.decode(conn.execute("SELECT state FROM source_files").fetchone()[0])
    assert state["title"] == "Use the deploy key [REDACTED:aws-access-key] with secret…"
    assert state["block"][1] == "-----BEGIN RSA PRIVATE KEY-----" and state["rows"] == 3
