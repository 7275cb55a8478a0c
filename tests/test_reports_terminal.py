"""What a new user sees in an 80-column terminal: tables that fit, numbers never cut,
paths cut in the middle, ids that work, and empty results that say why.

Every table is drawn by the real CLI in a subprocess; rich reads the width from
``COLUMNS``, and a pipe is not a terminal, so no colour codes may leak.
"""

from __future__ import annotations

import re

import pytest
from test_blocks import Response, write_session

# Two sessions whose ids share their first nine characters, as ids made from a
# common prefix do (``session-…``); 8 characters do not tell them apart.
TWIN_A = "5e55a0b1-0c2d-4e3f-8a4b-5c6d7e8f9a01"
TWIN_B = "5e55a0b1-7f8e-4d6c-9b5a-4e3d2c1b0a99"
BIG = "8f1e2d3c-4b5a-4968-8776-655443322110"
NUMBER = re.compile(r"^(\$?[\d,]+(\.\d+)?[kMB]?|—)$")
LONG_CWD = "/home/alexandra/work/clients/acme-corporation/services/billing-api"


def table(cli, *args: str, columns: int = 80) -> list[str]:
    r = cli(*args, "--no-scan", env={"COLUMNS": str(columns)})
    assert r.code == 0, r.err
    assert "\x1b[" not in r.out  # a pipe gets plain text
    lines = r.out.rstrip("\n").split("\n")
    assert all(len(line.rstrip()) <= columns for line in lines), "\n" + r.out
    return lines


@pytest.fixture
def heavy(cli, fixture_logs):
    """A store with the million-token sessions of a real month of use, and two twin ids."""
    write_session(fixture_logs.claude, BIG, [
        Response(f"2025-08-{day:02d}T10:00:00Z", fresh=12_345_678, output=2_345_678, written=34_567_890,
                 read=987_654_321, model="claude-opus-4-1-20250805")
        for day in range(4, 10)
    ], cwd=LONG_CWD)
    write_session(fixture_logs.claude, TWIN_A, [Response("2025-08-11T09:00:00Z", 1_234, 567, read=8_900)])
    twin = write_session(fixture_logs.claude, TWIN_B, [Response("2025-08-11T10:00:00Z", 4_321, 765, read=9_800)],
                         cwd="/home/dev/other")
    # The helper makes message ids from the id's first characters: give the twin its own.
    text = twin.read_text().replace(f"msg_01{TWIN_B[:6]}", "msg_01b0b0b0").replace(f"req_011{TWIN_B[:6]}", "req_011b0b0b0")
    twin.write_text(text)
    r = cli("scan", "--json")
    assert r.code == 0, r.err


def cells(line: str) -> list[str]:
    return line.split()


@pytest.mark.parametrize("by", ["model", "session", "day", "project", "provider"])
@pytest.mark.parametrize("columns", [80, 120, 200])
def test_usage_tables_never_cut_a_number(cli, heavy, by, columns):
    lines = table(cli, "usage", "--by", by, columns=columns)
    header, *rows = lines
    assert header.split()[0] == by.capitalize()
    for line in rows:
        numbers = line[len(line) - len(line.lstrip()):].split("  ")  # the key may hold single spaces
        values = [c.strip() for c in numbers if c.strip()][1:]
        assert values and all(NUMBER.match(v) for v in values), line
        if columns == 200:  # room for every digit: nothing abbreviated
            assert not any(v[-1] in "kMB" for v in values), line
    if columns == 80:  # these numbers do not fit whole in 80 columns
        assert any(cell.endswith("B") for line in rows for cell in line.split()), "\n".join(lines)


def test_at_80_columns_totals_are_abbreviated_and_the_least_useful_columns_go(cli, heavy):
    header, *rows = table(cli, "usage", "--by", "model", columns=60)
    assert header.split() == ["Model", "Input", "Output", "Total", "tokens", "Cost", "(USD)"]
    total = rows[-1].split()
    assert total[0] == "Total" and total[3].endswith("B") and total[4].startswith("$")


def test_list_shows_prefixes_that_tell_sessions_apart_and_work_in_show(cli, heavy):
    every = [cells(line)[0] for line in table(cli, "list")[2:]]
    assert TWIN_A[:10] in every and TWIN_B[:10] in every  # 8 characters would be the same twice
    assert len(set(every)) == len(every)
    assert all(len(p) == 8 for p in every if not p.startswith(TWIN_A[:8]))
    for prefix, full in ((TWIN_A[:10], TWIN_A), (TWIN_B[:10], TWIN_B)):
        r = cli("show", prefix, "--json", "--no-scan")
        assert r.code == 0 and r.json()["id"] == full, r.err
    # Unique in the store, not only among those listed: a filtered list shows the same prefix.
    assert [cells(line)[0] for line in table(cli, "list", "--project", "other")[2:]] == [TWIN_B[:10]]
    r = cli("show", TWIN_A[:8], "--no-scan")
    assert r.code == 1 and r.err.count("\n") == 1
    assert TWIN_A in r.err and TWIN_B in r.err and "matches 2 sessions" in r.err and "(claude-code, " in r.err


