"""An admin's usage report reads the rollups kept on push (team migration 006); it must say, to the
token and the cent, what summing the responses says, after better copies replaced stored ones and
a second device saw a response (docs/team.md#load)."""

from __future__ import annotations

import threading

import pytest
from team_fixtures import database_url, enroll, postgres  # noqa: F401 -- fixtures

from llm_session_manager.core.team_wire import PushBatch, PushUsage
from llm_session_manager.store.otlp_usage import Heard
from llm_session_manager.team import auth, db, otlp, push, report, rollups

DAY = 1_760_000_000.0  # 2025-10-09, 09:53 UTC


def usage(key: str, ts: float, model: str, tokens: int, *, exact: bool = True, sidechain: bool = False,
          priced: int = 1) -> PushUsage:
    return PushUsage(key, "s1", "claude-code", ts, model, tokens, tokens * 2, 0, tokens * 10, 0, tokens / 1000,
                     priced, exact, sidechain)


def test_an_admins_report_from_the_rollups_equals_the_responses_summed(database_url) -> None:
    laptop, desktop = enroll(database_url, "bob", "member", "laptop", "desktop")
    (box,) = enroll(database_url, "ann", "admin", "box")
    with db.connect(database_url) as conn:
        bob_laptop, bob_desktop = auth.caller(conn, laptop), auth.caller(conn, desktop)
        assert bob_laptop and bob_desktop
        push.store(conn, bob_laptop, PushBatch("laptop", usage=[
            usage("a", DAY, "claude-sonnet-4-5", 100, exact=False),  # an estimate, replaced below
            usage("b", DAY + 3600, "claude-opus-4-1", 50),
            usage("c", DAY + 86400, "mystery-model", 7, priced=2),  # no price: cost unknown
        ]))
        push.store(conn, bob_desktop, PushBatch("desktop", usage=[
            usage("a", DAY + 20 * 3600, "claude-haiku-4-5", 120),  # the exact copy: another day, another model
            usage("d", DAY + 2 * 86400, "claude-sonnet-4-5", 30),
        ]))
        push.store(conn, bob_laptop, PushBatch("laptop", usage=[
            usage("b", DAY + 3600, "claude-opus-4-1", 50),  # a replay: nothing changes
            usage("d", DAY + 2 * 86400, "claude-sonnet-4-5", 90, sidechain=True),  # a relay: the main copy stays
            usage("a", DAY, "claude-sonnet-4-5", 100, exact=False),  # the estimate again: the exact copy stays
        ]))
        ann = auth.caller(conn, box)
        assert ann
        for by in report.TEAM_GROUPS:
            for zone, since in (("UTC", None), ("Asia/Kolkata", "2025-10-10"), ("America/St_Johns", None)):
                rolled = report.report(conn, ann, by, since=since, timezone=zone)
                summed = report.report(conn, bob_laptop, by, since=since, timezone=zone)  # bob's own: every response
                assert rolled == summed, (by, zone)
        whole = report.report(conn, ann, "model", timezone="UTC")
    assert [r.key for r in whole.rows] == ["claude-haiku-4-5", "claude-opus-4-1", "claude-sonnet-4-5", "mystery-model"]
    assert whole.totals.total_tokens == (120 + 50 + 30 + 7) * 13
    assert whole.unpriced_models == ["mystery-model"]


@pytest.fixture(autouse=True)
def _schema(database_url) -> None:
    with db.connect(database_url) as conn:
        db.migrate(conn)


def rollups_and_fresh_sums(conn) -> tuple[list[tuple], list[tuple], list[tuple], list[tuple]]:
    """The team's and the devices' rollups (rows with responses) and the same summed afresh from the responses."""
    def rows(sql: str) -> list[tuple]:
        return sorted(row for row in conn.execute(sql.encode()) if any(row[-8:]))
    return (rows(f"SELECT * FROM {rollups.QUARTERS}"), rows(rollups.FRESH),
            rows(f"SELECT * FROM {rollups.DEVICE_QUARTERS}"), rows(rollups.FRESH_DEVICES))


