# Trygg: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TRYGG_DATA_DIR ?= var

# Third-party packages come from the lock files (`make lock` makes them again from the
# pyproject files); the project's own packages are installed on top with --no-deps.
LOCAL_PACKAGES := --no-emit-package trygg --no-emit-package trygg-client --no-emit-package trygg-desktop
LOCK_FLAGS := --universal --python-version 3.11 --quiet --custom-compile-command "make lock"

.PHONY: run test lint bench install lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): requirements-dev.lock pyproject.toml clients/python/pyproject.toml clients/desktop/pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e ".[test,bench]" -e clients/python -e "clients/desktop[test]"
	@$(BIN)/pip check || { echo "The lock files do not match the pyproject files: run 'make lock'."; exit 1; }
	touch $(STAMP)

install: $(STAMP)

# A lock file left with merge conflict markers is made again from scratch; otherwise the
# versions already locked are kept where they still fit.
lock: | $(BIN)/python
	$(BIN)/pip install --quiet "uv>=0.5,<1"
	@for f in requirements.lock requirements-dev.lock; do \
		if grep -qE '^(<<<<<<<|=======|>>>>>>>)' $$f 2>/dev/null; then rm $$f; fi; done
	$(BIN)/uv pip compile $(LOCK_FLAGS) pyproject.toml $(LOCAL_PACKAGES) -o requirements.lock
	$(BIN)/uv pip compile $(LOCK_FLAGS) requirements-dev.in --constraint requirements.lock \
		$(LOCAL_PACKAGES) -o requirements-dev.lock

# The demo's passwords are public: `trygg demo` loads them only in development.
run: export TRYGG_ENVIRONMENT ?= development
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
