# The two entry points of the README. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench bench-faults fuzz docs clean

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

bench-faults: $(DEV)
	$(BIN)/python bench/bench_faults.py

# Every fuzz target (tests/fuzz_targets.py) with a large hypothesis budget, in 1 GiB-capped
# children, 10 s per case: `make fuzz FUZZ_CASES=100000 FUZZ_UNTIL=17:45` to bound it.
FUZZ_CASES ?= 1000000
FUZZ_JOBS ?= 2
fuzz: $(DEV)
	$(BIN)/python bench/fuzz.py --cases $(FUZZ_CASES) --jobs $(FUZZ_JOBS) $(if $(FUZZ_UNTIL),--until $(FUZZ_UNTIL))

docs: $(DEV)
	$(BIN)/osgpdissect docs

clean:
	rm -rf $(VENV) build dist docs/_build
