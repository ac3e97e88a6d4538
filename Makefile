# `make run` sets up and starts the app; `make test` sets up and runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
PORT ?= 8501
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup setup-test run test bench chromium

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.app-installed: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-installed: $(VENV)/.app-installed requirements-test.txt requirements-nodeps.txt
	$(PIP) install --quiet -r requirements-test.txt
	$(PIP) install --quiet --no-deps -r requirements-nodeps.txt
	touch $@

setup: $(VENV)/.app-installed
setup-test: $(VENV)/.test-installed

# Browser tests drive Debian's chromium; Playwright cannot download its own browser here.
chromium:
	@command -v /usr/bin/chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

run: setup
	$(PY) -m streamlit run app.py --server.port $(PORT)

test: setup-test chromium
	$(PY) -m pytest

bench: setup-test chromium
	$(PY) benchmarks/trace_vs_keras.py
	$(PY) benchmarks/app_bench.py
