# Entry points: `make demo`, `make test` and `make lint`. Both build .venv from
# requirements.txt on first use (Python 3.11; torch 2.14.1 is served from the
# local wheel cache where present).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: env browser demo test test-fast test-multiprocess lint clean wheelhouse

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

# wheelhouse/: a wheel of every package requirements.txt needs, except
# torch and torchvision (users take those from their CUDA index), for an
# install without network (docs/install_offline.md):
#   pip install --no-index --find-links wheelhouse -r requirements.txt -e .
# For this Python ($(PYTHON); sdists are built into wheels), or for another
# CPython on x86_64 Linux: make wheelhouse PY_VERSION=3.12 (wheels only).
# torch and torchvision resolve to stand-ins, wheels without code or
# dependencies, so that their CUDA libraries stay out; then they are removed.
# `wheel` is for `-e .`: without a pyproject.toml pip builds the plugin with
# setuptools and wheel.
WHEELHOUSE ?= wheelhouse
PY_VERSION ?=
STAND_INS := $(WHEELHOUSE).stand-ins
TORCH_PINS := torch==$(shell sed -n 's/^torch==//p' requirements.txt) \
	torchvision==$(shell sed -n 's/^torchvision==//p' requirements.txt)
# every manylinux tag an x86_64 machine with glibc 2.28 or newer runs
MANYLINUX := $(foreach v,28 27 26 25 24 23 22 21 20 19 18 17 16 15 14 13 12 5,\
	--platform manylinux_2_$(v)_x86_64) --platform manylinux2014_x86_64 \
	--platform manylinux2010_x86_64 --platform manylinux1_x86_64

wheelhouse: requirements.txt
	rm -rf $(WHEELHOUSE) $(STAND_INS)
	mkdir -p $(WHEELHOUSE) $(STAND_INS)
	@for pin in $(TORCH_PINS); do \
	  name=$${pin%%==*}; version=$${pin##*==}; \
	  info=$$name-$$version.dist-info; mkdir -p $(STAND_INS)/$$info; \
	  printf 'Metadata-Version: 2.1\nName: %s\nVersion: %s\n' \
	    $$name $$version > $(STAND_INS)/$$info/METADATA; \
	  printf 'Wheel-Version: 1.0\nGenerator: make wheelhouse\nRoot-Is-Purelib: true\nTag: py3-none-any\n' \
	    > $(STAND_INS)/$$info/WHEEL; \
	  : > $(STAND_INS)/$$info/RECORD; \
	  (cd $(STAND_INS) && $(PYTHON) -m zipfile -c \
	    $$name-$$version-py3-none-any.whl $$info) || exit 1; \
	  echo "$$name @ file://$(abspath $(STAND_INS))/$$name-$$version-py3-none-any.whl" \
	    >> $(STAND_INS)/requirements.txt; \
	done
ifeq ($(PY_VERSION),)
	$(PYTHON) -m pip wheel --wheel-dir $(WHEELHOUSE) wheel \
	  -r requirements.txt -r $(STAND_INS)/requirements.txt
else
	$(PYTHON) -m pip download --dest $(WHEELHOUSE) --only-binary=:all: \
	  --implementation cp --python-version $(PY_VERSION) $(MANYLINUX) wheel \
	  -r requirements.txt -r $(STAND_INS)/requirements.txt
endif
	@for pin in $(TORCH_PINS); do \
	  rm -f $(WHEELHOUSE)/$${pin%%==*}-$${pin##*==}-py3-none-any.whl; \
	done
	rm -rf $(STAND_INS)
	@echo "$(WHEELHOUSE)/: $$(ls $(WHEELHOUSE) | wc -l) wheels, $$(du -sh $(WHEELHOUSE) | cut -f1)"

clean:
	rm -rf work_dirs data/synthetic
