# Every target creates .venv and installs the project into it when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run serve test test-slow test-postgres lint bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# An editable install leaves the project's bytecode to the first run, which cannot write it
	# where PYTHONDONTWRITEBYTECODE is set: compiled here, no run compiles it again (about 0.1 s).
	$(BIN)/python -m compileall -q planner api
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/planner plan scenarios/kazakhstan-winter-2016.yaml --out out/kazakhstan-winter-2016.plan.json
	$(BIN)/planner check scenarios/kazakhstan-winter-2016.yaml out/kazakhstan-winter-2016.plan.json
	$(BIN)/planner export out/kazakhstan-winter-2016.plan.json --ics out/kazakhstan-winter-2016.ics \
		--geojson out/kazakhstan-winter-2016.geojson --map out/kazakhstan-winter-2016.map.svg \
		--timeline out/kazakhstan-winter-2016.timeline.png
	@echo "Plan, calendar (.ics), route (.geojson), map (.svg) and timeline (.png) are in out/"
	@echo "HTTP API: make serve (prints a key for local use), or $(BIN)/planner keys create ORGANISATION"

# Serves on http://127.0.0.1:8000/docs with a local key kept in .planner/make-serve.key (ignored by
# git): the same key on every start while it is active, a new one (the old revoked) when it is not.
serve: $(STAMP)
	@$(BIN)/planner keys create local --label make-serve --replace --keep-in .planner/make-serve.key
	@echo "Send it as: Authorization: Bearer KEY"
	$(BIN)/planner serve

test: $(STAMP)
	$(BIN)/ruff check planner api tests benchmarks
	$(BIN)/ruff format --check planner api tests benchmarks
	$(BIN)/mypy planner api tests
	$(BIN)/python -m pytest -q
	$(BIN)/python benchmarks/guard.py

# The slow tier: the movement-level referee on hundreds of random scenarios.
test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

# The tests of the service's storage again on PostgreSQL: a private cluster that .ci/postgres starts
# and stops (installing Debian's PostgreSQL when missing), a database of its own for each test.
# They are the test files that take their database from tests/api_support.py.
POSTGRES_TESTS = $(shell grep -lE 'api_settings|running_server|database_url' tests/test_*.py)
test-postgres: $(STAMP)
	bash .ci/postgres $(BIN)/python -m pytest -q $(POSTGRES_TESTS)

lint: $(STAMP)
	$(BIN)/ruff check --fix planner api tests benchmarks
	$(BIN)/ruff format planner api tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