def test_usage_by_session_shows_the_same_prefixes(cli, heavy):
    keys = [cells(line)[0] for line in table(cli, "usage", "--by", "session")[1:-1]]
    assert TWIN_A[:10] in keys and TWIN_B[:10] in keys and BIG[:8] in keys


def test_show_cuts_paths_in_the_middle_keeping_the_file_name(cli, fixture_logs):
    files = [f"{LONG_CWD}/src/billing/invoices/{name}" for name in
             ("rounding.py", "discounts.py", "tax_rules.py", "currency_conversion.py")]
    path = write_session(fixture_logs.claude, BIG, [Response("2025-08-04T10:00:00Z", 10, 20)], cwd=LONG_CWD)
    _add_reads(path, files)
    assert cli("scan").code == 0
    lines = table(cli, "show", BIG[:8])
    text = "\n".join(lines)
    for f in files:
        name = f.rsplit("/", 1)[1]
        shown = [line for line in lines if line.split()[:1] and line.split()[0].endswith("/" + name)]
        assert len(shown) == 1, text
        first = shown[0].split()[0]
        assert first.startswith("/home/") and "…" in first  # the start and the name, the middle cut
    wide = "\n".join(table(cli, "show", BIG[:8], columns=200))
    assert all(f in wide for f in files)  # room for every path whole


def _add_reads(transcript, files: list[str]) -> None:
    """Append an assistant turn that reads each file, as Claude Code logs a Read tool call."""
    import json

    last = json.loads(transcript.read_text().splitlines()[-1])
    with transcript.open("a") as f:
        for n, name in enumerate(files):
            line = {**last, "uuid": f"read-{n}", "parentUuid": last["uuid"],
                    "message": {**last["message"], "id": f"msg_read{n}",
                                "content": [{"type": "tool_use", "id": f"toolu_{n}", "name": "Read",
                                             "input": {"file_path": name}}]}}
            line["requestId"] = f"req_read{n}"
            f.write(json.dumps(line) + "\n")


def test_json_keeps_full_ids_numbers_and_paths(cli, heavy):
    listed = cli("list", "--json", "--no-scan", env={"COLUMNS": "40"}).json()
    assert {TWIN_A, TWIN_B, BIG} <= {s["id"] for s in listed}
    big = next(s for s in listed if s["id"] == BIG)
    assert big["cwd"] == LONG_CWD and big["tokens"]["cache_read"] == 6 * 987_654_321
    rows = cli("usage", "--by", "session", "--json", "--no-scan", env={"COLUMNS": "40"}).json()["rows"]
    assert {TWIN_A, TWIN_B, BIG} <= {r["key"] for r in rows}


def test_no_color_and_a_pipe_give_plain_text(cli, heavy):
    for args in (("list",), ("usage", "--by", "model"), ("show", BIG[:8])):
        r = cli(*args, "--no-scan", env={"NO_COLOR": "1", "COLUMNS": "100"})
        assert r.code == 0 and r.out and "\x1b[" not in r.out, r.err


def test_an_empty_result_says_which_filter_left_nothing(cli, heavy):
    r = cli("list", "--provider", "gemini", "--no-scan")
    assert r.code == 0
    assert " ".join(r.out.split()) == "No session matches --provider gemini (9 sessions in the store)."
    r = cli("usage", "--since", "2031-01-01", "--provider", "codex", "--no-scan")
    assert "No usage matches --since 2031-01-01 --provider codex (9 sessions in the store)." in " ".join(r.out.split())
    assert "scan" not in r.out


def test_an_empty_store_says_to_scan(cli):
    for args in (("list",), ("usage",), ("list", "--provider", "codex")):
        r = cli(*args)
        assert r.code == 0 and "Run 'llm-session scan' first" in r.out, args


def test_a_title_that_looks_like_markup_is_shown_as_typed(cli, fixture_logs):
    path = write_session(fixture_logs.claude, BIG, [Response("2025-08-04T10:00:00Z", 10, 20)], cwd="/home/dev/[wip]")
    typed = "Why is arr[/2] [red]empty[/red]?"
    path.write_text(path.read_text().replace("Step 1: carry on with the refactor.", typed))
    assert cli("scan").code == 0
    assert typed in "\n".join(table(cli, "list", columns=200))
    shown = "\n".join(table(cli, "show", BIG[:8], columns=120))
    assert typed in shown and "/home/dev/[wip]" in shown
