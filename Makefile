# Two commands do all the set-up: `make run` (the dashboard) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup lint bench load validate clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 12) and "Python 3.12+ is needed (see README)")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	tools/ensure_system.sh
	$(PY) -m viz.assets
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(PY) run.py dashboard

test: $(STAMP)
	tools/ensure_system.sh --with-chromium
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .
	$(PY) -m pytest -n 2 --timeout 900

lint: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: $(STAMP)
	$(PY) benchmarks/bench.py
	$(PY) benchmarks/bench_runner.py
	$(PY) benchmarks/bench_workshop.py

load: $(STAMP)
	$(PY) benchmarks/load_dashboard.py --sessions 30

validate: $(STAMP)
	$(PY) run.py validate

clean:
	rm -rf $(VENV)
