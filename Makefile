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

# The pipeline on the sample corpus with the tiny local model, on CPU (settings: data/demo.gh-ft.yml).
DEMO := $(VENV)/bin/gh-ft --config data/demo.gh-ft.yml
demo: $(VENV)/.installed
	$(DEMO) collect
	$(DEMO) tiny-model --corpus data/sample_context/src
	$(DEMO) check
	$(DEMO) train
	$(DEMO) merge

test: $(VENV)/.installed
	$(PY) -m pytest -q

bench: $(VENV)/.installed
	$(PY) benchmarks/collect.py
	$(PY) benchmarks/neardup.py

.PHONY: install demo test bench
