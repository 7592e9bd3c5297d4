# zerogo: `make play` to play against the engine, `make test` to run the test suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: play test setup warm lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch first, pinned, so pip takes the local CPU build instead of a multi-GB CUDA one
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install torch==2.13.0
	$(PY) -m pip install -e ".[dev,fast,dist,vision]"
	touch $(STAMP)

warm: setup
	$(PY) scripts/warm_kernels.py

play: warm
	$(VENV)/bin/zerogo play

test: warm
	$(PY) -m pytest -n 2 --dist loadfile --durations=15

lint: setup
	$(VENV)/bin/ruff check engine zerogo gui selfplay trainer nn scripts tests
	$(VENV)/bin/mypy engine zerogo nn trainer selfplay gui

bench: warm
	$(VENV)/bin/zerogo bench playouts --size 9 --threads 1 --seconds 5 --json

clean:
	rm -rf $(VENV) build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
