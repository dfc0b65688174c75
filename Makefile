# Every target creates .venv and installs the project into it when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/planner plan scenarios/kazakhstan-winter-2016.yaml --out out/kazakhstan-winter-2016.plan.json
	$(BIN)/planner check scenarios/kazakhstan-winter-2016.yaml out/kazakhstan-winter-2016.plan.json

test: $(STAMP)
	$(BIN)/ruff check planner api tests benchmarks
	$(BIN)/ruff format --check planner api tests benchmarks
	$(BIN)/mypy planner api tests
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check --fix planner api tests benchmarks
	$(BIN)/ruff format planner api tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
