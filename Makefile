# The two quick-start commands: `make demo` (install + run the pipeline on the sample
# corpus) and `make test` (install + run the tests). Both create .venv on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q -U pip
	$(PIP) install -q -e '.[dev]'
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