def test_devices_pushing_overlapping_copies_at_once_keep_the_rollups_exact(database_url) -> None:
    """Eight devices push at once, batch after batch: responses of their own, responses another device
    also has (a synced log: the same copy, a better one or a worse one, in any order), replays of
    their own batches, and a push killed half-way then sent again. The rollups end equal to the
    responses summed afresh, for the team and for each device's own view; nothing deadlocks."""
    devices = 8
    tokens = enroll(database_url, "ann", "admin", *(f"d{n}" for n in range(devices)))

    def copy(device: int, n: int) -> PushUsage:
        """Device ``device``'s ``n``th response: a third of them shared, half with the next device and half
        with the previous one, their copies differing by device (an estimate here, the exact count or a
        relay there), so the better copy replaces the stored one, whichever device comes first."""
        base, owner = n, device
        if n % 6 == 3:  # the previous device's shared response
            base, owner = n - 3, (device - 1) % devices
        key = f"shared:{owner}:{base}" if n % 3 == 0 else f"own:{device}:{n}"
        return usage(key, DAY + (base % 40) * 450, ("m1", "m2", "m3")[base % 3 - 1], 10 + base % 7 + device % 2 * 5,
                     exact=(device + n) % 4 != 0, sidechain=device % 3 == 0 and n % 3 == 0,
                     priced=2 if base % 11 == 0 else 1)

    def device(index: int, barrier: threading.Barrier, errors: list[BaseException]) -> None:
        try:
            with db.connect(database_url) as conn:
                conn.autocommit = True  # each push its own transaction, as the server's
                who = auth.caller(conn, tokens[index])
                assert who
                barrier.wait()
                for start in range(0, 120, 20):
                    batch = PushBatch(f"d{index}", usage=[copy(index, n) for n in range(start, start + 20)])
                    if start == 40:  # killed half-way: its connection drops before the commit
                        doomed = db.connect(database_url)
                        push.store_usage(doomed, who, batch.usage)
                        doomed.close()
                    push.store(conn, who, batch)
                    if start % 40 == 0:
                        push.store(conn, who, batch)  # a replay
        except BaseException as e:  # noqa: BLE001 -- handed to the test's thread
            errors.append(e)

    barrier = threading.Barrier(devices)
    errors: list[BaseException] = []
    threads = [threading.Thread(target=device, args=(n, barrier, errors)) for n in range(devices)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[0]
    with db.connect(database_url) as conn:
        team, fresh, per_device, fresh_devices = rollups_and_fresh_sums(conn)
        replaced = conn.execute("SELECT count(*) FROM usage WHERE dedup_key LIKE 'shared:%' AND exact").fetchone()
    assert team == fresh and len(team) > 40
    assert per_device == fresh_devices and {row[0] for row in per_device} == {row[0] for row in fresh_devices}
    assert replaced and replaced[0] > 0


def test_a_log_superseding_what_otlp_told_takes_it_out_of_the_rollups(database_url) -> None:
    """Two devices report the same Claude Code response over OTLP; one then pushes the log's row for it:
    the OTLP copy leaves the team's and both devices' sums, the log's copy enters them once."""
    laptop, desktop = enroll(database_url, "bob", "member", "laptop", "desktop")
    with db.connect(database_url) as conn:
        on_laptop, on_desktop = auth.caller(conn, laptop), auth.caller(conn, desktop)
        assert on_laptop and on_desktop
        heard = Heard(("otlp:claude-code:req_1", "s1", DAY, "claude-sonnet-4-5", 100, 40, 0, 900, 0.02, 1, 1, 0, 0),
                      "claude-code", "req_1")
        assert otlp.store(conn, on_laptop, [heard]) == 1
        otlp.store(conn, on_desktop, [heard])
        before = conn.execute(f"SELECT sum(responses) FROM {rollups.DEVICE_QUARTERS}").fetchone()
        push.store(conn, on_laptop, PushBatch("laptop", usage=[
            usage("msg_1:req_1", DAY + 1, "claude-sonnet-4-5", 100), usage("msg_2:req_2", DAY + 900, "m2", 5)]))
        team, fresh, per_device, fresh_devices = rollups_and_fresh_sums(conn)
        keys = [k for (k,) in conn.execute("SELECT dedup_key FROM usage ORDER BY 1")]
    assert before == (2,)  # the OTLP response, in each device's view
    assert keys == ["msg_1:req_1", "msg_2:req_2"]
    assert team == fresh and per_device == fresh_devices
    assert [row[0] for row in per_device] == [row[0] for row in fresh_devices]


def test_a_device_deleted_takes_its_responses_and_sightings_out_of_the_rollups(database_url) -> None:
    """Deleting a device (as an admin could in SQL) takes the responses it pushed first and its
    sightings with it, as the foreign keys did, and the rollups follow: equal to the responses summed afresh."""
    laptop, desktop = enroll(database_url, "bob", "member", "laptop", "desktop")
    with db.connect(database_url) as conn:
        on_laptop, on_desktop = auth.caller(conn, laptop), auth.caller(conn, desktop)
        assert on_laptop and on_desktop
        push.store(conn, on_laptop, PushBatch("laptop", usage=[usage("a", DAY, "m1", 10), usage("b", DAY, "m2", 20)]))
        push.store(conn, on_desktop, PushBatch("desktop", usage=[usage("b", DAY, "m2", 20), usage("c", DAY, "m1", 5)]))
        conn.execute("DELETE FROM devices WHERE id = %s", (on_laptop.device_id,))
        team, fresh, per_device, fresh_devices = rollups_and_fresh_sums(conn)
        keys = [k for (k,) in conn.execute("SELECT dedup_key FROM usage ORDER BY 1")]
        sightings = conn.execute("SELECT dedup_key, device_id FROM usage_seen ORDER BY 1").fetchall()
    assert keys == ["c"]  # a and b were the laptop's first
    assert sightings == [("c", on_desktop.device_id)]
    assert team == fresh and per_device == fresh_devices and len(per_device) == 1
