# Trygg: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TRYGG_DATA_DIR ?= var

.PHONY: run test lint bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml clients/python/pyproject.toml clients/desktop/pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,bench]" -e clients/python -e "clients/desktop[test]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/trygg db upgrade
	$(BIN)/trygg demo --if-empty
	@echo "Serving on http://127.0.0.1:8000 (API docs: http://127.0.0.1:8000/docs)"
	TRYGG_API_DOCS=$${TRYGG_API_DOCS:-1} $(BIN)/trygg serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check app tests bench clients

bench: $(STAMP)
	$(BIN)/python bench/fanout.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
