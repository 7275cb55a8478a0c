from __future__ import annotations


def test_smoke(team_server, cli):
    r = cli("team", "user", "add", "ann", "--role", "admin")
    assert r.code == 0, r.err
    r = cli("team", "token", "create", "--user", "ann", "--device", "laptop", "--json")
    assert r.code == 0, r.err
    token = r.json()["token"]
    r = cli("team", "join", team_server.url, "--token", token)
    assert r.code == 0, r.err
    r = cli("team", "push", "--json")
    assert r.code == 0, r.err
    print(r.out)
    r = cli("team", "usage", "--json")
    assert r.code == 0, r.err
    print(r.out)
