"""Sources other packages add through the ``llm_session_manager.sources`` entry points.

Each plugin here is installed for real: a ``*.dist-info`` directory with its
``entry_points.txt``, as pip writes it, in a directory on the CLI's
``PYTHONPATH``. The plugin that reads logs is the example in docs/providers.md,
taken from the page as written.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).parent.parent / "docs" / "providers.md"
GROUP = "llm_session_manager.sources"
LONG_AGO = 1_700_000_000  # a time for directories nothing has changed in lately


def _documented_plugin() -> str:
    section = DOCS.read_text().split("## Writing a source plugin", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def _install(site: Path, dist: str, entries: dict[str, str], modules: dict[str, str]) -> None:
    """What ``pip install`` leaves of a plugin package: its modules and its metadata."""
    site.mkdir(exist_ok=True)
    for name, text in modules.items():
        (site / f"{name}.py").write_text(text)
    info = site / f"{dist}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        f"[{GROUP}]\n" + "".join(f"{name} = {value}\n" for name, value in entries.items()))


def _on_path(site: Path) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}


def _tinylog(home: Path, lines: list[dict | str]) -> None:
    """A tinylog log: a JSON line per response, appended to ~/.tinylog/sessions/*.jsonl."""
    logs = home / ".tinylog" / "sessions"
    logs.mkdir(parents=True)
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    (logs / "2026-12-01.jsonl").write_text(text)


RESPONSES = [
    {"id": "r1", "session": "a1b2c3d4e5", "ts": 1764583200.0, "model": "gpt-4o", "input": 1200, "output": 300,
     "cwd": "/home/me/shop"},
    {"id": "r2", "session": "a1b2c3d4e5", "ts": 1764583260.0, "model": "gpt-4o", "input": 1800, "output": 200,
     "cwd": "/home/me/shop"},
]


def test_a_source_plugin_is_scanned_like_the_built_in_sources(tmp_path, cli, sandbox_home):
    site = tmp_path / "site"
    _install(site, "tinylog_source", {"tinylog": "tinylog_source:SOURCE"}, {"tinylog_source": _documented_plugin()})
    _tinylog(sandbox_home, [*RESPONSES, '{"id": "r3", "session": "a1b2c3d4e5", "ts": 17645'])

    scan = cli("scan", "--json", env=_on_path(site))
    assert scan.code == 0, scan.err
    assert scan.json()["warnings"] == [] and scan.json()["malformed"] == 1

    sessions = cli("list", "--json", "--no-scan", env=_on_path(site)).json()
    (session,) = sessions
    assert (session["id"], session["provider"], session["project"]) == ("tinylog:a1b2c3d4e5", "tinylog", "shop")
    assert (session["tokens"]["input"], session["tokens"]["output"], session["tokens"]["source"]) == (3000, 500, "exact")
    assert session["cost_usd"] > 0  # priced from the model name, as a built-in source's usage is

    usage = cli("usage", "--by", "provider", "--json", env=_on_path(site)).json()
    assert [(row["key"], row["total_tokens"]) for row in usage["rows"]] == [("tinylog", 3500)]


def test_a_broken_plugin_is_one_warning_and_every_other_source_is_read(tmp_path, cli, fixture_logs, sandbox_home):
    site = tmp_path / "site"
    documented = _documented_plugin()
    _install(site, "tinylog_source", {"tinylog": "tinylog_source:SOURCE"}, {"tinylog_source": documented})
    _install(site, "gone", {"gone": "no_such_module:SOURCE"}, {})
    _install(site, "shapeless", {"shapeless": "shapeless:SOURCE"}, {"shapeless": "SOURCE = 'not a source'\n"})
    _install(site, "copycat", {"copycat": "copycat:SOURCE"},
             {"copycat": documented.replace('provider = "tinylog"', 'provider = "codex"')})
    _install(site, "clumsy", {"clumsy": "clumsy:TinyLog"}, {"clumsy": documented.replace(
        'provider = "tinylog"', 'provider = "clumsy"').replace(
        "        return find_files(", "        raise RuntimeError('lost my way')\n        return find_files(")})
    _tinylog(sandbox_home, RESPONSES)

    scan = cli("scan", "--json", env=_on_path(site))
    assert scan.code == 0, scan.err
    warnings = scan.json()["warnings"]
    assert sorted(w.split(":")[0] for w in warnings if w.startswith("source plugin ")) == [
        "source plugin clumsy", "source plugin copycat (copycat", "source plugin gone (no_such_module",
        "source plugin shapeless (shapeless"], warnings
    assert any("ModuleNotFoundError" in w and w.endswith("skipped") for w in warnings), warnings
    assert any("not a Source: no provider id" in w for w in warnings), warnings
    assert any("provider id 'codex' is a built-in one; skipped" in w for w in warnings), warnings
    assert any("discover failed" in w and "RuntimeError: lost my way" in w for w in warnings), warnings
    assert all(f"warning: {w}" in scan.err for w in warnings)

    providers = {s["provider"] for s in cli("list", "--json", "--no-scan").json()}
    assert providers == {"claude-code", "codex", "tinylog"}


def test_a_command_that_does_not_scan_never_loads_a_plugin(tmp_path, cli, sandbox_home):
    site = tmp_path / "site"
    marker = tmp_path / "imported"
    loud = f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n" + _documented_plugin()
    _install(site, "tinylog_source", {"tinylog": "tinylog_source:SOURCE"}, {"tinylog_source": loud})

    for command in (["--version"], ["list", "--no-scan", "--json"], ["config", "path"], ["usage", "--no-scan"]):
        assert cli(*command, env=_on_path(site)).code == 0, command
    assert not marker.exists()
    assert cli("scan", env=_on_path(site)).code == 0
    assert marker.exists()


def test_a_plugin_installed_after_a_scan_is_found_by_the_next(tmp_path, cli, sandbox_home):
    """Entry points are looked up again when a directory on the path changed:
    installing a package adds its ``.dist-info`` there."""
    site = tmp_path / "site"
    site.mkdir()
    os.utime(site, (LONG_AGO, LONG_AGO))
    _tinylog(sandbox_home, RESPONSES)
    assert cli("scan", env=_on_path(site)).code == 0
    assert (sandbox_home / ".cache" / "llm-session-manager" / "source-plugins.json").is_file()

    _install(site, "tinylog_source", {"tinylog": "tinylog_source:SOURCE"}, {"tinylog_source": _documented_plugin()})
    scan = cli("scan", "--json", env=_on_path(site))
    assert scan.code == 0, scan.err
    assert [s["provider"] for s in cli("list", "--json", "--no-scan").json()] == ["tinylog"]


def test_a_rescan_with_nothing_installed_since_does_not_look_entry_points_up_again(tmp_path, sandbox_home):
    """Looking them up imports ``importlib.metadata`` (25-30 ms, more than a warm
    rescan); the kept answer spares that."""
    site = tmp_path / "site"
    _install(site, "tinylog_source", {"tinylog": "tinylog_source:SOURCE"}, {"tinylog_source": _documented_plugin()})
    for directory in (site, *site.iterdir()):
        os.utime(directory, (LONG_AGO, LONG_AGO))
    _tinylog(sandbox_home, RESPONSES)

    def scan(*start: str) -> tuple[int, str]:
        """The logs a scan found, and the modules it imported (with ``import``)."""
        # Run from the plugin's directory, which nothing changes: the current one is on
        # the path of ``python -m``. Without bytecode written next to the plugin, as pip
        # leaves an installed package (compiled already).
        env = {**os.environ, **_on_path(site), "PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.run([sys.executable, "-X", "importtime", *(start or ("-m", "llm_session_manager")),
                               "scan", "--json"],
                              capture_output=True, text=True, env=env, cwd=site, timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)["files"], proc.stderr

    files, imported = scan()
    assert files == 1 and "importlib.metadata" in imported
    files, imported = scan()
    assert files == 1 and "importlib.metadata" not in imported  # the plugin still reads its log
    # Started another way, the path differs (an editor runs ``python -m``, people the
    # ``llm-session`` script): each keeps its own lookup, neither undoes the other's.
    files, imported = scan("-c", "from llm_session_manager.frontends.cli import main; main()")
    assert files == 1 and "importlib.metadata" in imported
    files, imported = scan()
    assert files == 1 and "importlib.metadata" not in imported
