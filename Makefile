# The two entry points of the README. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench docs clean

# The install compiles the bulk-path modules with mypyc (hatch_build.py): an edit to one of them
# reinstalls.  `make test` expects the compiled modules wherever a C compiler is present.
COMPILED := $(shell grep -v '^\#' mypyc-modules.txt)
EXPECT_COMPILED := $(shell command -v cc >/dev/null 2>&1 && echo 1)

$(STAMP): pyproject.toml hatch_build.py mypyc-modules.txt $(COMPILED)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/osgpdissect demo

test: $(STAMP)
	$(BIN)/ruff check osgpdissect tests bench hatch_build.py
	$(BIN)/osgpdissect spec check
	OSGPDISSECT_EXPECT_COMPILED=$(EXPECT_COMPILED) $(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/bench_decode.py

docs: $(STAMP)
	$(BIN)/osgpdissect docs

clean:
	rm -rf $(VENV) build dist docs/_build osgpdissect/compiled.json osgpdissect_native__mypyc*.so
	find osgpdissect -name '*.so' -delete
