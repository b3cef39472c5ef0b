# Linli: `make run` serves the demo city, `make test` runs the whole suite, `make bench` the benchmarks,
# `make fuzz` schemathesis over the whole API with a larger budget, `make serve-prod` Linli as in production.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000

.PHONY: run serve-prod test fuzz bench install assets messages migrate demo lint audit clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e ".[test]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed assets messages

assets: node_modules/.installed

messages: $(VENV)/.installed
	@$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

migrate: install
	$(PY) manage.py migrate --noinput -v 0

demo: migrate
	$(PY) manage.py demo --if-empty

run: demo
	@echo "Linli is on http://127.0.0.1:$(PORT)/ (API docs: http://127.0.0.1:$(PORT)/api/docs). Ctrl-C stops it."
	$(PY) manage.py serve 127.0.0.1:$(PORT)

# Production mode on this machine (core/management/commands/serve_prod.py): PostgreSQL (DATABASE_URL,
# default the database linli on 127.0.0.1, created if missing), Redis, collected static files, gunicorn,
# the task worker and the clock, watched; Ctrl-C stops them all. SERVE_PROD_ARGS=--no-demo keeps an
# empty database empty.
serve-prod: install
	$(PY) manage.py serve_prod 127.0.0.1:$(PORT) $(SERVE_PROD_ARGS)

test: $(VENV)/.installed-test assets messages
	$(PY) -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

# schemathesis over every API operation as every role, FUZZ_EXAMPLES generated requests each plus
# its coverage cases (a random run; FUZZ_SEED=<n> repeats one). On PostgreSQL when DATABASE_URL
# names it (with REDIS_URL, as in CI); `make test` runs the same file with a small fixed budget.
FUZZ_EXAMPLES ?= 20
fuzz: $(VENV)/.installed-test messages
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -p no:cacheprovider tests/test_fuzz.py $(PYTEST_ARGS)

$(VENV)/.installed-bench: $(VENV)/.installed-test pyproject.toml
	$(PIP) install --quiet -e ".[test,bench]"
	touch $@

# Every benchmark runs to its end even when one is SHORT or fails; the exit status is non-zero
# at the end if any was. `make bench BENCH="booking planning"` runs those whose names hold a word.
bench: $(VENV)/.installed-bench assets messages
	@$(PY) bench/run.py $(BENCH)

# Scale-out tried on this machine (docs/deployment.md, "Scale-out"): a PostgreSQL primary and a streaming
# replica of its own (ports 5433 and 5434), two app servers on both (8201, 8202), a booking made through one
# and read through the other; everything removed at the end. Needs the PostgreSQL server programs, not a
# running server. TRY_ARGS="--free-ports" picks free ports, "--keep" keeps the folder with the logs.
.PHONY: try-scale-out
try-scale-out: $(VENV)/.installed messages
	$(PY) deploy/try_scale_out.py $(TRY_ARGS)

# Known vulnerabilities with a fix: pip-audit over the installed environment (not Linli itself) and npm
# audit of the libraries Linli serves (NPM_AUDIT_LEVEL, default moderate); each one is listed with the
# versions that fix it, and only those with a fix fail (.ci/audit.py; AUDIT_REQUIRE_SERVICE=1 also fails
# when an advisory service cannot be reached).
audit: $(VENV)/.installed-test node_modules/.installed
	$(PY) .ci/audit.py

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) node_modules staticfiles var media db.sqlite3*
