# The two commands a new user needs: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench ui clean-run

$(BIN)/statreturns: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(BIN)/statreturns

demo: $(BIN)/statreturns
	$(BIN)/statreturns demo

test: $(BIN)/statreturns
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(BIN)/statreturns
	$(BIN)/ruff check .

bench: $(BIN)/statreturns
	$(BIN)/python bench/bench_generate.py --write
	$(BIN)/python bench/bench_returns.py cin --children 20000
	$(BIN)/python bench/bench_returns.py ssda903 --children 10000

ui: $(BIN)/statreturns
	$(BIN)/dagster dev -w workspace.yaml

clean-run:
	rm -rf run
