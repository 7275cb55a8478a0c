# Every target works on a fresh machine: it creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

VSCODE := editors/vscode

.PHONY: venv install demo test test-python test-vscode bench clean

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

test: test-vscode test-python  # pytest last: its summary closes the output

test-python: install
	$(BIN)/python -m pytest -q

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
	$(BIN)/python bench/analytics.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/watcher.py

clean:
	rm -rf $(VENV) build *.egg-info server/*.egg-info
