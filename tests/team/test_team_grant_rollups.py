"""A member holding grants reads their usage report from the rollups too (issue 14): their own sums
from their rollups, the granted sessions' responses their devices did not see added once. The report
must say, to the token and the cent, what summing every response they may read says
(``access.readable_usage_sql``): a response their own device and a granting owner's device both
pushed counts once, and a response counts through a grant only where the granting owner's device that
pushed it has a row of that session the grant covers."""

from __future__ import annotations

import pytest
from team_fixtures import database_url, enroll, postgres  # noqa: F401 -- fixtures

from llm_session_manager.core.team_wire import PushBatch, PushSession, PushUsage
from llm_session_manager.team import auth, db, grants, push, report

DAY = 1_760_000_000.0  # 2025-10-09, 09:53 UTC


def usage(key: str, session: str, ts: float, model: str, tokens: int, *, exact: bool = True,
          priced: int = 1) -> PushUsage:
    return PushUsage(key, session, "claude-code", ts, model, tokens, tokens * 2, 0, tokens * 10, 0, tokens / 1000,
                     priced, exact, False)


def session(sid: str, project: str) -> PushSession:
    return PushSession(sid, "claude-code", project, "/src", "a session", "m1", DAY, DAY + 3 * 86400)


@pytest.fixture(autouse=True)
def _schema(database_url) -> None:
    with db.connect(database_url) as conn:
        db.migrate(conn)


def test_a_member_with_a_session_grant_and_a_project_grant_reads_the_same_sums_from_the_rollups(
        database_url) -> None:
    (laptop,) = enroll(database_url, "carl", "member", "laptop")
    ann_a, ann_b = enroll(database_url, "ann", "member", "ann-a", "ann-b")
    bob_x, bob_y = enroll(database_url, "bob", "member", "bob-x", "bob-y")
    with db.connect(database_url) as conn:
        carl, on_ann_a, on_ann_b, on_bob_x, on_bob_y = (auth.caller(conn, t) for t in (laptop, ann_a, ann_b,
                                                                                         bob_x, bob_y))
        assert carl and on_ann_a and on_ann_b and on_bob_x and on_bob_y
        # ann's s1 (granted to carl) and s2 (not); carl's laptop has r2 of s1 as well (a synced log), in a
        # better copy than ann's: r2 counts once for carl, as the kept copy says
        push.store(conn, on_ann_a, PushBatch("ann-a", sessions=[session("s1", "api"), session("s2", "api")], usage=[
            usage("r1", "s1", DAY, "m1", 10), usage("r2", "s1", DAY + 600, "m2", 20, exact=False),
            usage("r3", "s2", DAY + 900, "m1", 30), usage("r4", "s1", DAY + 86400, "odd-model", 3, priced=2)]))
        push.store(conn, carl, PushBatch("laptop", sessions=[session("s1", "mine"), session("c1", "mine")], usage=[
            usage("r2", "s1", DAY + 600, "m2", 25), usage("c1", "c1", DAY + 2 * 86400, "m3", 40)]))
        # ann's other machine pushed r1 too, without a row of s1 (an OTLP-like sighting): r1 still counts once
        push.store(conn, on_ann_b, PushBatch("ann-b", usage=[usage("r1", "s1", DAY, "m1", 10)]))
        # bob's project "web" is granted: b1 is in it on bob-x, but in "other" on bob-y, so what only
        # bob-y pushed of b1 is not carl's to count; b2 is in "other"; r5 is also on ann's s1 device
        push.store(conn, on_bob_x, PushBatch("bob-x", sessions=[session("b1", "web"), session("b2", "other")], usage=[
            usage("r5", "b1", DAY + 3600, "m1", 50), usage("r6", "b2", DAY + 7200, "m2", 60),
            usage("r7", "b1", DAY + 86400 + 1800, "m3", 70)]))
        push.store(conn, on_bob_y, PushBatch("bob-y", sessions=[session("b1", "other")], usage=[
            usage("r5", "b1", DAY + 3600, "m1", 50), usage("r8", "b1", DAY + 4 * 3600, "m2", 80)]))
        push.store(conn, on_ann_a, PushBatch("ann-a", usage=[usage("r7", "b1", DAY + 86400 + 1800, "m3", 70)]))
        # sessions only their granting owner's one device saw: ann's s5, bob's b3 (in "web")
        push.store(conn, on_ann_a, PushBatch("ann-a", sessions=[session("s5", "api")], usage=[
            usage("r9", "s5", DAY + 2 * 86400 + 900, "m1", 90)]))
        push.store(conn, on_bob_x, PushBatch("bob-x", sessions=[session("b3", "web")], usage=[
            usage("r10", "b3", DAY + 1800, "m2", 100), usage("r11", "b3", DAY + 86400 * 2, "odd-model", 4, priced=2)]))
        grants.create(conn, on_ann_a, grants.GrantRequest("carl", session="s1"))
        grants.create(conn, on_ann_a, grants.GrantRequest("carl", session="s5"))
        grants.create(conn, on_bob_x, grants.GrantRequest("carl", project="web"))

        for by in report.TEAM_GROUPS:
            for zone, since, until in (("UTC", None, None), ("UTC", "2025-10-10", None),
                                       ("Asia/Kolkata", "2025-10-10", "2025-10-11"), ("America/St_Johns", None, None)):
                rolled = report.report(conn, carl, by, since=since, until=until, timezone=zone)
                summed = report.report(conn, carl, by, since=since, until=until, timezone=zone, afresh=True)
                assert rolled == summed, (by, zone, since, until)
        whole = report.report(conn, carl, "model", timezone="UTC")
        # the rollups are what it read: without carl's own (r2, c1), only the granted rest
        with pytest.raises(_Undone), conn.transaction():
            conn.execute("DELETE FROM usage_owner_quarters WHERE user_id = %s", (carl.user_id,))
            assert report.report(conn, carl, "day", timezone="UTC").totals.total_tokens == 13 * (10 + 3 + 50 + 70 + 90 + 100 + 4)
            raise _Undone
    # r1, r2 (carl's copy), r4, c1, r5, r7, r9, r10, r11: not r3 (s2), r6 (b2), r8 (only bob-y's b1, in "other")
    assert whole.totals.total_tokens == 13 * (10 + 25 + 3 + 40 + 50 + 70 + 90 + 100 + 4)
    assert [r.key for r in whole.rows] == ["m1", "m2", "m3", "odd-model"]
    assert whole.unpriced_models == ["odd-model"]


class _Undone(Exception):
    """Raised to roll a transaction back."""
