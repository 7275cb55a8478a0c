"""Usage reports and the dashboard read the rollups kept on push (team migrations 006 and 9): the team's,
each device's and each owner's. They must say, to the token and the cent, what summing the responses
says, after better copies replaced stored ones and a second device saw a response (docs/team.md#load)."""

from __future__ import annotations

import threading

import pytest
from team_fixtures import database_url, enroll, postgres  # noqa: F401 -- fixtures

from llm_session_manager.core.team_wire import PushBatch, PushSession, PushUsage
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
    return (_rows(conn, f"SELECT * FROM {rollups.QUARTERS}"), _rows(conn, rollups.FRESH),
            _rows(conn, f"SELECT * FROM {rollups.DEVICE_QUARTERS}"), _rows(conn, rollups.FRESH_DEVICES))


def owners_and_fresh_sums(conn) -> tuple[list[tuple], list[tuple], list[tuple], list[tuple]]:
    """The owners' rollups (per quarter hour; per session and day) and the same summed afresh."""
    return (_rows(conn, f"SELECT * FROM {rollups.OWNER_QUARTERS}"), _rows(conn, rollups.FRESH_OWNERS),
            _rows(conn, f"SELECT * FROM {rollups.SESSION_DAYS}"), _rows(conn, rollups.FRESH_SESSIONS))


def _rows(conn, sql: str) -> list[tuple]:
    return sorted(row for row in conn.execute(sql.encode()) if any(row[-8:]))


# Each owner's sessions as their devices' rows say, grouped afresh: what ``owner_sessions`` must hold.
FRESH_OWNER_SESSIONS = """
SELECT d.user_id, s.id, min(s.started_at), max(s.last_activity), array_agg(DISTINCT d.name ORDER BY d.name),
       ((array_agg(s ORDER BY s.last_activity DESC NULLS LAST))[1]).project
FROM sessions s JOIN devices d ON d.id = s.device_id GROUP BY 1, 2 ORDER BY 1, 2
"""


def owner_sessions(conn) -> list[tuple]:
    return conn.execute("SELECT user_id, id, started_at, last_activity, devices, project FROM owner_sessions "
                        "ORDER BY 1, 2").fetchall()


def test_devices_pushing_overlapping_copies_at_once_keep_the_rollups_exact(database_url) -> None:
    """Eight devices push at once, batch after batch: responses of their own, responses another device
    also has (a synced log: the same copy, a better one or a worse one, in any order), replays of
    their own batches, and a push killed half-way then sent again. The rollups end equal to the
    responses summed afresh, for the team and for each device's own view; nothing deadlocks."""
    devices = 8  # four of ann's and four of bob's: d3 and d4 share responses across owners, the rest within one
    tokens = [*enroll(database_url, "ann", "admin", *(f"d{n}" for n in range(4))),
              *enroll(database_url, "bob", "member", *(f"d{n}" for n in range(4, 8)))]

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
                    rows = [copy(index, n) for n in range(start, start + 20)]
                    sessions = [PushSession(f"s{n % 3}", "claude-code", f"p{index % 2}", "/src", None, "m1",
                                            DAY + index, DAY + start * 10 + index) for n in range(3)]
                    batch = PushBatch(f"d{index}", sessions=sessions, usage=rows)
                    if start == 40:  # killed half-way: its connection drops before the commit
                        doomed = db.connect(database_url)
                        push.store_usage(doomed, who, batch.usage)
                        doomed.close()
                    push.store(conn, who, batch)
                    if start % 40 == 0:
                        push.store(conn, who, batch)  # a replay
        except BaseException as e:
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
        owners, fresh_owners, per_session, fresh_sessions = owners_and_fresh_sums(conn)
        replaced = conn.execute("SELECT count(*) FROM usage WHERE dedup_key LIKE 'shared:%' AND exact").fetchone()
        kept, grouped = owner_sessions(conn), conn.execute(FRESH_OWNER_SESSIONS).fetchall()
        pairs = set(conn.execute("SELECT session_id, device_id FROM usage_device_sessions").fetchall())
        fresh_pairs = set(conn.execute(rollups.FRESH_PAIRS.encode()).fetchall())
    assert team == fresh and len(team) > 40
    assert pairs >= fresh_pairs and len(fresh_pairs) == 8  # which devices saw which session: none missing
    assert per_device == fresh_devices and {row[0] for row in per_device} == {row[0] for row in fresh_devices}
    assert replaced and replaced[0] > 0
    assert owners == fresh_owners and {row[0] for row in owners} == {row[0] for row in fresh_owners} and len(owners) > 20
    assert per_session == fresh_sessions
    # a response two of one owner's devices pushed counts once for that owner: their sums are the team's
    assert sum(r[-1] for r in owners) == sum(r[-1] for r in team) + len(_shared_by_both_owners(database_url))
    assert kept == grouped and len(kept) == 6 and all(len(row[4]) == 4 for row in kept)


def _shared_by_both_owners(database_url: str) -> list[str]:
    with db.connect(database_url) as conn:
        return [k for (k,) in conn.execute(
            "SELECT s.dedup_key FROM usage_seen s JOIN devices d ON d.id = s.device_id GROUP BY 1 "
            "HAVING count(DISTINCT d.user_id) = 2")]


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
        owners, fresh_owners, per_session, fresh_sessions = owners_and_fresh_sums(conn)
    assert before == (2,)  # the OTLP response, in each device's view
    assert keys == ["msg_1:req_1", "msg_2:req_2"]
    assert team == fresh and per_device == fresh_devices
    assert owners == fresh_owners and per_session == fresh_sessions and sum(r[-1] for r in owners) == 2
    assert [row[0] for row in per_device] == [row[0] for row in fresh_devices]


