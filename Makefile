# Two commands matter: `make run` and `make test`. Both create .venv and install on first use,
# and are quick no-ops for the set-up part afterwards.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: install index run test bench eval clean-index

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

index: install
	$(VENV)/bin/qa index

run: index
	$(PY) app.py

test: install
	$(PY) -m pytest

eval: install
	$(VENV)/bin/qa eval

# make bench BENCH_ARGS=--quick: seeds + scaling to 10k only (a few minutes instead of ~15)
bench: install
	$(PY) bench/run_all.py $(BENCH_ARGS)

clean-index:
	rm -rf index/chroma index/manifest.json index/.lock
