# SPDX-License-Identifier: EUPL-1.2
# `make dev` and `make test` do every set-up step themselves, idempotently, from a fresh clone.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: help install dev test lint test-contracts browser-deps bench clean

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  \033[1m%-16s\033[0m %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed ## Install the Python venv and npm packages (idempotent)
	$(BIN)/heitje compile

browser-deps: ## Install Debian's chromium and chromium-driver for the browser tests (idempotent)
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

dev: install ## Start chain, deploy, migrate, seed, API, relayer and indexer; prints the URLs
	$(BIN)/heitje dev

lint: install ## ruff (lint + format), mypy and solhint
	$(BIN)/ruff check heitje backend indexer tests scripts
	$(BIN)/ruff format --check heitje backend indexer tests scripts
	$(BIN)/mypy
	node_modules/.bin/solhint --max-warnings 0 "contracts/**/*.sol"

test: install browser-deps lint ## Every check: lint, contracts, relayer, indexer, API, browser, bench smoke
	$(BIN)/pytest $(PYTEST_ARGS)

test-contracts: install ## Only the contract tests
	$(BIN)/pytest tests/contracts $(PYTEST_ARGS)

bench: install ## Full benchmark run (prints a table; see docs/performance.md)
	$(BIN)/heitje bench

clean: ## Remove build output and local data (not the venv)
	rm -rf build .data .pytest_cache .hypothesis
