# `make run` sets up and starts the app; `make serve` serves it to a class; `make test` sets up and runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
PORT ?= 8501
# make serve: Streamlit processes behind nginx (one per core), and the address nginx listens on.
PROCESSES ?= 2
ADDRESS ?= 0.0.0.0
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup setup-test run serve test bench chromium nginx postgres poppler i18n fonts

# uv installs the packages into the venv: on 2 cores about 10 s for the test tools, against 70 s
# with pip. It does not byte-compile the 3 GB it installs (pip does, one file at a time): a module
# is compiled when it is first imported, and `make test` keeps what it compiled, so only the few
# thousand modules the app and the tests import are ever compiled (about 10 CPU-s, against 40 for
# all of them). It reads pip's find-links (local wheels, such as a CPU-only torch) from pip's
# environment and config.
# Compiled modules are kept (PYTHONDONTWRITEBYTECODE, set on some machines, is cleared): the app, the
# tests and the hundreds of Python processes they start would otherwise compile TensorFlow, NumPy
# and gruviz again each time.
KEEP_COMPILED := env -u PYTHONDONTWRITEBYTECODE
UV_VERSION := 0.13.9
FIND_LINKS := $(sort $(PIP_FIND_LINKS) $(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null))
UV := $(VENV)/bin/uv pip install --quiet --python $(PY) $(foreach dir,$(FIND_LINKS),--find-links $(dir))

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/bin/uv: | $(PY)
	$(PIP) install --quiet uv==$(UV_VERSION)

$(VENV)/.app-installed: requirements.txt | $(VENV)/bin/uv
	$(UV) -r requirements.txt
	touch $@

$(VENV)/.test-installed: $(VENV)/.app-installed requirements-test.txt requirements-nodeps.txt
	$(UV) -r requirements-test.txt
	$(UV) --no-deps -r requirements-nodeps.txt
	touch $@

# The translations: gettext catalogues (.po, kept in git) compiled to the .mo files the app reads.
CATALOGUES := $(wildcard gruviz/locale/*/LC_MESSAGES/gruviz.po)
COMPILED := $(CATALOGUES:.po=.mo)
%.mo: %.po | $(VENV)/.app-installed
	@$(VENV)/bin/pybabel compile --statistics -i $< -o $@

setup: $(VENV)/.app-installed $(COMPILED)
setup-test: $(VENV)/.test-installed $(COMPILED)

# make i18n: collect every marked sentence into gruviz/locale/gruviz.pot and merge it into each
# language's catalogue; new sentences arrive untranslated (tests/test_translations.py says which).
i18n: $(VENV)/.app-installed
	$(VENV)/bin/pybabel extract -F babel.cfg --ignore-dirs ".* ._ node_modules test-output tests" --sort-by-file \
		--project gruviz --no-wrap -o gruviz/locale/gruviz.pot .
	$(VENV)/bin/pybabel update -i gruviz/locale/gruviz.pot -d gruviz/locale -D gruviz --no-wrap --ignore-obsolete
	$(MAKE) $(COMPILED)

# Browser tests drive Debian's chromium; Playwright cannot download its own browser here.
chromium:
	@command -v /usr/bin/chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

# make serve runs Debian's nginx from its own run directory; nothing under /etc is used.
nginx:
	@[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nginx; }

# The class tests start their own PostgreSQL servers from Debian's binaries (tests/class_db.py);
# the clusters the package itself makes are not used.
# The worksheet tests render PDF pages to PNG with Debian's pdftoppm (poppler-utils).
poppler:
	@command -v pdftoppm >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq poppler-utils; }

# Chinese worksheets need a font with its glyphs: Debian's WenQuanYi Micro Hei (fonts-wqy-microhei, 5 MB).
fonts:
	@[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq fonts-wqy-microhei; }

postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq postgresql; }

# The runner is `streamlit run` that starts TensorFlow's import with the server (deploy/streamlit_failover.py).
run: setup fonts
	$(KEEP_COMPILED) $(PY) deploy/streamlit_failover.py run app.py --server.port $(PORT)

# POSTGRES=1: start a local PostgreSQL (Debian's) for the processes' class data; GRUVIZ_DATABASE_URL
# set in the environment is passed on instead; neither: SQLite in data/.
POSTGRES ?=
serve: setup nginx $(if $(POSTGRES),postgres)
	$(KEEP_COMPILED) $(PY) deploy/serve.py --processes $(PROCESSES) --listen $(ADDRESS):$(PORT) $(if $(POSTGRES),--postgres)

# The browser tests' accessibility checks inject axe-core, pinned in package.json and package-lock.json.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# -n auto: one worker per core; --dist loadfile keeps a file's tests (and its one app) on one worker.
# --no-loadscope-reorder: files are handed out in the order tests/conftest.py sorts them (the long
# browser and server files first), not by how many tests each holds, which left the one-test
# browser files, the longest, to the end of the run.
test: setup-test chromium nginx postgres poppler fonts node_modules/.package-lock.json
	$(KEEP_COMPILED) $(PY) -m pytest -n auto --dist loadfile --no-loadscope-reorder

# The core without a browser, a framework or the page (marks set in tests/conftest.py): a
# developer's quick check, a minute or two on 2 cores.
.PHONY: test-fast
test-fast: setup-test postgres fonts
	$(KEEP_COMPILED) $(PY) -m pytest -n auto --dist loadfile --no-loadscope-reorder -m "not browser and not keras and not slow"

# make mutation: mutmut plants bugs in the core (math, layouts, parsing, detective, readers) and
# runs the fast tests of each package; prints the score per package and every surviving mutant.
# Slow (one to two hours on 2 cores): run it before a release and when the core changes, not in `make test`.
# MUTATION_PACKAGES="math layouts" limits the run (default: every package, lstm included);
# MUTATION_CHILDREN sets how many mutants run at once; MUTATION_ARGS=--survivors reruns only the
# last run's survivors against the current tests (after adding tests; the core must be unchanged).
MUTATION_PACKAGES ?=
MUTATION_CHILDREN ?= 2
MUTATION_ARGS ?=
.PHONY: mutation
$(VENV)/.mutation-installed: $(VENV)/.test-installed requirements-mutation.txt
	$(UV) -r requirements-mutation.txt
	touch $@

mutation: $(VENV)/.mutation-installed
	nice -n 19 $(PY) tools/mutation.py $(MUTATION_PACKAGES) --children $(MUTATION_CHILDREN) $(MUTATION_ARGS)

bench: setup-test chromium nginx postgres
	$(PY) benchmarks/trace_vs_keras.py
	$(PY) benchmarks/app_bench.py
	$(PY) benchmarks/step_repaint.py
	$(PY) benchmarks/load_test.py
	$(PY) benchmarks/class_load.py
	$(PY) benchmarks/first_start.py
