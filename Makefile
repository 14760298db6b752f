# The two commands a reader needs:
#   make lab     set up .venv with the reader's packages, then start JupyterLab at the first notebook
#   make test    set up .venv with the maintainers' packages too, then run the whole test suite (CI runs this)
# For contributors and maintainers:
#   make unit                          the quick loop: unit, convention and config tests, no notebook runs
#   make execute [NB=notebooks/01_tensors.ipynb]  re-run notebooks in place to regenerate stored outputs
#   make portability [VARIANTS=...]    strict nbval under every emulated CPU variant, as a table
#   make pythons                       strict nbval under every supported Python uv finds, as a table
#   make lock                          re-resolve uv.lock for the four platforms; constraints.txt from it
#   make sizes                         download size of the reader's packages per platform, from uv.lock
#   make bench-setup [RUNS=3]          seconds from a fresh clone to a serving JupyterLab: uv and pip
#   make gpu-check                     on a CUDA machine: the strict suite, listing cells that differ
#   make bench / seed-bench            notebook run times; notebook 12's accuracy over 5 seeds vs SVC
#   make images / html / lint / clean

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
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

# uv sets everything up: it finds a supported Python (pyproject.toml's requires-python; PYTHON=... chooses
# one, and uv refuses one outside that range with a message naming it), creates .venv or recreates it for
# another Python, and makes it match uv.lock, reinstalling what no longer fits (the editable install of a
# moved checkout, say). It takes well under a second when nothing changed, so it runs every time.
# Where uv is not on PATH, the pinned uv is installed once into .tools/ with pip.
UV_PIN := $(shell sed -n 's/^ *"uv==\([^"]*\)",*$$/\1/p' pyproject.toml)
UV := $(or $(shell command -v uv 2>/dev/null),.tools/bin/uv)
SYNC := $(UV) sync --locked $(if $(PYTHON),--python "$(PYTHON)")

.PHONY: reader-env dev-env browser-deps lab test unit lint execute portability pythons lock sizes bench-setup \
        gpu-check bench seed-bench images html clean

.tools/bin/uv:
	python3 -m venv .tools && .tools/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_PIN)

# The reader's set only (--no-dev); --inexact keeps the maintainers' tools where `make test` installed them.
reader-env: $(UV)
	$(SYNC) --no-dev --inexact

# Both sets, exactly as locked: anything else installed into .venv is removed.
dev-env: $(UV)
	$(SYNC)

lab: reader-env
	$(BIN)/python -m jupyter lab --no-browser --ip=127.0.0.1 --port=$(PORT) $(LAB_FLAGS) $(ROOT_FLAG)

test: dev-env browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Debian's Chromium for the real-browser tests, installed where it is missing and possible.
browser-deps:
	@scripts/ensure_chromium.sh

unit: dev-env
	$(BIN)/python -m pytest tests -m "not slow" $(PYTEST_ARGS)

lint: dev-env
	$(BIN)/python -m ruff check

execute: dev-env
	$(BIN)/python scripts/execute_notebooks.py $(NB)

portability: dev-env
	$(BIN)/python scripts/portability.py $(VARIANTS)

pythons: dev-env
	$(BIN)/python scripts/pythons.py

lock: $(UV)
	$(UV) lock
	$(UV) export --frozen --all-groups --no-emit-project --no-hashes --no-annotate --no-header --quiet \
	  | cat scripts/constraints_header.txt - > constraints.txt

sizes: dev-env
	$(BIN)/python scripts/install_size.py

bench-setup: dev-env
	$(BIN)/python scripts/bench_setup.py $(RUNS)

gpu-check: dev-env
	$(BIN)/python scripts/gpu_check.py

bench: dev-env
	$(BIN)/python scripts/bench.py $(NB)

seed-bench: dev-env
	$(BIN)/python scripts/seed_bench.py

images: dev-env
	$(BIN)/python scripts/make_images.py

html: dev-env
	$(BIN)/python scripts/render_html.py

clean:
	rm -rf output build .tools

# Every ignored output (tests/ignored_outputs.toml): how many, and why; --check lists disagreements with the notebooks.
.PHONY: ignored
ignored: dev-env
	$(BIN)/python scripts/ignored_outputs.py
