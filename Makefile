# Two commands do all the set-up on a fresh machine:
#   make site   create .venv, install evidencekb, check kb/ and build site/
#   make test   the whole suite: lint, format and type checks, unit, CLI, HTML and browser tests
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NODE_DEPS := node_modules/.package-lock.json

.PHONY: site test check build lint serve bench clean node-deps

site: $(INSTALLED)
	$(BIN)/ekb check
	$(BIN)/ekb build
	@echo "Open file://$(CURDIR)/site/index.html in a browser, or run 'make serve' and visit http://127.0.0.1:8000/"

test: $(INSTALLED) node-deps lint
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

check: $(INSTALLED)
	$(BIN)/ekb check

serve: site
	$(BIN)/ekb serve

bench: $(INSTALLED)
	$(BIN)/python bench/relevance.py ../shared/data/scifact --qrels ../shared/data/scifact/qrels/train.tsv --run bench/out/scifact.trec
	$(BIN)/python bench/search_speed.py
	$(BIN)/python bench/site_bench.py

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# axe-core, for the accessibility tests; versions pinned by package-lock.json. Outside
# CI a machine without npm goes on without it, and the browser tests that need it skip
# (tests/browser/conftest.py); in CI (CI=true) a missing npm fails here.
node-deps:
	@if command -v npm >/dev/null 2>&1 || [ "$$CI" = "true" ]; then \
		$(MAKE) --no-print-directory $(NODE_DEPS); \
	else \
		echo "npm not found: skipping axe-core, so the browser tests that need it will skip (apt-get install npm to run them)"; \
	fi

$(NODE_DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

clean:
	rm -rf site .site.ekb-index $(VENV) node_modules bench/out .pytest_cache .ruff_cache
