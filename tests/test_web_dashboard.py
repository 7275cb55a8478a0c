"""The web dashboard, driven in real headless Chromium (Debian's package) through Playwright.

One real `llm-session serve` on a free loopback port over the Claude Code and
Codex fixture logs in a temp home, and one browser, serve every test of this
module. Every request the pages make to anything but this server is aborted
and recorded, and the last test checks there were none: the dashboard works
without third-party network access. Screenshots (light and dark) go to
``tests/artifacts/web/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import httpx2
import pytest
from conftest import CODEX_RECENT, FIXTURES, append_codex_turn

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts" / "web"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]"}

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the browser is Debian's)")
if not CHROMIUM.exists():
    pytest.skip("install Debian's chromium (make system-deps) to drive the dashboard", allow_module_level=True)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """`llm-session serve` over copies of the fixture logs; its base URL, environment and the logs."""
    root = tmp_path_factory.mktemp("web")
    home = root / "home"
    home.mkdir()
    shutil.copytree(FIXTURES / "claude-code", root / "claude")
    shutil.copytree(FIXTURES / "codex" / "home", root / "codex")
    config = root / "config.yaml"
    config.write_text("session_discovery:\n  scan_interval: 1\n")
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_DATA_HOME": str(home / ".local" / "share"), "XDG_CACHE_HOME": str(home / ".cache"),
           "LLM_SESSION_DATA_DIR": str(root / "data"), "LLM_SESSION_CONFIG": str(config),
           "CLAUDE_CONFIG_DIR": str(root / "claude"), "CODEX_HOME": str(root / "codex"), "TZ": "UTC"}
    proc = subprocess.Popen([sys.executable, "-m", "llm_session_manager", "serve", "--verbose", "--port", "0",
                             "--lsp-port", "0"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    lines: list[str] = []
    seen = threading.Condition()

    def drain() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            with seen:
                lines.append(line)
                seen.notify_all()

    threading.Thread(target=drain, daemon=True).start()

    def base() -> str | None:
        return next((m.group(1) for line in lines if (m := re.search(r"dashboard at (http://\S+?)/\s*$", line))), None)

    with seen:
        ready = seen.wait_for(lambda: base() and any("scan done" in line for line in lines), timeout=60)
    if not ready:
        proc.kill()
        raise AssertionError("serve did not start:\n" + "".join(lines))
    try:
        yield SimpleNamespace(base=base(), env=env, recent=next((root / "codex").rglob(f"*{CODEX_RECENT}.jsonl")))
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM))  # never `playwright install`
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def offsite() -> list[str]:
    """Every request a page made to a host other than this machine (aborted)."""
    return []


@pytest.fixture
def page(browser: sync_api.Browser, offsite: list[str]) -> Iterator[sync_api.Page]:
    yield from _page(browser, offsite, "light")


def _page(browser: sync_api.Browser, offsite: list[str], scheme: str) -> Iterator[sync_api.Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)  # type: ignore[arg-type]

    def guard(route: sync_api.Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS | {"::1"} or route.request.url.startswith("data:"):
            route.continue_()
        else:
            offsite.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    errors: list[str] = []
    pg = context.new_page()
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" and not _asked_for_unknown(m) else None)
    yield pg
    context.close()
    assert errors == [], errors


def _asked_for_unknown(message: sync_api.ConsoleMessage) -> bool:
    """The browser's own line for the 404 the page shows as "no such session" (its test asks for one)."""
    return "404" in message.text and "/api/sessions/no-such-session" in message.location.get("url", "")


def _open(page: sync_api.Page, url: str) -> float:
    """Load ``url`` and wait until the script has filled the page; the seconds it took."""
    began = time.monotonic()
    page.goto(url)
    page.wait_for_selector("body[data-ready]", timeout=15_000)
    return time.monotonic() - began


