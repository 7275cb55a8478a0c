# Every target works on a fresh machine: it creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

VSCODE := editors/vscode

.PHONY: venv install system-deps demo lint test test-fast test-python test-vscode test-web bench docs web clean

venv: $(BIN)/python

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/llm-session demo

test: lint test-vscode test-web test-python  # pytest last: its summary closes the output

# ruff, mypy and the layers contract (import-linter) on the server's code (settings in pyproject.toml); any finding fails the build.
lint: install
	$(BIN)/ruff check server tests
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# System packages some tests drive for real: Emacs with eglot, lsp-mode and
# markdown-mode for the editor snippets; PostgreSQL for the team server. Installed
# with apt-get where we are root (CI, these machines); elsewhere those tests say what
# is missing and skip.
EMACS_PACKAGES := emacs-nox elpa-eglot elpa-lsp-mode elpa-markdown-mode
# PostgreSQL's server binaries, from which the team server's tests (tests/team) start a
# throw-away cluster of their own, and pgvector for it (scripts/install_pgvector.sh;
# docs/team.md#pgvector).
PG_PACKAGES := postgresql
# Chromium, which the web dashboard's tests drive headless with Playwright (never
# `playwright install`: Debian's browser, no download; docs/web.md).
BROWSER_PACKAGES := chromium
SYSTEM_PACKAGES := $(EMACS_PACKAGES) $(PG_PACKAGES) $(BROWSER_PACKAGES)
system-deps:
	@if ! dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	  else echo "note: install $(SYSTEM_PACKAGES) to run the Emacs and team server tests"; fi; \
	fi
	@bash scripts/install_pgvector.sh

# One worker per core (pytest-xdist): every test keeps to its own temp dirs and free ports.
test-python: install system-deps
	$(BIN)/python -m pytest -q -n auto

# The tests that start none of our processes (no CLI, servers or editors): seconds, for
# the edit-test loop. `make test` runs these too.
test-fast: install
	$(BIN)/python -m pytest -q -n auto -m "not slow"

$(VSCODE)/node_modules/.installed: $(VSCODE)/package-lock.json
	cd $(VSCODE) && npm ci --no-audit --no-fund
	touch $@

test-vscode: install $(VSCODE)/node_modules/.installed
	cd $(VSCODE) && LLM_SESSION_PYTHON=$(CURDIR)/$(BIN)/python npm test
	cd $(VSCODE) && npm run package

bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/lsp.py
	$(BIN)/python bench/mcp_startup.py
	$(BIN)/python bench/mcp_sizes.py
	$(BIN)/python bench/analytics.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/watcher.py
	$(BIN)/python bench/hooks.py
	$(BIN)/python bench/statusline.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/team_load.py

# docs/cli.md's tables of commands and options, made from the parser (tests check them).
docs: install
	$(BIN)/python -m cogapp -r docs/cli.md

# The web dashboard's bundle (minified JS and CSS with Chart.js), committed as package data so
# that Python users need no Node: rebuild it after changing web/src (docs/web.md).
WEB := web
$(WEB)/node_modules/.installed: $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund
	touch $@

web: $(WEB)/node_modules/.installed
	cd $(WEB) && npm run typecheck && npm run build

# The committed bundle is what the sources build (same esbuild, same lockfile), and they type-check.
test-web: $(WEB)/node_modules/.installed
	cd $(WEB) && npm run typecheck && node build.mjs --check

clean:
	rm -rf $(VENV) build *.egg-info server/*.egg-info
