# Entry points for people: `make demo`, `make test`, `make lint`, `make bench`.
# Each sets up what it needs on a fresh machine with only python3 (>= 3.11).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean install lock

install: $(STAMP)

# Dependencies come pinned from requirements.lock (the tested set), the project itself last.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Re-resolve the dependencies of pyproject.toml in a clean environment and pin them.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet '.[dev]'
	{ echo '# Pinned, tested set of every package `make` installs (runtime + dev).'; \
	  echo '# Regenerate with `make lock` after changing dependencies in pyproject.toml.'; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | grep -vi '^aduan'; } > requirements.lock
	rm -rf .lock-venv

demo: $(STAMP)
	$(BIN)/aduan-sync demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check aduan_sync tests benchmarks
	$(BIN)/mypy aduan_sync

# Not part of the tests; about 9 minutes. BENCH_ARGS="--help" lists the options. Right after
# `make test` on this VM's disk, add --settle 360 (see benchmarks/disk.py) for steady figures.
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache .mypy_cache .ruff_cache
