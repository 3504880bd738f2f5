# Belonging: the verbs. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run test test-fast lint bench mutate clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

run: setup
	$(BIN)/belonging dev up

test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider

test-fast: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not fault"

lint: setup
	$(BIN)/ruff check shared services tests
	$(BIN)/mypy shared services

bench: setup
	$(BIN)/python tests/bench/eventstore.py
	$(BIN)/python tests/bench/api.py

# Mutation testing of the domain packages with the server-free unit tests
# (docs/mutation-testing.md). Slow: never in CI. `make mutate MUTANTS='services.casefile.*'`
# runs one package's mutants only.
MUTANTS ?=
mutate: setup
	$(BIN)/mutmut run --max-children 2 $(MUTANTS)
	$(BIN)/mutmut results --all true > mutation-results.txt || true
	@grep -c ': killed' mutation-results.txt | sed 's/^/killed: /'; grep -vc ': killed' mutation-results.txt | sed 's/^/not killed: /'

clean:
	rm -rf $(VENV) .data mutants mutation-results.txt
