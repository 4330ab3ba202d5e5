# Two commands do all the set-up on a fresh machine:
#   make site   create .venv, install evidencekb, check kb/ and build site/
#   make test   the whole suite: lint, format and type checks, unit, CLI, HTML and browser tests
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NODE_DEPS := node_modules/.package-lock.json

.PHONY: site test check build lint serve bench clean

site: $(INSTALLED)
	$(BIN)/ekb check
	$(BIN)/ekb build

test: $(INSTALLED) $(NODE_DEPS) lint
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

# axe-core, for the accessibility tests; versions pinned by package-lock.json.
$(NODE_DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

clean:
	rm -rf site .site.ekb-index $(VENV) node_modules bench/out .pytest_cache .ruff_cache
