"""The LSP4IJ template in editors/jetbrains: shaped as LSP4IJ reads it, mapping
exactly the files the server counts, and starting the real server.

LSP4IJ ("Import from custom template...") reads a folder holding
`template.json` (required), `settings.json`, `initializationOptions.json` and
`README.md`. Its loader (`LanguageServerTemplateManager.createLsTemplate` and
`LanguageServerTemplateDeserializer` in redhat-developer/lsp4ij) requires
`name` and a `programArgs` object with a `default` string (plus optional
`windows`/`mac`/`unix`), and turns each `fileTypeMappings` entry into a
file-name-pattern mapping (`fileType.patterns`) and/or a file-type mapping
(`fileType.name`), dropping entries without a `languageId`. Patterns are
IntelliJ wildcard file-name matchers: they see the file name, not its folder.
"""

from __future__ import annotations

import fnmatch
import json
import os
import queue
import re
import shlex
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from llm_session_manager.frontends.lsp.features.instructions import ASSISTANTS

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = REPO / "editors" / "jetbrains"
TEMPLATE_KEYS = {"id", "name", "url", "dev", "programArgs", "env", "workingDir", "expandConfiguration",
                 "fileTypeMappings", "languageMappings"}
OS_KEYS = {"default", "windows", "mac", "unix"}
BIN = Path(sys.executable).parent  # where `pip install` put the llm-session script


def _json(name: str):
    return json.loads((TEMPLATE_DIR / name).read_text())


def _patterns(template) -> dict[str, str]:
    """pattern -> languageId, as LSP4IJ registers them."""
    return {p: m["languageId"] for m in template["fileTypeMappings"] for p in m["fileType"].get("patterns", [])}


def _matches(patterns, filename: str) -> bool:
    return any(fnmatch.fnmatchcase(filename, p) for p in patterns)


# --- the shape LSP4IJ reads --------------------------------------------------------


def test_the_template_folder_has_what_lsp4ij_imports():
    assert {"template.json", "settings.json", "initializationOptions.json", "README.md"} <= {
        p.name for p in TEMPLATE_DIR.iterdir()}
    template = _json("template.json")
    assert isinstance(template, dict) and set(template) <= TEMPLATE_KEYS, set(template) - TEMPLATE_KEYS
    assert template["id"] == "llm-session" and template["name"] == "llm-session"
    args = template["programArgs"]
    assert isinstance(args, dict) and "default" in args and set(args) <= OS_KEYS
    assert all(isinstance(v, str) and v.strip() for v in args.values())
    for mapping in template["fileTypeMappings"]:
        assert set(mapping) == {"fileType", "languageId"}
        assert isinstance(mapping["languageId"], str) and mapping["languageId"]  # else LSP4IJ drops it
        file_type = mapping["fileType"]
        # Patterns only: a file type "name" (e.g. Markdown) would attach the server to every such file.
        assert set(file_type) == {"patterns"}
        assert file_type["patterns"] and all(isinstance(p, str) and "/" not in p for p in file_type["patterns"])


def test_settings_and_initialization_options_are_what_the_server_documents():
    assert _json("settings.json") == {}
    options = _json("initializationOptions.json")
    # The options table of docs/lsp.md ("| option | default | meaning |").
    section = (REPO / "docs" / "lsp.md").read_text().split("`initializationOptions`", 1)[1].split("\n## ", 1)[0]
    documented = dict(re.findall(r"^\| `(\w+)` \| `([^`]+)` \|", section, re.M))
    assert documented, "docs/lsp.md documents no initializationOptions"
    assert isinstance(options, dict) and set(options) <= set(documented)
    for key, value in options.items():
        assert json.dumps(value) == documented[key]  # the template states the defaults


def test_the_patterns_map_exactly_the_instruction_files_the_server_counts():
    patterns = _patterns(_json("template.json"))
    served = set(ASSISTANTS)  # file names the server's instruction feature answers for
    assert {name for name in served if _matches(patterns, name)} == served
    for other in ("README.md", "claude.md", "CLAUDE.md.bak", "notes.md", ".cursorignore", "AGENTS.txt"):
        assert not _matches(patterns, other), other
    assert patterns["CLAUDE.md"] == "markdown" and patterns[".cursorrules"] == "plaintext"


