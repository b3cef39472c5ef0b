# Linli: `make run` serves the demo city, `make test` runs the whole suite, `make bench` the benchmarks,
# `make fuzz` schemathesis over the whole API with a larger budget.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000

.PHONY: run test fuzz bench install assets messages migrate demo lint clean

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

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) node_modules staticfiles var media db.sqlite3*
