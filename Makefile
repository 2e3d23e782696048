# The two commands: `make run` and `make test`. Both work on a fresh machine.
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# Debian's Chromium: Playwright cannot download its own browser on these machines.
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint typecheck format screenshots install install-dev browser bench bench-quick wrk

run: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py createcachetable
	$(PY) manage.py seed_monographs
	$(PY) manage.py seed_demo
	@echo "Serving Kineret Portal on http://$(HOST):$(PORT)/ (the job worker runs beside it)"
	@$(PY) manage.py run_huey & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install-dev browser lint typecheck
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install-dev
	$(VENV)/bin/mypy

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The README's images, on purpose: the browser tests with their frozen clock write
# into docs/screenshots/ instead of the ignored test-results/screenshots/.
screenshots: install-dev browser
	SCREENSHOTS_DIR=docs/screenshots $(VENV)/bin/pytest -q -m browser tests/browser

install: $(VENV)/.stamp-run
install-dev: $(VENV)/.stamp-dev
browser: $(CHROMIUM)

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.stamp-run: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.stamp-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(VENV)/.stamp-run $@

# Installed when this user may (root, or sudo without a password); otherwise one line
# that says what to run.
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif sudo -n true 2>/dev/null; then sudo="sudo"; \
	else echo "The browser tests need Debian's Chromium: run 'sudo apt-get install -y chromium fonts-dejavu-core', then 'make test' again." >&2; exit 1; fi; \
	echo "Installing Debian's Chromium for the browser tests..."; \
	$$sudo apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium fonts-dejavu-core >/dev/null

# The benchmarks (benchmarks/README.md): on demand, never in `make test`. BENCH_ARGS picks
# the size and the database, e.g. BENCH_ARGS="--patients 10000 --database-url postgres://...".
WRK := /usr/bin/wrk

bench: install $(WRK)
	$(PY) benchmarks/run.py $(BENCH_ARGS)

bench-quick: install $(WRK)
	$(PY) benchmarks/run.py --quick

wrk: $(WRK)

# Debian's wrk, installed when this user may (as for Chromium).
$(WRK):
	@if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif sudo -n true 2>/dev/null; then sudo="sudo"; \
	else echo "The benchmarks need wrk: run 'sudo apt-get install -y wrk', then 'make bench' again." >&2; exit 1; fi; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq wrk >/dev/null