def test_a_device_deleted_takes_its_responses_and_sightings_out_of_the_rollups(database_url) -> None:
    """Deleting a device (as an admin could in SQL) takes the responses it pushed first and its
    sightings with it, as the foreign keys did, and the rollups follow: equal to the responses summed
    afresh. Its owner keeps what another of their devices saw too, and loses what only it saw, though
    another owner pushed it first; the owner's sessions lose the device."""
    laptop, desktop = enroll(database_url, "bob", "member", "laptop", "desktop")
    (box,) = enroll(database_url, "carol", "member", "box")
    with db.connect(database_url) as conn:
        on_laptop, on_desktop, on_box = auth.caller(conn, laptop), auth.caller(conn, desktop), auth.caller(conn, box)
        assert on_laptop and on_desktop and on_box
        s1 = PushSession("s1", "claude-code", "p", "/src", None, "m1", DAY, DAY + 60)
        push.store(conn, on_box, PushBatch("box", usage=[usage("f", DAY, "m1", 3)]))
        push.store(conn, on_desktop, PushBatch("desktop", usage=[usage("e", DAY, "m1", 4)]))
        push.store(conn, on_laptop, PushBatch("laptop", sessions=[s1], usage=[
            usage("a", DAY, "m1", 10), usage("b", DAY, "m2", 20), usage("e", DAY, "m1", 4), usage("f", DAY, "m1", 3)]))
        push.store(conn, on_desktop, PushBatch("desktop", sessions=[s1], usage=[
            usage("b", DAY, "m2", 20), usage("c", DAY, "m1", 5)]))
        assert [row[4] for row in owner_sessions(conn)] == [["desktop", "laptop"]]
        conn.execute("DELETE FROM devices WHERE id = %s", (on_laptop.device_id,))
        team, fresh, per_device, fresh_devices = rollups_and_fresh_sums(conn)
        owners, fresh_owners, per_session, fresh_sessions = owners_and_fresh_sums(conn)
        keys = [k for (k,) in conn.execute("SELECT dedup_key FROM usage ORDER BY 1")]
        sightings = conn.execute("SELECT dedup_key, device_id FROM usage_seen ORDER BY 1").fetchall()
        bobs = conn.execute(f"SELECT sum(responses) FROM {rollups.OWNER_QUARTERS} q JOIN users u ON u.id = q.user_id "
                            "WHERE u.name = 'bob'").fetchone()
        kept, grouped = owner_sessions(conn), conn.execute(FRESH_OWNER_SESSIONS).fetchall()
        left = conn.execute("SELECT (SELECT count(*) FROM usage_device_quarters WHERE device_id = %(d)s), "
                            "(SELECT count(*) FROM usage_device_sessions WHERE device_id = %(d)s)",
                            {"d": on_laptop.device_id}).fetchone()
    assert left == (0, 0)  # the laptop's own rollup rows and pairs went with it
    assert keys == ["c", "e", "f"]  # a and b were the laptop's first
    assert sightings == [("c", on_desktop.device_id), ("e", on_desktop.device_id), ("f", on_box.device_id)]
    assert team == fresh and per_device == fresh_devices and len(per_device) == 2
    assert owners == fresh_owners and per_session == fresh_sessions
    assert bobs == (2,)  # c and e, which the desktop saw; not f, which only the laptop of bob's devices saw
    assert kept == grouped and [row[4] for row in kept] == [["desktop"]]


def test_a_report_over_whole_quarter_hours_equals_the_responses_summed_for_a_member(database_url) -> None:
    """A member's report over whole quarter hours comes from their rollup; over a span that starts a
    second later (no response in that second) it is summed from the responses they may read. Both
    say the same, with a response two of their devices pushed (in two copies) counted once and one
    another owner pushed too counted for them as well."""
    laptop, desktop = enroll(database_url, "bob", "member", "laptop", "desktop")
    (box,) = enroll(database_url, "carol", "member", "box")
    with db.connect(database_url) as conn:
        on_laptop, on_desktop, on_box = auth.caller(conn, laptop), auth.caller(conn, desktop), auth.caller(conn, box)
        assert on_laptop and on_desktop and on_box
        push.store(conn, on_box, PushBatch("box", usage=[usage("x", DAY + 600, "m3", 9), usage("y", DAY, "m3", 2)]))
        push.store(conn, on_laptop, PushBatch("laptop", usage=[
            usage("a", DAY, "claude-sonnet-4-5", 100, exact=False), usage("b", DAY + 86400, "m2", 7, priced=2),
            usage("x", DAY + 600, "m3", 9)]))
        push.store(conn, on_desktop, PushBatch("desktop", usage=[
            usage("a", DAY + 3600, "claude-haiku-4-5", 120), usage("c", DAY + 2 * 86400, "m1", 30)]))
        for by in report.TEAM_GROUPS:
            for zone in ("UTC", "Asia/Kolkata", "America/St_Johns"):
                rolled = report.report(conn, on_laptop, by, since="2025-10-01", timezone=zone)
                summed = report.report(conn, on_laptop, by, since="2025-10-01T00:00:01", timezone=zone)
                assert rolled == summed, (by, zone)
                assert rolled.totals.total_tokens == (120 + 7 + 9 + 30) * 13, (by, zone)
        whole = report.report(conn, on_desktop, "device", timezone="UTC")
    assert [r.key for r in whole.rows] == ["bob/desktop", "bob/laptop"]
    assert whole.unpriced_models == ["m2"]
