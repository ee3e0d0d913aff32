# Two commands: `make run` (install + run the product) and `make test` (install + run the tests).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot

test: $(STAMP)
	$(BIN)/python -m pytest

# The suite without the tests marked `slow` (TensorFlow training beyond the shared model, real
# subprocesses and bot processes): the lane to run while editing. CI runs the whole suite.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

# Style, types and the package layers over the whole repo (what .ci/run runs before the tests).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var .pytest_cache
