"""Presence on a session page: a heartbeat says someone is there; two silent intervals say they left."""

from __future__ import annotations

from llm_session_manager.services.dashboard import Viewer
from llm_session_manager.team.presence import Presence


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_viewer_is_there_until_two_heartbeats_pass_in_silence_and_each_change_moves_the_generation() -> None:
    clock = Clock()
    here = Presence(heartbeat_s=10, clock=clock)
    page, other = ("alice", "a-web"), ("bob", "a-web")  # the same id, another owner: another page
    start = here.generation()
    assert here.beat(page, "bob") and here.beat(page, "alice")
    assert not here.beat(page, "bob")  # a heartbeat of someone already there changes nothing
    arrived = here.generation()
    assert arrived == start + 2
    assert here.viewers(page) == [Viewer("alice"), Viewer("bob")] and here.viewers(other) == []
    clock.now += 15
    here.beat(page, "alice")
    clock.now += 10  # bob silent for 25 s (> 2 x 10): gone; alice beat 10 s ago: still there
    assert here.viewers(page) == [Viewer("alice")]
    assert here.generation() == arrived + 1
    here.leave(page, "alice")
    assert here.viewers(page) == [] and here.generation() == arrived + 2
