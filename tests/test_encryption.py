"""Message bodies encrypted at rest (issue 13, item 3): `privacy.encrypt_conversations`
seals what a scan stores, `encrypt` / `decrypt` migrate a store that exists, a wrong
or missing key is one line and changes nothing; through the real CLI on real
SQLite files scanned from the Claude Code fixture logs (docs/privacy.md).

The OS keyring is never touched: every run gets keyring's null backend, which keeps
nothing (so a store can only be encrypted with a passphrase here).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import apsw
import pytest
from conftest import FIXTURES

from llm_session_manager.store import connect

SHOP_B = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"  # shop: the stacked coupons test
KNOWN = "covers stacked coupons"  # in an answer of SHOP_B, not its title
PASS = "correct horse battery staple"

pytestmark = pytest.mark.slow  # every story runs the CLI in processes


def _env(root: Path, encrypt: bool, passphrase: str | None = PASS) -> dict[str, str]:
    config = root / "config.yaml"
    config.write_text(f"privacy:\n  encrypt_conversations: {'true' if encrypt else 'false'}\n")
    env = {k: v for k, v in os.environ.items() if k not in ("LLM_SESSION_PASSPHRASE", "NO_COLOR", "FORCE_COLOR")}
    env.update(HOME=str(root / "home"), LLM_SESSION_DATA_DIR=str(root / "data"), CLAUDE_CONFIG_DIR=str(root / "claude"),
               LLM_SESSION_CONFIG=str(config), PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring", TZ="UTC")
    if passphrase is not None:
        env["LLM_SESSION_PASSPHRASE"] = passphrase
    return env


def _run(env: dict[str, str], *args: str, **extra: str | None) -> subprocess.CompletedProcess[str]:
    env = {**env, **{k: v for k, v in extra.items() if v is not None}}
    for k in [k for k, v in extra.items() if v is None]:
        env.pop(k, None)
    return subprocess.run([sys.executable, "-m", "llm_session_manager", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def _ok(env: dict[str, str], *args: str, **extra: str | None) -> str:
    r = _run(env, *args, **extra)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _store_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted((root / "data").glob("sessions.db*")) if p.suffix != ".db-shm")


def _digest(root: Path) -> str:
    """The store file's hash, its write-ahead log first copied in (as the last connection
    to close does), so that a command which only reads cannot change it."""
    apsw.Connection(str(root / "data" / "sessions.db")).close()
    return hashlib.sha256(_store_bytes(root)).hexdigest()


def _one_line_error(r: subprocess.CompletedProcess[str], says: str) -> None:
    assert r.returncode == 1
    assert r.stderr.startswith("error: ") and says in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert "Traceback" not in r.stderr


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "claude-code", tmp_path / "claude")
    (tmp_path / "home").mkdir()
    return tmp_path


def _exports(env: dict[str, str]) -> dict[str, str]:
    """Every session's conversation as Markdown and as JSONL training data."""
    ids = [s["id"] for s in json.loads(_ok(env, "list", "--json", "--no-scan"))]
    return {f"{sid} {fmt}": _ok(env, "export-conversation", sid, "--format", fmt, "--no-scan")
            for sid in ids for fmt in ("markdown", "jsonl")}


def test_a_scan_with_encryption_on_stores_no_plaintext_and_every_door_reads_it(root: Path) -> None:
    env = _env(root, encrypt=True)
    _ok(env, "scan", "--json")
    assert KNOWN.encode() not in _store_bytes(root)
    assert KNOWN in _ok(env, "export-conversation", SHOP_B[:8], "--format", "markdown", "--no-scan")
    hits = json.loads(_ok(env, "search", "stacked coupons", "--json", "--no-scan"))["matches"]
    hit = next(h for h in hits if h["session_id"] == SHOP_B)
    assert KNOWN in hit["snippet"]
    shown = json.loads(_ok(env, "show", SHOP_B[:8], "--message", str(hit["message"]), "--json", "--no-scan"))
    assert any(KNOWN in m["text"] for m in shown["messages"])


