# Linli: `make run` serves the demo city, `make test` runs the whole suite, `make bench` the benchmarks.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000

.PHONY: run test bench install assets messages migrate demo lint clean

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
