# Two commands matter: `make run` and `make test`. Both set up what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
DATA_DIR ?= data

.PHONY: run test lint audit format bench chromium axe clean

$(BIN)/python:
	@$(PYTHON) -c "import venv, ensurepip" 2>/dev/null || $(MAKE) --no-print-directory system-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Debian's python3 comes without venv and pip; install them when we may.
.PHONY: system-python
system-python:
	@if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q python3-venv python3-pip; \
	else echo "Install python3-venv (sudo apt-get install python3-venv) and run make again." >&2; exit 1; fi

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/mentormeet serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

# The end-to-end tests drive Debian's Chromium; as root we install it when it is missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium; \
	  else echo "chromium is missing: end-to-end tests will be skipped (sudo apt-get install chromium)"; fi; }

# axe-core for the end-to-end accessibility checks, from npm at the version and hash its
# lock file pins; as root we install npm when it is missing.
AXE := tests/e2e/axe
axe: $(AXE)/node_modules/axe-core/axe.min.js
$(AXE)/node_modules/axe-core/axe.min.js: $(AXE)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q npm; \
	  else echo "npm is missing: the accessibility checks will be skipped (sudo apt-get install npm)"; exit 0; fi; }
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix $(AXE) --no-audit --no-fund --silent && touch $@; fi

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Known vulnerabilities in the installed dependencies fail the build; no reachable
# vulnerability service means a skip that says so.
audit: $(VENV)/.installed-test
	$(BIN)/python -m tests.dependency_audit

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint audit chromium axe
	$(BIN)/python -m pytest

# Server cost per participant and camera latencies, tuned against a naive baseline: one
# table, a few minutes (README, "Performance"). BENCH_ARGS=--quick for a smoke run.
bench: $(VENV)/.installed-test
	$(BIN)/python -m tests.bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache $(AXE)/node_modules
