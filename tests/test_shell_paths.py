"""Which files a shell command or a patch touches, told through commands as the
assistants write them: Codex's ``exec_command`` ``cmd`` strings and ``shell`` argvs
(``["bash", "-lc", …]``, as in tests/fixtures/codex), and the ``command`` strings of
Claude Code's Bash tool."""

from __future__ import annotations

import pytest

from llm_session_manager.sources.shell_paths import paths_from_command, paths_from_patch

CWD = "/home/dev/acme-api"


def refs(command: str | list[str], cwd: str | None = CWD) -> list[tuple[str, str]]:
    return paths_from_command(command, cwd)


# --- what Codex runs to look at code ----------------------------------------------------


def test_a_sed_range_reads_the_file_not_the_script():
    assert refs("sed -n '1,120p' src/auth/login.py") == [(f"{CWD}/src/auth/login.py", "read")]


def test_rg_searches_each_path_after_its_pattern():
    assert refs('rg -n "rate_limit" src tests') == [
        (f"{CWD}/src", "search"),
        (f"{CWD}/tests", "search"),
    ]


def test_rg_with_no_path_searches_the_working_directory():
    assert refs('rg -n "TODO|FIXME" -S') == [(CWD, "search")]
    assert refs("rg --files") == [(CWD, "list")]


def test_commands_joined_by_and_are_each_read():
    assert refs("ls tests && cat tests/test_login.py") == [
        (f"{CWD}/tests", "list"),
        (f"{CWD}/tests/test_login.py", "read"),
    ]


def test_a_pipe_into_sed_reads_only_the_first_file():
    assert refs("nl -ba src/app.py | sed -n '40,120p'") == [(f"{CWD}/src/app.py", "read")]


def test_the_argv_of_a_shell_call_is_read_as_its_script():
    script = "cat client.py"
    assert refs(["bash", "-lc", script]) == refs(script) == [(f"{CWD}/client.py", "read")]
    assert refs(["zsh", "-c", script]) == refs(script)


def test_an_argv_without_a_shell_is_one_command():
    # a local_shell_call's exec action
    assert refs(["ls", "-la", "docs"]) == [(f"{CWD}/docs", "list")]
    assert refs(["pytest", "-q"]) == []


def test_find_lists_its_start_directories_not_its_tests():
    assert refs("find src -name '*.py' -newer setup.cfg") == [(f"{CWD}/src", "list")]
    assert refs("find . -maxdepth 2 -type d") == [(CWD, "list")]


def test_head_and_tail_counts_are_not_files():
    assert refs("head -n 40 README.md && tail -20 CHANGELOG.md") == [
        (f"{CWD}/README.md", "read"),
        (f"{CWD}/CHANGELOG.md", "read"),
    ]


# --- what changes files ---------------------------------------------------------------


def test_a_heredoc_writes_its_target_and_its_body_is_not_run():
    command = "cat > src/auth/ratelimit.py <<'EOF'\nimport time\ncat /etc/passwd\nEOF\nls src/auth"
    assert refs(command) == [
        (f"{CWD}/src/auth/ratelimit.py", "write"),
        (f"{CWD}/src/auth", "list"),
    ]


def test_redirections_write_and_read_but_dev_null_and_fd_copies_are_not_files():
    assert refs("python gen.py < spec.json > out/schema.json 2>/dev/null") == [
        (f"{CWD}/spec.json", "read"),
        (f"{CWD}/out/schema.json", "write"),
    ]
    assert refs("echo done >> notes.txt") == [(f"{CWD}/notes.txt", "write")]
    assert refs("pytest -q 2>&1 | tail -30") == []


def test_a_sed_script_given_with_e_is_not_a_file():
    assert refs("sed -e 's/a/b/' -e 's/c/d/' src/app.py") == [(f"{CWD}/src/app.py", "read")]
    assert refs("sed -i -e 's/a/b/' src/app.py") == [(f"{CWD}/src/app.py", "edit")]
    assert refs("sed -f fix.sed src/app.py") == [(f"{CWD}/src/app.py", "read")]


