# Everything installs into .venv/ at the repo root; each target sets it up on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.keras_rr-installed
# pyproject.toml has lower bounds only; the exact versions CI and `make` use are here.
CONSTRAINTS := requirements/constraints.txt
# Every extra: `docs` brings MkDocs (`make docs`); `tools` brings TensorBoard (to read runs' logs), tqdm, matplotlib, ml_collections.
EXTRAS := tensorflow,jax,torch,hub,cv,data,export,tools,docs,dev
BACKENDS ?= tensorflow jax torch
PYTEST_ARGS ?=

.PHONY: venv demo test test-fast docs api-pages clean-venv

venv: $(STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c $(CONSTRAINTS) -e ".[$(EXTRAS)]"
	# timm is a test reference only (tests/timm_reference.py). --no-deps: its torchvision
	# dependency pulls a CUDA torch and does not load beside the CPU torch we pin.
	$(PY) -m pip install -q --no-deps -c $(CONSTRAINTS) timm
	touch $(STAMP)

# The main job: statistics, baseline vs Region Rebalance on the synthetic long-tailed default.
demo: $(STAMP)
	KERAS_BACKEND=$${KERAS_BACKEND:-jax} $(PY) -m keras_rr.tools.demo $(DEMO_ARGS)

# The whole suite on every backend; fails if any backend fails.
test: $(STAMP)
	@status=0; for b in $(BACKENDS); do \
	  echo "=== KERAS_BACKEND=$$b"; \
	  KERAS_BACKEND=$$b $(PY) -m pytest -q -n 2 -p no:cacheprovider --durations=15 $(PYTEST_ARGS) tests || status=1; \
	done; exit $$status

# The documentation site, offline and in strict mode (a broken link, reference or docstring
# fails), into site/ (gitignored). `python -m http.server -d site` serves it.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir site

# Rewrites docs/api/*.md after a public name is added to a namespace (tests/test_docs.py
# fails while they are out of date).
api-pages: $(STAMP)
	KERAS_BACKEND=$${KERAS_BACKEND:-jax} $(PY) scripts/api_pages.py

clean-venv:
	rm -rf $(VENV)