def _shot(page: sync_api.Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    print(f"screenshot: {ARTIFACTS / name}.png")


def _cli(served: SimpleNamespace, *args: str) -> object:
    r = subprocess.run([sys.executable, "-m", "llm_session_manager", *args], capture_output=True,
                       text=True, env=served.env, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _grid(page: sync_api.Page) -> list[dict[str, str]]:
    return page.eval_on_selector_all("#grid tbody tr", """rows => rows.map(r => ({
        id: r.dataset.id, provider: r.cells[1].textContent.trim(), project: r.cells[2].textContent.trim()}))""")


def test_the_grid_lists_every_session_and_the_keyboard_opens_one(served, page):
    took = _open(page, served.base + "/")
    print(f"dashboard ready in {took:.2f} s")
    listed = _cli(served, "list", "--json", "--no-scan")
    assert [r["id"] for r in _grid(page)] == [s["id"] for s in listed]
    assert page.evaluate("document.body.dataset.ready") == "yes"
    assert page.is_hidden("select[name=user]") and page.is_hidden("select[name=device]"), "team-only filters show"
    for chart, expect in [("chart-models", "gpt-5.3-codex"), ("chart-providers", "codex"), ("chart-tools", "edit")]:
        assert expect in (page.get_attribute(f"#{chart}", "aria-label") or ""), chart
    _shot(page, "dashboard-light")

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")  # the skip link: focus lands on the main content
    assert page.evaluate("document.activeElement.id") == "main"
    page.focus("#grid tbody tr:first-child")
    page.keyboard.press("ArrowDown")
    second = listed[1]["id"]
    assert page.evaluate("document.activeElement.dataset.id") == second
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid", "focus is not visible"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/sessions/{second}")
    page.wait_for_selector("body[data-ready=yes]")
    assert page.inner_text("h1") == (listed[1]["title"] or second)
    conversation = _cli(served, "export-conversation", second, "--format", "json")
    assert page.locator("#conversation li").count() == len(conversation["messages"]) > 0
    assert page.is_hidden("#annotations") and page.is_hidden("#presence"), "a local page has no team parts"
    _shot(page, "session-light")


def test_filters_narrow_the_grid_and_the_charts(served, page):
    _open(page, served.base + "/")
    page.select_option("select[name=provider]", "codex")
    page.fill("input[name=since]", "2026-01-01")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/?*provider=codex*")
    page.wait_for_selector("body[data-ready=yes]")
    rows = _grid(page)
    expected = _cli(served, "list", "--json", "--no-scan", "--provider", "codex", "--since", "2026-01-01")
    assert [r["id"] for r in rows] == [s["id"] for s in expected] and expected
    assert {r["provider"] for r in rows} == {"codex"}
    assert page.input_value("select[name=provider]") == "codex"
    assert "claude" not in (page.get_attribute("#chart-models", "aria-label") or "")
    days = page.get_attribute("#chart-days", "aria-label") or ""
    usage = _cli(served, "usage", "--json", "--no-scan", "--provider", "codex", "--since", "2026-01-01")
    assert f"{len(usage['rows'])} days" in days

    page.get_by_role("button", name="Clear").click()
    page.wait_for_selector("body[data-ready=yes]")
    assert page.input_value("select[name=provider]") == "" and len(_grid(page)) > len(rows)


def test_a_new_turn_in_a_log_reaches_the_open_grid_without_a_reload(served, page):
    _open(page, served.base + "/")
    page.wait_for_selector("body[data-live=on]")
    row = f"#grid tbody tr[data-id$='{CODEX_RECENT}']"
    before = page.inner_text(f"{row} td:nth-child(7)")
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    append_codex_turn(served.recent, now, 5_000_000, 1000)  # millions more tokens, and active now
    page.wait_for_function("([cell, before]) => document.querySelector(cell).textContent !== before",
                           arg=[f"{row} td:nth-child(7)", before], timeout=15_000)
    assert page.evaluate("document.body.dataset.refreshed") >= "1"
    assert page.locator("#grid tbody tr").first.get_attribute("data-id").endswith(CODEX_RECENT)  # most recent first


def test_dark_theme_and_an_unknown_session(served, browser, offsite):
    for pg in _page(browser, offsite, "dark"):
        took = _open(pg, served.base + "/")
        print(f"dashboard ready in {took:.2f} s (dark, warm)")
        background = pg.evaluate("getComputedStyle(document.body).backgroundColor")
        assert sum(int(c) for c in re.findall(r"\d+", background)[:3]) < 150, background  # a dark page
        _shot(pg, "dashboard-dark")
        first = pg.locator("#grid tbody tr").first.get_attribute("data-id")
        _open(pg, f"{served.base}/sessions/{first}")
        _shot(pg, "session-dark")
        pg.goto(served.base + "/sessions/no-such-session")
        pg.wait_for_selector("body[data-ready=error]")
        assert "no-such-session" in pg.inner_text("[role=alert]")


def test_the_pages_asked_nothing_of_any_other_host(served, offsite):
    assert offsite == []


def test_a_page_elsewhere_cannot_read_the_dashboard_through_dns_rebinding(served):
    r = httpx2.get(served.base + "/api/sessions", headers={"host": "attacker.example"}, timeout=10)
    assert r.status_code == 403
    r = httpx2.get(served.base + "/api/sessions", headers={"origin": "http://attacker.example"}, timeout=10)
    assert r.status_code == 403
    r = httpx2.get(served.base + "/", timeout=10)
    assert r.status_code == 200 and "default-src 'none'" in r.headers["content-security-policy"]


def test_the_charts_figures_are_the_usage_reports(served):
    got = httpx2.get(served.base + "/api/overview", params={"project": "acme-api"}, timeout=30).json()
    usage = _cli(served, "usage", "--json", "--no-scan", "--project", "acme-api")
    assert got["total_tokens"] == usage["totals"]["total_tokens"]
    assert [d["day"] for d in got["days"]] == [r["key"] for r in usage["rows"]]
    by_model = _cli(served, "usage", "--json", "--no-scan", "--project", "acme-api", "--by", "model")
    assert [m["key"] for m in got["top_models"]] == [r["key"] for r in by_model["rows"]][:8]
    assert sum(b["count"] for b in got["health"]) == sum(b["count"] for b in got["context_fill"]) == got["sessions"]


def test_a_date_the_api_cannot_read_is_a_400_that_says_so(served):
    r = httpx2.get(served.base + "/api/sessions", params={"since": "last tuesdayish"}, timeout=10)
    assert r.status_code == 400 and "since" in r.json()["error"]