def test_sed_in_place_edits():
    assert refs("sed -i 's/retries=3/retries=5/' client.py") == [(f"{CWD}/client.py", "edit")]


def test_apply_patch_through_the_shell_names_the_patched_files():
    patch = "*** Begin Patch\n*** Update File: client.py\n@@\n-RETRIES = 3\n+RETRIES = 5\n"
    patch += "*** End Patch\n"
    assert refs(["apply_patch", patch]) == [(f"{CWD}/client.py", "edit")]
    assert refs(f"apply_patch <<'PATCH'\n{patch}PATCH") == [(f"{CWD}/client.py", "edit")]


# --- Claude Code's Bash tool ---------------------------------------------------------------


def test_cd_moves_the_directory_later_commands_resolve_against():
    assert refs("cd frontend && cat package.json && ls ../docs") == [
        (f"{CWD}/frontend/package.json", "read"),
        (f"{CWD}/docs", "list"),
    ]


def test_grep_options_with_values_are_not_paths():
    assert refs('grep -rn "useEffect" src/ --include="*.tsx" -A 3') == [(f"{CWD}/src", "search")]
    assert refs("grep -rn -e retry -f patterns.txt lib") == [(f"{CWD}/lib", "search")]


def test_quoted_and_escaped_paths_are_unquoted():
    assert refs('cat "docs/Release Notes.md"') == [(f"{CWD}/docs/Release Notes.md", "read")]
    assert refs(r"cat docs/Release\ Notes.md") == [(f"{CWD}/docs/Release Notes.md", "read")]


def test_absolute_and_home_paths_keep_their_own_root(monkeypatch):
    monkeypatch.setenv("HOME", "/home/dev")
    assert refs("cat /etc/hosts ~/.gitconfig") == [
        ("/etc/hosts", "read"),
        ("/home/dev/.gitconfig", "read"),
    ]


# --- what is left out ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "git status -sb",
        "npm test -- --watch=false",
        "cat $HOME/.bashrc",  # a variable
        "cat src/*.py",  # a glob
        "cat $(git ls-files | head -1)",  # a substitution
        "cat 'unbalanced",  # quotes that do not close
    ],
)
def test_programs_it_does_not_know_and_words_it_cannot_resolve_give_nothing(command):
    assert refs(command) == []


def test_a_file_named_twice_in_one_command_is_named_once():
    assert refs("cat a.py && head a.py && cat ./a.py") == [(f"{CWD}/a.py", "read")]


def test_without_a_working_directory_paths_stay_relative():
    assert refs("cat src/app.py", None) == [("src/app.py", "read")]


# --- patches --------------------------------------------------------------------------------


def test_a_patch_names_added_updated_deleted_and_moved_files():
    patch = (
        "*** Begin Patch\n"
        "*** Update File: src/auth/login.py\n"
        "*** Move to: src/auth/signin.py\n"
        "@@\n"
        "-from fastapi import APIRouter\n"
        "+from fastapi import APIRouter, Depends\n"
        "*** Add File: src/auth/ratelimit.py\n"
        "+LIMIT = 5\n"
        "*** Delete File: src/auth/legacy.py\n"
        "*** End Patch\n"
    )
    assert paths_from_patch(patch, CWD) == [
        (f"{CWD}/src/auth/login.py", "edit"),
        (f"{CWD}/src/auth/signin.py", "write"),
        (f"{CWD}/src/auth/ratelimit.py", "write"),
        (f"{CWD}/src/auth/legacy.py", "edit"),
    ]


def test_a_header_quoted_inside_a_patched_line_is_not_a_file():
    patch = (
        "*** Begin Patch\n"
        "*** Update File: docs/patches.md\n"
        "@@\n"
        "+Write `*** Add File: path` to add a file.\n"
        "*** End Patch\n"
    )
    assert paths_from_patch(patch, CWD) == [(f"{CWD}/docs/patches.md", "edit")]