def test_the_readme_explains_install_and_what_lsp4ij_cannot_show():
    readme = (TEMPLATE_DIR / "README.md").read_text()
    assert "Import from custom template" in readme and "LSP4IJ" in readme
    assert _json("template.json")["programArgs"]["default"] in readme
    for feature in ("llmSession/didChangeSessions", "llmSession/sessions", "llmSession/status",
                    "window/showMessage", "Code Vision", "$/progress", "Quick Documentation"):
        assert feature in readme, feature


# --- the command starts the real server ----------------------------------------------


class Server:
    """The template's command as LSP4IJ runs it, spoken to over its pipes."""

    def __init__(self, argv: list[str]) -> None:
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=dict(os.environ))
        self.messages: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.next_id = 0

    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            headers = {}
            while (line := out.readline()) not in (b"\r\n", b""):
                key, _, value = line.decode().partition(":")
                headers[key.strip().lower()] = value.strip()
            if not headers:
                return
            self.messages.put(json.loads(out.read(int(headers["content-length"]))))

    def send(self, method: str, params=None, *, request: bool = True):
        message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        if request:
            self.next_id += 1
            message["id"] = self.next_id
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.proc.stdin.flush()
        if not request:
            return None
        while True:  # skip notifications (diagnostics, ...) until our answer
            answer = self.messages.get(timeout=30)
            if answer.get("id") == self.next_id and "method" not in answer:
                assert "error" not in answer, answer
                return answer["result"]


def _template_argv() -> list[str]:
    """The template's command, with `llm-session` resolved where this environment installed it."""
    argv = shlex.split(_json("template.json")["programArgs"]["default"])
    assert argv[0] == "llm-session"
    script = BIN / ("llm-session.exe" if os.name == "nt" else "llm-session")
    if not script.exists():
        pytest.skip(f"no llm-session script in {BIN} (pip install -e . makes one)")
    return [str(script), *argv[1:]]


def test_the_template_command_starts_the_server_and_it_answers_a_mapped_file(tmp_path):
    server = Server(_template_argv())
    try:
        result = server.send("initialize", {
            "processId": os.getpid(), "rootUri": tmp_path.as_uri(), "capabilities": {},
            "clientInfo": {"name": "LSP4IJ"}, "initializationOptions": _json("initializationOptions.json")})
        assert result["serverInfo"]["name"] == "llm-session"
        assert result["capabilities"]["hoverProvider"] and "codeLensProvider" in result["capabilities"]
        server.send("initialized", {}, request=False)
        server.send("workspace/didChangeConfiguration", {"settings": _json("settings.json")}, request=False)

        patterns = _patterns(_json("template.json"))
        claude = tmp_path / "CLAUDE.md"
        claude.write_text("# Conventions\n\nRun the tests before every commit.\n")
        server.send("textDocument/didOpen", {"textDocument": {
            "uri": claude.as_uri(), "languageId": patterns["CLAUDE.md"], "version": 1,
            "text": claude.read_text()}}, request=False)
        hover = server.send("textDocument/hover", {"textDocument": {"uri": claude.as_uri()},
                                                   "position": {"line": 0, "character": 0}})
        assert "tokens every turn" in hover["contents"]["value"]
        lenses = server.send("textDocument/codeLens", {"textDocument": {"uri": claude.as_uri()}})
        assert lenses and lenses[0]["command"]["command"] == ""  # LSP4IJ shows these as plain Code Vision text

        assert server.send("shutdown") is None
        server.send("exit", request=False)
        assert server.proc.wait(timeout=20) == 0
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()


def test_the_readme_check_by_hand_answers_initialize():
    readme = (TEMPLATE_DIR / "README.md").read_text()
    [command] = [line for line in readme.splitlines() if line.startswith("printf ") and "| llm-session lsp" in line]
    _template_argv()  # skips when there is no script to run
    if not shutil.which("bash"):
        pytest.skip("the README's check is a bash command line")
    proc = subprocess.run(["bash", "-c", command], capture_output=True, timeout=60,
                          env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"})
    header, _, body = proc.stdout.partition(b"\r\n\r\n")
    assert header == b"Content-Length: %d" % len(body)
    assert json.loads(body)["result"]["serverInfo"]["name"] == "llm-session"
