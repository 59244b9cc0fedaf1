# The two entry points of the README. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench docs clean

# `make demo` installs the package alone; `make test` adds the dev extras (tests, lint, docs).
RUNTIME := $(VENV)/.runtime
DEV := $(VENV)/.dev

$(RUNTIME): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e .
	touch $(RUNTIME)

$(DEV): $(RUNTIME)
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(DEV)

demo: $(RUNTIME)
	$(BIN)/osgpdissect demo

test: $(DEV)
	$(BIN)/ruff check osgpdissect tests bench
	$(BIN)/osgpdissect spec check
	$(BIN)/python -m pytest

bench: $(DEV)
	$(BIN)/python bench/bench_decode.py

docs: $(DEV)
	$(BIN)/osgpdissect docs

clean:
	rm -rf $(VENV) build dist docs/_build
