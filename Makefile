# The two entry points of the README. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/osgpdissect demo

test: $(STAMP)
	$(BIN)/ruff check osgpdissect tests bench
	$(BIN)/osgpdissect spec check
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/bench_decode.py

docs: $(STAMP)
	$(BIN)/osgpdissect docs

clean:
	rm -rf $(VENV) build dist docs/_build
