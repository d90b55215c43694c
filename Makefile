# Muster: `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# Python 3.12 or newer: the first of these that exists (pyenv's shims honour .python-version).
PYTHON ?= $(shell for p in python3.13 python3.12 python3; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { echo $$p; break; }; done)
DEV := DEBUG=true

.PHONY: help install run serve migrate demo test lint lock vendor clean bench chromium runtime-packages screenshots loadtest

help:
	@echo "make run    build the environment, load the catalog and demo data, serve on 127.0.0.1:8000"
	@echo "make test   run the whole test suite (set DATABASE_URL to run it against PostgreSQL)"
	@echo "make lint   ruff, the import contracts and the missing-migration check"
	@echo "make lock   re-resolve requirements*.txt from pyproject.toml"
	@echo "make bench  server time of the main pages and of training records for a large agency (scratch database)"
	@echo "make loadtest  50 users for 60 s on the pages, then beside report traffic (gunicorn, PostgreSQL)"
	@echo "make screenshots  pictures of the main pages and a signed report, in docs/screenshots/"

$(VENV)/.installed: requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (pyenv install 3.12)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed

migrate: install
	$(DEV) $(PY) manage.py migrate --no-input -v 0

demo: migrate runtime-packages
	$(DEV) $(PY) manage.py signing_keys
	$(DEV) $(PY) manage.py load_catalog
	$(DEV) $(PY) manage.py load_courses
	$(DEV) $(PY) manage.py seed_demo

run: demo
	@echo "Muster on http://127.0.0.1:8000 (Ctrl-C stops the server and the task worker)"
	@trap 'kill 0' EXIT; \
	$(DEV) $(PY) manage.py task_worker --reload & \
	$(DEV) $(PY) manage.py recover_reports --every 60 & \
	$(DEV) $(PY) manage.py send_notifications --every 60 & \
	$(DEV) $(PY) manage.py runserver 127.0.0.1:8000

# Debian packages the project needs, installed here when absent (never by hand):
# HarfBuzz's font subsetter, which WeasyPrint uses instead of the far slower fontTools when it is
# there; the browser the browser tests drive (never one Playwright downloads); pdftoppm, which
# turns the signed report into the pictures of `make screenshots`.
RUNTIME_PACKAGES := libharfbuzz-subset0
TEST_PACKAGES := chromium poppler-utils

define apt_ensure
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Muster needs these Debian packages: sudo apt-get install $$missing"; exit 1; fi; fi
endef

runtime-packages:
	$(call apt_ensure,$(RUNTIME_PACKAGES))

chromium: runtime-packages
	$(call apt_ensure,$(TEST_PACKAGES))

test: install chromium
	$(PY) -m pytest $(PYTEST_ARGS)

# Screenshots of the main pages (desktop and phone) and a signed report, into docs/screenshots/.
screenshots: install chromium
	$(PY) docs/screenshots.py

# Every bench runs even when one misses a target; the status is the worst of them.
bench: install runtime-packages
	@status=0; for bench in run training exercises notifications; do \
		$(PY) bench/$$bench.py || status=1; done; exit $$status

# Needs a PostgreSQL server where the muster role may create databases (LOADTEST_POSTGRES).
loadtest: install
	$(PY) bench/loadtest.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(DEV) $(PY) manage.py makemigrations --check --dry-run

lock: install
	$(BIN)/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.txt pyproject.toml
	$(BIN)/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --extra dev -c requirements.txt -o requirements-dev.txt pyproject.toml

# Re-vendor Bootstrap and htmx from their npm packages into static/vendor/ (committed).
vendor:
	@tmp=$$(mktemp -d); cd $$tmp && npm pack --silent bootstrap@5.3 htmx.org@2 >/dev/null && \
	for f in *.tgz; do mkdir -p $${f%.tgz} && tar -xzf $$f -C $${f%.tgz}; done && cd - >/dev/null && \
	cp $$tmp/bootstrap-*/package/dist/css/bootstrap.min.css* $$tmp/bootstrap-*/package/dist/js/bootstrap.bundle.min.js* $$tmp/bootstrap-*/package/LICENSE static/vendor/bootstrap/ && \
	cp $$tmp/htmx.org-*/package/dist/htmx.min.js $$tmp/htmx.org-*/package/LICENSE static/vendor/htmx/ && \
	ls $$tmp | grep -v tgz | sed 's/-\([0-9]\)/ \1/' > static/vendor/VERSIONS; rm -rf $$tmp

clean:
	rm -rf $(VENV) staticfiles
