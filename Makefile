# make reproduce: the main job (sweeps at the `quick` profile, then rebuilds every table).
# make test:      the test suite (under 15 minutes on 2 CPU cores).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PROFILE ?= quick
EXPERIMENTS ?= mechanisms figure1_row figure1_colind figure1_released_row figure1_released_colind table1 table5 table2 table4 table6 table18_19
# Step (a) of reproduce: a sweep starts only if its pending jobs fit what is left of RUN_MINUTES
# (single-thread minutes, estimated from completed records; a job with no record alike has no
# estimate and never fits); each sweep left unstarted prints the command that runs it.
# RUN_MINUTES=all runs every sweep whatever it costs (days on 2 cores when records are missing).
RUN_MINUTES ?= 10
# Step (b) of reproduce: recompute a seeded sample of committed records (as many as fit
# VERIFY_MINUTES of their recorded wall time) and compare; VERIFY=all recomputes every one, into
# RECORDS when given (e.g. a cluster's scratch folder), else into a temporary folder.
VERIFY_MINUTES ?= 10
VERIFY ?=
RECORDS ?=
VERIFY_ARGS := $(if $(filter all,$(VERIFY)),--all,--minutes $(VERIFY_MINUTES)) $(if $(RECORDS),--scratch $(RECORDS))

# Tests, CI and our own runs read the datasets from ../shared/datasets when it is there; a user's
# machine downloads them (checksum-verified, cached in ~/.cache/missdiff).
SHARED_DATA := $(abspath ../shared/datasets)
ifneq ($(wildcard $(SHARED_DATA)/SOURCES.md),)
export MISSDIFF_DATA_DIR ?= $(SHARED_DATA)
endif

.PHONY: install reproduce test test-slow test-all lint format clean

$(STAMP): pyproject.toml requirements/lock.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and pinned: any looser requirement may pull a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -c requirements/lock.txt -r requirements/base.txt
	# hyperimpute's own requirements pull TensorFlow and Jupyter: install it without them.
	$(PY) -m pip install -q --no-deps hyperimpute==0.1.17
	# ForestDiffusion requires the CUDA `xgboost`; its runtime needs are in the lock (xgboost-cpu).
	$(PY) -m pip install -q --no-deps ForestDiffusion==1.0.6
	$(PY) -m pip install -q --no-deps -e .
	touch $@

install: $(STAMP)

# The reports' lines are counted from a file: `tee /dev/stderr` would reopen, and so truncate, a
# log file that the caller redirected the command into (`make reproduce > log 2>&1`).
reproduce: $(STAMP)
	@set -o pipefail; start=$$(date +%s); log=$$(mktemp); \
	for exp in $(EXPERIMENTS); do \
	  echo "$$exp:" >> $$log; \
	  limit=; if [ "$(RUN_MINUTES)" != all ]; then \
	    limit="max_sweep_minutes=$$(( $(RUN_MINUTES) - ($$(date +%s) - start) / 60 ))"; fi; \
	  $(VENV)/bin/missdiff-run -m experiment=$$exp profile=$(PROFILE) $$limit 2>&1 | tee -a $$log || exit 1; \
	done; \
	$(VENV)/bin/missdiff-verify $(VERIFY_ARGS) 2>&1 | tee -a $$log || exit 1; \
	{ $(VENV)/bin/missdiff-report && \
	  $(VENV)/bin/missdiff-report --profile quick --out results/tables/quick --figures-out results/figures/quick; } \
	  > $$log.tables; rc=$$?; cat $$log.tables; tables=$$(wc -l < $$log.tables); rm -f $$log.tables; \
	[ $$rc -eq 0 ] || exit 1; \
	echo; echo "make reproduce: summary"; \
	grep -E '^[a-z0-9_]+:$$|^missdiff-run: sweep (of [0-9]+ jobs done|not started)|^  failed: |^verify: |^  (MISMATCH|WITHIN|KERNELS|STALE|FAILED|rule:|tolerance:) |^    and under ' $$log; \
	left=$$(grep -c '^missdiff-run: sweep not started' $$log); \
	if [ "$$left" -gt 0 ]; then echo "$$left sweep(s) not started: over RUN_MINUTES=$(RUN_MINUTES);" \
	  "their cells show as not run; each line above gives its command (RUN_MINUTES=all runs them all)"; fi; \
	echo "$$tables tables and figures written (results/tables, results/figures)"; \
	echo "make reproduce: finished in $$(( ($$(date +%s) - start) / 60 )) min"; rm -f $$log

test: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

# Every experiment end to end at the smoke profile (minutes each).
test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

test-all: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) outputs multirun .pytest_cache
