# The two quick-start commands: `make demo` (install + run the pipeline on the sample
# corpus) and `make test` (install + run the tests). Both create .venv on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

# torch first, pinned: a bare `torch` requirement may pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q -U pip
	$(PIP) install -q torch==2.13.0
	AXOLOTL_DO_NOT_TRACK=1 $(PIP) install -q -e '.[dev,train]'
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(VENV)/bin/gh-ft collect --context-dir data/sample_context --out out/dataset

test: $(VENV)/.installed
	$(PY) -m pytest -q

bench: $(VENV)/.installed
	$(PY) benchmarks/collect.py
	$(PY) benchmarks/neardup.py

.PHONY: install demo test bench
