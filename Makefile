# landclear — the two commands a user needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
OUT ?= out
# Debian packages: a CJK font (maps, charts, PDFs), Pango/HarfBuzz (WeasyPrint's PDF
# rendering), Chromium (browser tests), PostgreSQL + PostGIS (database tests), poppler
# (PDF text checks).
PDF_DEBS := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
DEMO_DEBS := $(PDF_DEBS)
TEST_DEBS := $(PDF_DEBS) chromium postgresql postgresql-15-postgis-3 poppler-utils
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint bench install install-test system-deps-demo system-deps-test notebooks clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PIP) install -q -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

define apt_install
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

system-deps-demo:
	$(call apt_install,$(DEMO_DEBS))

system-deps-test:
	$(call apt_install,$(TEST_DEBS))

demo: system-deps-demo $(VENV)/.installed
	$(VENV)/bin/landclear demo --out $(OUT)

test: system-deps-test $(VENV)/.installed-test
	$(PY) -m pytest -q

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check landclear tests benchmarks shapefiles

bench: $(VENV)/.installed-test
	$(PY) benchmarks/run.py

notebooks: $(VENV)/.installed-test
	$(PY) -m pytest -q tests/test_notebooks.py

clean:
	rm -rf $(OUT) .pytest_cache
