"""An admin's usage report reads the rollups kept on push (team migration 006); it must say, to the
token and the cent, what summing the responses says, after better copies replaced stored ones and
a second device saw a response (docs/team.md#load)."""

from __future__ import annotations

import pytest
from team_fixtures import database_url, enroll, postgres  # noqa: F401 -- fixtures

from llm_session_manager.core.team_wire import PushBatch, PushUsage
from llm_session_manager.team import auth, db, push, report

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
