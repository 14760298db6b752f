# The two commands a reader needs:
#   make lab    build .venv if needed, then start JupyterLab on notebooks/
#   make test   build .venv if needed, then run the whole test suite (CI runs this)
# And for maintainers:
#   make execute [NB=notebooks/01_tensors.ipynb]  re-run notebooks in place to regenerate stored outputs
#   make bench                                     notebook run times vs the import-torch floor (median of 3)
#   make images                                    redraw the figures in images/
#   make html                                      render the series to build/html/
#   make lint                                      ruff over the notebooks, helpers and scripts

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Written only after a successful install, so a failed install is never taken as ready.
STAMP := $(VENV)/.installed
PORT ?= 8888
NB ?= notebooks/*.ipynb
# Jupyter refuses to run as root unless told; CI and many containers run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: venv lab test unit lint execute bench images html browser-deps clean

venv: $(STAMP)

$(STAMP): requirements.txt constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	@touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks --no-browser --ip=127.0.0.1 --port=$(PORT) $(ROOT_FLAG)

# The whole suite: lint, unit and convention tests, strict nbval over every notebook
# (2 workers; --dist loadscope keeps each notebook on one kernel), then a check that
# the run left nothing new for git to see.
test: $(STAMP) browser-deps
	@before="$$(git status --porcelain 2>/dev/null)"; \
	$(BIN)/ruff check notebooks scripts tests || exit 1; \
	$(BIN)/python -m pytest -n 2 --dist loadscope $(PYTEST_ARGS) || exit 1; \
	after="$$(git status --porcelain 2>/dev/null)"; \
	if [ "$$before" != "$$after" ]; then \
	  echo "FAILED: the test suite left files that git sees (write them below output/):"; \
	  diff <(echo "$$before") <(echo "$$after"); exit 1; \
	fi; \
	echo "git status unchanged by the suite"

unit: $(STAMP)
	$(BIN)/python -m pytest -n 2 tests $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check notebooks scripts tests

execute: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py $(NB)

bench: $(STAMP)
	$(BIN)/python scripts/bench.py $(NB)

images: $(STAMP)
	$(BIN)/python scripts/make_images.py

html: $(STAMP)
	$(BIN)/python scripts/render_html.py

# Headless Chromium for the real-browser test; installs it where missing and possible.
browser-deps:
	@if [ -x scripts/ensure_chromium.sh ]; then scripts/ensure_chromium.sh; fi

clean:
	rm -rf output build
