# `make report` and `make test` each set up .venv when missing, then run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: report test lint bench clean fuzz

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/costlm report --out report

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest

# The property tests (every test marked by Hypothesis) with many random examples instead of the
# derandomized ones of `make test` (profiles in tests/conftest.py). Not part of `make test`.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -m hypothesis

bench: $(STAMP)
	$(BIN)/python benchmarks/web_load.py
	$(BIN)/python benchmarks/calibrate_mfu.py
	$(BIN)/python benchmarks/calibrate_engines.py
	$(BIN)/python benchmarks/backtest_training.py
	$(BIN)/python benchmarks/backtest_inference.py
	$(BIN)/python benchmarks/prices.py
	$(BIN)/python benchmarks/speed.py

clean:
	rm -rf $(VENV) report .pytest_cache .mypy_cache .ruff_cache