def test_a_wrong_passphrase_is_one_line_and_leaves_the_store_as_it_was(root: Path) -> None:
    env = _env(root, encrypt=True)
    _ok(env, "scan", "--json")
    _ok(env, "list", "--no-scan")  # the first report after a scan keeps what it worked out (session sums)
    before = _digest(root)
    for args in (("export-conversation", SHOP_B[:8], "--no-scan"), ("search", "coupon", "--no-scan"),
                 ("encrypt",), ("decrypt",)):
        _one_line_error(_run(env, *args, LLM_SESSION_PASSPHRASE="tr0ub4dor&3"), "is not the passphrase")
    assert _digest(root) == before
    assert KNOWN in _ok(env, "export-conversation", SHOP_B[:8], "--no-scan")


def test_without_the_key_body_commands_say_so_and_usage_and_list_still_work(root: Path) -> None:
    env = _env(root, encrypt=True)
    _ok(env, "scan", "--json")
    _ok(env, "list", "--no-scan")  # the first report after a scan keeps what it worked out (session sums)
    before = _digest(root)
    for args in (("export-conversation", SHOP_B[:8], "--no-scan"), ("search", "coupon", "--no-scan"),
                 ("decrypt",)):
        _one_line_error(_run(env, *args, LLM_SESSION_PASSPHRASE=None), "set LLM_SESSION_PASSPHRASE")
    assert _digest(root) == before
    listed = json.loads(_ok(env, "list", "--json", LLM_SESSION_PASSPHRASE=None))
    assert {s["id"] for s in listed} >= {SHOP_B} and all(s["title"] for s in listed)
    usage = json.loads(_ok(env, "usage", "--json", LLM_SESSION_PASSPHRASE=None))
    assert usage["totals"]["total_tokens"] > 0


def test_encrypting_without_a_passphrase_or_a_keyring_refuses_and_changes_nothing(root: Path) -> None:
    env = _env(root, encrypt=False)
    _ok(env, "scan", "--json")
    _ok(env, "list", "--no-scan")  # the first report after a scan keeps what it worked out (session sums)
    before = _digest(root)
    _one_line_error(_run(env, "encrypt", LLM_SESSION_PASSPHRASE=None), "LLM_SESSION_PASSPHRASE")
    assert _digest(root) == before


def test_encrypt_then_decrypt_of_an_existing_store_gives_the_same_exports(root: Path) -> None:
    env = _env(root, encrypt=False)
    _ok(env, "scan", "--json")
    plain = _exports(env)
    assert KNOWN.encode() in _store_bytes(root)

    done = json.loads(_ok(env, "encrypt", "--json"))
    assert done["encrypted"] and done["started"] and done["rewritten"] == done["sealed"] > 0 and done["plain"] == 0
    assert done["key"] == "passphrase"
    _ok(env, "doctor", "--json")  # checkpoints nothing of ours; the old pages are overwritten (secure_delete)
    assert KNOWN.encode() not in _store_bytes(root)
    assert _exports(env) == plain
    assert json.loads(_ok(env, "search", "stacked coupons", "--json", "--no-scan"))["matches"]

    undone = json.loads(_ok(env, "decrypt", "--json"))
    assert not undone["encrypted"] and undone["rewritten"] == done["sealed"] and undone["sealed"] == 0
    assert _exports(env) == plain
    assert json.loads(_ok(env, "decrypt", "--json"))["started"] is False  # again: nothing to do


