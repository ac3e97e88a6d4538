# `make run` sets up and starts the app; `make test` sets up and runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup run test bench chromium

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

setup: $(VENV)/.installed

# Browser tests drive Debian's chromium; Playwright cannot download its own browser here.
chromium:
	@command -v /usr/bin/chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

run: setup
	$(PY) -m streamlit run app.py --server.port $(PORT)

test: setup chromium
	$(PY) -m pytest

bench: setup chromium
	$(PY) benchmarks/trace_vs_keras.py
	$(PY) benchmarks/app_bench.py
