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

# The postcode directory's Parquet cache, built once per installation (again after a reinstall, and at
# run time, once and saying so, if its key no longer matches the installed postcode package).
POSTCODE_CACHE := statreturns/ssda903/postcode_cache/.installed
$(POSTCODE_CACHE): $(BIN)/statreturns
	$(BIN)/python -m statreturns.ssda903.postcodes
	touch $@

demo: $(BIN)/statreturns $(POSTCODE_CACHE)
	$(BIN)/statreturns demo

test: $(BIN)/statreturns $(POSTCODE_CACHE)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(BIN)/statreturns
	$(BIN)/ruff check .

bench: $(BIN)/statreturns $(POSTCODE_CACHE)
	$(BIN)/python bench/bench_generate.py --write
	$(BIN)/python bench/bench_returns.py cin --children 20000
	$(BIN)/python bench/bench_returns.py ssda903 --children 10000

ui: $(BIN)/statreturns
	$(BIN)/dagster dev -w workspace.yaml

clean-run:
	rm -rf run
