# The two commands a reader needs:
#   make lab     build .venv if needed, then start JupyterLab at the first notebook
#   make test    build .venv if needed, then run the whole test suite (CI runs this)
# For contributors and maintainers:
#   make unit                          the quick loop: unit, convention and config tests, no notebook runs
#   make execute [NB=notebooks/01_tensors.ipynb]  re-run notebooks in place to regenerate stored outputs
#   make portability [VARIANTS=...]    strict nbval under every emulated CPU variant, as a table
#   make pythons                       strict nbval under every installed supported Python, as a table
#   make platforms                     resolve the pinned environment for all four platforms (no install)
#   make lock                          regenerate constraints.txt from pyproject.toml
#   make gpu-check                     on a CUDA machine: the strict suite, listing cells that differ
#   make bench / seed-bench            notebook run times; notebook 12's accuracy over 5 seeds vs SVC
#   make images / html / lint / clean

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# Written only after a successful install, so a failed install is never taken as ready.
STAMP := $(VENV)/.installed
PORT ?= 8888
NB ?= notebooks/*.ipynb
# Jupyter refuses to run as root unless told; CI and many containers run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# JupyterLab serves the repository root (so notebooks can show ../images/*.png) and opens the first notebook;
# no news feed, no update check, and no question about them: jupyterlab_settings/overrides.json makes "no" the
# default answer (a reader's own settings still win).
LAB_FLAGS := --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks/00_before_you_start.ipynb \
             --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
             --LabApp.app_settings_dir=jupyterlab_settings

.PHONY: venv browser-deps lab test unit lint execute portability pythons platforms lock gpu-check bench seed-bench images html clean

venv: $(STAMP)

# scripts/find_python.sh picks a supported Python (3.11-3.13) or stops here, before installing anything.
$(STAMP): pyproject.toml constraints.txt
	@python="$$(scripts/find_python.sh)" || exit 1; \
	if ! $(BIN)/python -c "" 2>/dev/null || ! PYTHON=$(BIN)/python scripts/find_python.sh >/dev/null 2>&1; then \
	  echo "creating $(VENV) with $$python"; rm -rf $(VENV); "$$python" -m venv $(VENV) || exit 1; \
	fi
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e .
	@touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --no-browser --ip=127.0.0.1 --port=$(PORT) $(LAB_FLAGS) $(ROOT_FLAG)

test: $(STAMP) browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Debian's Chromium for the real-browser tests, installed where it is missing and possible.
browser-deps:
	@scripts/ensure_chromium.sh

unit: $(STAMP)
	$(BIN)/python -m pytest tests -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check

execute: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py $(NB)

portability: $(STAMP)
	$(BIN)/python scripts/portability.py $(VARIANTS)

pythons: $(STAMP)
	$(BIN)/python scripts/pythons.py

platforms: $(STAMP)
	$(BIN)/python scripts/platforms.py

lock: $(STAMP)
	$(BIN)/python scripts/platforms.py --lock

gpu-check: $(STAMP)
	$(BIN)/python scripts/gpu_check.py

bench: $(STAMP)
	$(BIN)/python scripts/bench.py $(NB)

seed-bench: $(STAMP)
	$(BIN)/python scripts/seed_bench.py

images: $(STAMP)
	$(BIN)/python scripts/make_images.py

html: $(STAMP)
	$(BIN)/python scripts/render_html.py

clean:
	rm -rf output build

# Every ignored output (tests/ignored_outputs.toml): how many, and why; --check lists disagreements with the notebooks.
.PHONY: ignored
ignored: $(STAMP)
	$(BIN)/python scripts/ignored_outputs.py
