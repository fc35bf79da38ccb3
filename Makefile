# Two commands matter: `make run` and `make test`. Both set up what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
DATA_DIR ?= data

.PHONY: run test lint audit format bench browsers axe clean lock

# Pinned versions with their hashes: every install comes from these (README, "Dependencies").
LOCK := .ci/requirements.lock
TEST_LOCK := .ci/requirements-test.lock

$(BIN)/python:
	@$(PYTHON) -c "import venv, ensurepip" 2>/dev/null || $(MAKE) --no-print-directory system-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Debian's python3 comes without venv and pip; install them when we may.
.PHONY: system-python
system-python:
	@if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q python3-venv python3-pip; \
	else echo "Install python3-venv (sudo apt-get install python3-venv) and run make again." >&2; exit 1; fi

$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(TEST_LOCK) $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --require-hashes -r $(TEST_LOCK)
	touch $@

# Re-resolve the locks from pyproject.toml: new dependencies get pinned, pins that still
# fit stay. LOCK_ARGS=--upgrade moves every pin to its newest release.
PIP_COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet pip-tools
	$(PIP_COMPILE) --extra test --output-file $(TEST_LOCK) pyproject.toml
	$(PIP_COMPILE) --constraint $(TEST_LOCK) --output-file $(LOCK) pyproject.toml

# The PostgreSQL store's tests (and its bench) start a throwaway cluster with Debian's
# PostgreSQL (no service, no system cluster needed); as root we install it when missing.
.PHONY: postgresql haproxy
test bench: postgresql
postgresql:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q postgresql; \
	  else echo "missing postgresql: its tests will be skipped (sudo apt-get install postgresql)"; fi; fi

# The cluster's end-to-end test puts Debian's HAProxy (server/deploy/haproxy.cfg) in front
# of two instances; as root we install it when missing (its service is not needed).
test: haproxy
haproxy:
	@if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q haproxy; \
	  else echo "missing haproxy: the cluster test will be skipped (sudo apt-get install haproxy)"; fi; fi

run: $(VENV)/.installed
	$(BIN)/mentormeet serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

# The end-to-end tests drive Debian's Chromium and Firefox ESR; as root we install them when
# they are missing.
BROWSERS := chromium firefox-esr
browsers:
	@missing=$$(for b in $(BROWSERS); do command -v $$b >/dev/null 2>&1 || printf '%s ' $$b; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q $$missing; \
	  else echo "missing $$missing: their end-to-end tests will be skipped (sudo apt-get install $$missing)"; fi; fi

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
	$(BIN)/mypy

# Known vulnerabilities in the locked dependencies fail the build; no reachable
# vulnerability service means a skip that says so.
audit: $(VENV)/.installed-test
	$(BIN)/python -m tests.dependency_audit $(TEST_LOCK)

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint audit browsers axe
	$(BIN)/python -m pytest

# Server cost per participant and camera latencies, tuned against a naive baseline: one
# table, a few minutes (README, "Performance"). BENCH_ARGS=--quick for a smoke run. Then
# the event store's append rate, PostgreSQL against SQLite (seconds), and signalling and
# camera analysis on two instances sharing PostgreSQL against one (a few minutes; quick too
# when BENCH_ARGS has --quick).
bench: $(VENV)/.installed-test
	$(BIN)/python -m tests.bench.run $(BENCH_ARGS)
	$(BIN)/python -m tests.bench.store_append
	$(BIN)/python -m tests.bench.instances $(if $(findstring --quick,$(BENCH_ARGS)),--quick)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache $(AXE)/node_modules
