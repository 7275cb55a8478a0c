"""The team dashboard's API answers from the owners' rollups and kept sessions (team migration 9,
docs/team.md#load): each owner's sessions with the sums of what their devices pushed, a response two
of their devices pushed counted once, a viewer shown only what was granted, and the change feed's
stamp moved by whatever a device stores."""

from __future__ import annotations

import json
import urllib.request

import pytest
from team_fixtures import database_url, enroll, postgres, team_server  # noqa: F401 -- fixtures

from llm_session_manager.core.team_share_wire import MessagesBatch, PushMessage
from llm_session_manager.core.team_wire import PushBatch, PushSession, PushUsage
from llm_session_manager.store.otlp_usage import Heard
from llm_session_manager.team import auth, db, grants, otlp, push, shared, shared_sessions
from llm_session_manager.team.dashboard_source import _stamp

pytestmark = pytest.mark.slow

DAY = 1_760_000_000.0  # 2025-10-09, 09:53 UTC


def usage(key: str, session: str, ts: float, model: str, tokens: int, *, exact: bool = True) -> PushUsage:
    return PushUsage(key, session, "claude-code", ts, model, tokens, tokens * 2, 0, tokens * 10, 0, tokens / 1000,
                     1, exact, False)


def session(sid: str, project: str, last: float) -> PushSession:
    return PushSession(sid, "claude-code", project, "/src", f"about {sid}", "m1", DAY, last)


def _get(url: str, token: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())


def test_each_owners_sessions_show_what_their_devices_pushed_once_and_a_viewer_only_the_granted(
        team_server, database_url) -> None:
    laptop, desktop = enroll(database_url, "bob", "member", "laptop", "desktop")
    (box,) = enroll(database_url, "carol", "member", "box")
    (admin,) = enroll(database_url, "ann", "admin", "ann-box")
    (viewer,) = enroll(database_url, "vic", "viewer", "vic-box")
    with db.connect(database_url) as conn:
        on_laptop, on_desktop, on_box = auth.caller(conn, laptop), auth.caller(conn, desktop), auth.caller(conn, box)
        assert on_laptop and on_desktop and on_box
        # bob's s1 is on both his machines (a synced log): "a" in two copies, the desktop's exact one kept
        push.store(conn, on_laptop, PushBatch("laptop", sessions=[session("s1", "p1", DAY + 100)], usage=[
            usage("a", "s1", DAY, "m1", 10, exact=False), usage("b", "s1", DAY + 50, "m2", 20)]))
        push.store(conn, on_desktop, PushBatch("desktop", sessions=[session("s1", "p1", DAY + 200),
                                                                   session("s2", "p2", DAY + 86400)], usage=[
            usage("a", "s1", DAY, "m1", 12), usage("b", "s1", DAY + 50, "m2", 20),
            usage("c", "s2", DAY + 86400, "m1", 5)]))
        # carol has a copy of bob's s1 too: her own session, counted for her as well
        push.store(conn, on_box, PushBatch("box", sessions=[session("s1", "p9", DAY + 300),
                                                           session("s3", "p3", DAY + 400)], usage=[
            usage("a", "s1", DAY, "m1", 12), usage("d", "s3", DAY + 400, "m3", 7)]))
        bob = auth.caller(conn, desktop)
        assert bob
        grants.create(conn, bob, grants.GrantRequest("vic", session="s1"))

    def tokens(n: int) -> int:
        return n * 13

    bobs = _get(f"{team_server.url}/dashboard/api/view", laptop)
    assert [(s["id"], s["tags"], s["tokens"]["total"]) for s in bobs["sessions"]] == [
        ("s2", ["owner:bob", "device:desktop"], tokens(5)),
        ("s1", ["owner:bob", "device:desktop", "device:laptop"], tokens(12 + 20))]
    assert bobs["overview"]["total_tokens"] == tokens(12 + 20 + 5) and bobs["overview"]["sessions"] == 2
    assert [(d["day"], d["total_tokens"]) for d in bobs["overview"]["days"]] == [
        ("2025-10-09", tokens(32)), ("2025-10-10", tokens(5))]
    assert [(m["key"], m["total_tokens"], m["count"]) for m in bobs["overview"]["top_models"]] == [
        ("m2", tokens(20), 1), ("m1", tokens(17), 2)]
    assert [(p["key"], p["count"]) for p in bobs["overview"]["top_projects"]] == [("p1", 2), ("p2", 1)]

    vics = _get(f"{team_server.url}/dashboard/api/view", viewer)
    assert [(s["id"], s["tags"][0], s["tokens"]["total"]) for s in vics["sessions"]] == [("s1", "owner:bob", tokens(32))]
    assert vics["overview"]["total_tokens"] == tokens(32)
    assert _get(f"{team_server.url}/dashboard/api/facets", viewer)["users"] == ["bob"]
    page = _get(f"{team_server.url}/dashboard/api/sessions/s1", viewer)["conversation"]["session"]
    assert (page["tokens"]["total"], page["tokens"]["source"]) == (tokens(32), "exact")

    everyone = _get(f"{team_server.url}/dashboard/api/view", admin)
    assert sorted((s["id"], s["tags"][0]) for s in everyone["sessions"]) == [
        ("s1", "owner:bob"), ("s1", "owner:carol"), ("s2", "owner:bob"), ("s3", "owner:carol")]
    assert everyone["overview"]["total_tokens"] == tokens(32 + 5 + 12 + 7)  # "a" once for each owner
    carols = _get(f"{team_server.url}/dashboard/api/view?user=carol&project=p9", admin)
    assert [(s["id"], s["project"], s["tokens"]["total"]) for s in carols["sessions"]] == [("s1", "p9", tokens(12))]
    facets = _get(f"{team_server.url}/dashboard/api/facets", admin)
    assert (facets["users"], facets["projects"], facets["devices"]) == (
        ["bob", "carol"], ["p1", "p2", "p3", "p9"], ["box", "desktop", "laptop"])


def test_the_change_stamp_moves_with_a_push_messages_otlp_a_note_and_a_grant(database_url) -> None:
    with db.connect(database_url) as conn:
        db.migrate(conn)
    laptop, = enroll(database_url, "bob", "member", "laptop")
    enroll(database_url, "vic", "viewer")
    with db.connect(database_url) as conn:
        bob = auth.caller(conn, laptop)
        assert bob
        seen = [_stamp(conn)]

        def moved() -> bool:
            seen.append(_stamp(conn))
            return seen[-1] != seen[-2]

        push.store(conn, bob, PushBatch("laptop", sessions=[session("s1", "p1", DAY)]))
        assert moved()
        push.store(conn, bob, PushBatch("laptop", usage=[usage("a", "s1", DAY, "m1", 3)]))
        assert moved()
        shared.store_messages(conn, bob, MessagesBatch("laptop", messages=[
            PushMessage("k1", "s1", DAY, "user", "prompt", "hello")]))
        assert moved()
        heard = Heard(("otlp:claude-code:req_9", "s9", DAY, "m1", 1, 1, 0, 0, 0.0, 1, 1, 0, 0), "claude-code", "req_9")
        assert otlp.store(conn, bob, [heard]) == 1
        assert moved()
        shared_sessions.add_note(conn, bob, "s1", "a note")
        assert moved()
        grants.create(conn, bob, grants.GrantRequest("vic", session="s1"))
        assert moved()
        assert not moved()  # nothing stored: the same stamp
