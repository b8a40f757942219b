# Entry points: `make demo`, `make test` and `make lint`. Both build .venv from
# requirements.txt on first use (Python 3.11; torch 2.14.1 is served from the
# local wheel cache where present).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: env browser demo test test-fast test-multiprocess lint clean

env: $(STAMP)

$(STAMP): requirements.txt requirements-test.txt setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade 'pip>=23'
	$(PY) -m pip install -r requirements.txt -r requirements-test.txt
	$(PY) -m pip install --no-build-isolation --no-deps -e .
	touch $(STAMP)

# The demo's work dir holds only its own earlier run: replace it.
demo: env
	$(PY) tools/quickstart.py --overwrite

# Headless Chromium and its driver, from Debian, for the web app's browser
# test (tests/tools/test_webui.py); skipped when both are there. Installing
# needs root (as CI runs).
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	else apt-get update && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y chromium chromium-driver; fi

# pytest exits 5 when it collects no tests; that is a failure here too.
test: env browser
	$(PY) -m pytest tests -q -p no:cacheprovider; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests were collected"; exit 1; fi; \
	exit $$rc

# The inner loop: everything but the tests marked slow (they train, launch
# processes or compile).
test-fast: env
	$(PY) -m pytest tests -q -p no:cacheprovider -m "not slow"; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests were collected"; exit 1; fi; \
	exit $$rc

# Every multi-process test (marked multiprocess), ROUNDS times in a row;
# stops at the first failing round and keeps its log in work_dirs/.
ROUNDS ?= 20
test-multiprocess: env
	@mkdir -p work_dirs; for i in $$(seq 1 $(ROUNDS)); do \
	  start=$$(date +%s); \
	  $(PY) -m pytest tests -q -p no:cacheprovider -m multiprocess \
	    > work_dirs/multiprocess_round.log 2>&1; rc=$$?; \
	  echo "round $$i/$(ROUNDS): rc=$$rc, $$(( $$(date +%s) - start )) s, $$(tail -n 1 work_dirs/multiprocess_round.log)"; \
	  if [ $$rc -ne 0 ]; then echo "see work_dirs/multiprocess_round.log"; exit 1; fi; \
	done

# flake8, isort and yapf with the settings of setup.cfg; changes nothing.
LINT_PATHS := vifi_mmaction tools tests configs setup.py
lint: env
	$(PY) -m flake8 $(LINT_PATHS)
	$(PY) -m isort --check-only --diff $(LINT_PATHS)
	$(PY) -m yapf --diff --recursive $(LINT_PATHS)

clean:
	rm -rf work_dirs data/synthetic