def test_an_encrypt_killed_half_way_reads_both_halves_and_finishes_when_run_again(root: Path) -> None:
    env = _env(root, encrypt=False)
    _ok(env, "scan", "--json")
    conn = connect(root / "data" / "sessions.db")
    with conn:  # a long history, so the kill lands half-way
        conn.executemany("INSERT INTO messages (key, session_id, ts, role, kind, text) VALUES (?, ?, ?, ?, ?, ?)",
                         [(f"extra-{i}", SHOP_B, 1.7e9 + i, "user", "prompt", f"old prompt number {i}")
                          for i in range(3_000)])
    plain = _exports(env)
    proc = subprocess.Popen([sys.executable, "-m", "llm_session_manager", "encrypt", "--batch-size", "1"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while conn.execute("SELECT count(*) FROM messages WHERE typeof(text) = 'blob'").get < 50:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    sealed, plain_left = conn.execute("SELECT count(*) FILTER (WHERE typeof(text) = 'blob'), "
                                      "count(*) FILTER (WHERE typeof(text) = 'text' AND text != '') "
                                      "FROM messages").fetchone()
    conn.close()
    assert sealed > 0 and plain_left > 0
    assert _exports(env) == plain  # half sealed, half plain: all of it reads
    assert json.loads(_ok(env, "search", '"old prompt number 2999"', "--json", "--no-scan"))["matches"]
    again = json.loads(_ok(env, "encrypt", "--json"))
    assert not again["started"] and again["rewritten"] == plain_left and again["plain"] == 0
    assert _exports(env) == plain


def test_without_a_passphrase_the_key_is_kept_in_the_os_keyring(root: Path) -> None:
    keyring = root / "keyring.json"
    tests = str(Path(__file__).parent)
    env = {**_env(root, encrypt=True, passphrase=None), "PYTHON_KEYRING_BACKEND": "keyring_file_backend.FileKeyring",
           "LSM_TEST_KEYRING": str(keyring),
           "PYTHONPATH": os.pathsep.join([tests, *filter(None, [os.environ.get("PYTHONPATH")])])}
    _ok(env, "scan", "--json")
    assert KNOWN.encode() not in _store_bytes(root)
    (entry,) = json.loads(keyring.read_text())
    assert entry.startswith("llm-session-manager\0")
    assert KNOWN in _ok(env, "export-conversation", SHOP_B[:8], "--no-scan")

    kept = keyring.read_text()
    keyring.unlink()  # another machine, or the entry deleted
    _one_line_error(_run(env, "export-conversation", SHOP_B[:8], "--no-scan"), "the OS keyring has no key for it")
    keyring.write_text(kept)
    undone = json.loads(_ok(env, "decrypt", "--json"))
    assert not undone["encrypted"] and undone["sealed"] == 0
    assert json.loads(keyring.read_text()) == {}  # nothing sealed needs it now


def test_doctor_recover_of_a_damaged_encrypted_store_keeps_it_sealed_and_searchable(root: Path) -> None:
    from damage import damage_page

    env = _env(root, encrypt=True)
    _ok(env, "scan", "--json")
    exports = _exports(env)
    db = root / "data" / "sessions.db"
    damage_page(db, "sessions")
    damaged = _store_bytes(root)

    # Without the key the index cannot be rebuilt: one line, and the damaged store as it was.
    _one_line_error(_run(env, "doctor", "--recover", LLM_SESSION_PASSPHRASE=None), "LLM_SESSION_PASSPHRASE")
    assert _store_bytes(root) == damaged
    assert sorted(p.name for p in db.parent.glob("sessions.db*")) == ["sessions.db"]

    recovered = json.loads(_ok(env, "doctor", "--recover", "--json"))["recovered"]
    assert recovered["tables"]["messages"] > 0
    _ok(env, "scan", "--json")  # the logs fill in the sessions the damage hid
    assert KNOWN.encode() not in _store_bytes(root)  # still sealed
    hits = json.loads(_ok(env, "search", "stacked coupons", "--json", "--no-scan"))["matches"]
    assert any(KNOWN in h["snippet"] for h in hits if h["session_id"] == SHOP_B)
    assert _exports(env) == exports
