# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 4
export FLASK_APP := wsgi
export HOST PORT

.PHONY: run test test-fast bench lint install install-dev

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: migrate, seed the demo login, serve the app with a worker beside it
run: $(VENV)/.installed
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C stops the server and the worker)"
	@$(BIN)/flask worker -w $(WORKERS) & worker=$$!; \
	trap 'kill -INT $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/flask run --host $(HOST) --port $(PORT)

## make test: install and run the whole suite: the unit and view tests (each on its
## own temp SQLite) spread over the CPUs, then the integration and browser tests,
## which share PostgreSQL, Redis and worker processes, one at a time. Both runs
## always happen; PYTEST_ARGS (-x, -k ...) go to both, and a run that -k leaves
## without tests (pytest's exit status 5) is no failure.
TEST_WORKERS ?= auto
SERIAL_TESTS := tests/integration tests/e2e
test: $(VENV)/.installed-dev
	bash scripts/install-browser.sh
	@status=0; \
	$(BIN)/python -m pytest -q -p no:cacheprovider -ra -n $(TEST_WORKERS) \
	  $(addprefix --ignore=,$(SERIAL_TESTS)) $(PYTEST_ARGS) \
	  || { rc=$$?; [ $$rc -eq 5 ] || status=$$rc; }; \
	$(BIN)/python -m pytest -q -p no:cacheprovider -ra $(SERIAL_TESTS) $(PYTEST_ARGS) \
	  || { rc=$$?; [ $$rc -eq 5 ] || status=$$rc; }; \
	exit $$status

test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) \
	  $(addprefix --ignore=,$(SERIAL_TESTS)) $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff format --check prospecting tests bench config.py wsgi.py
	$(BIN)/ruff check prospecting tests bench config.py wsgi.py

## make bench: print throughput, ingest and memory figures next to their targets
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run $(BENCH_ARGS)
