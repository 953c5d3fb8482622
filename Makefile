# Twinning: the two commands are `make run` and `make test` (see README.md).

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV   ?= .venv
PY     := $(VENV)/bin/python
# Two install stamps: running needs requirements.txt only; tests, lint and the load test need
# requirements-dev.txt (pytest, Playwright, schemathesis, Locust) as well.
RUNTIME_STAMP := $(VENV)/.installed-runtime
STAMP  := $(VENV)/.installed-dev
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv run test lint fmt migrations-check check clean messages bench loadtest

help:
	@echo "make run               create .venv and .env, install the runtime requirements, migrate, load demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test              create .venv, install the development requirements, run the test suite on every core (PYTEST_ARGS='-k login' to narrow, PYTEST_WORKERS=0 for one process)"
	@echo "make venv              create .venv and .env, install the development requirements"
	@echo "make lint              ruff check + ruff format --check"
	@echo "make fmt               ruff format + ruff check --fix"
	@echo "make migrations-check  fail if models changed without a migration"
	@echo "make messages          update locale/en/LC_MESSAGES/django.po from the source and compile django.mo (needs GNU gettext)"
	@echo "make bench             build BENCH_BRANCHES (200000) branches on DATABASE_URL (required) and print the timings (docs/performance.md)"
	@echo "make loadtest          Locust month-end load against gunicorn + PostgreSQL + Redis on loopback (loadtest/run.sh)"

# .env comes with the virtualenv: any target that uses .venv writes it when it is missing.
$(PY): | .env
	@test -n "$(PYTHON)" || { echo "Python 3.11+ not found (python3.11 or python3)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Development settings for every command run from this checkout (twinning/settings.py reads .env;
# variables set in the real environment win). Written once, never overwritten; git-ignored.
.env:
	@test -n "$(PYTHON)" || { echo "Python 3.11+ not found (python3.11 or python3)"; exit 1; }
	@umask 077 && printf '%s\n' \
		'# Development settings for this checkout, written by make (git-ignored). Production sets' \
		'# SECRET_KEY, DEBUG and the rest in its own environment (README: Production).' \
		'DEBUG=1' \
		"SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" >$@
	@echo "Wrote .env: DEBUG=1 and a generated SECRET_KEY for development."

# Reinstall only when a requirements file changed.
$(RUNTIME_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -r requirements.txt
	@touch $@

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -r requirements-dev.txt
	@touch $@ $(RUNTIME_STAMP)

venv: $(STAMP)

# Demo data is loaded on the first run only (when the demo accounts are missing);
# seed_demo prints the demo logins, later runs print them from DEMO_LOGINS below.
run: export DEBUG = 1
run: $(RUNTIME_STAMP) .env
	$(PY) manage.py migrate --noinput
	@if $(PY) manage.py shell -v 0 -c "import sys; from django.contrib.auth import get_user_model; sys.exit(0 if get_user_model().objects.filter(username='staff_city').exists() else 1)" 2>/dev/null; then \
		echo "Demo data already loaded."; printf '%s\n' "$$DEMO_LOGINS"; \
	else \
		echo "Loading demo data (first run)..."; $(PY) manage.py seed_demo; \
	fi
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	$(PY) manage.py runserver $(HOST):$(PORT)

# Parallel test workers (pytest-xdist), one per core; PYTEST_WORKERS=0 runs in a single process.
PYTEST_WORKERS ?= auto
test: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: export DEBUG = 1
migrations-check: $(RUNTIME_STAMP)
	$(PY) manage.py makemigrations --check --dry-run

check: export DEBUG = 1
check: $(RUNTIME_STAMP)
	$(PY) manage.py check

# Translations (docs/i18n.md): collect new strings into the English catalogue, then compile it.
messages: export DEBUG = 1
messages: $(RUNTIME_STAMP)
	$(PY) manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=node_modules --ignore=static --ignore=staticfiles --ignore=artifacts --ignore=tests --ignore=.test-media
	msgfmt --check --statistics -o locale/en/LC_MESSAGES/django.mo locale/en/LC_MESSAGES/django.po

# Performance (docs/performance.md). bench uses DATABASE_URL (PostgreSQL for real figures).
BENCH_BRANCHES ?= 200000
BENCH_ARGS ?=
bench: export DEBUG = 1
bench: $(RUNTIME_STAMP)
	$(PY) manage.py bench --branches $(BENCH_BRANCHES) $(BENCH_ARGS)

# DATABASE_URL/REDIS_URL are used when set, else loadtest/run.sh starts throwaway PostgreSQL 15 and
# Redis on loopback. LOADTEST_USERS (100), LOADTEST_TIME (5m), LOADTEST_BRANCHES (20000).
loadtest: $(STAMP)
	bash loadtest/run.sh

clean:
	rm -rf .pytest_cache .ruff_cache .hypothesis .test-media artifacts
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

define DEMO_LOGINS
Demo logins (password for all: Twinning@2024):
  staff_city           组织部工作人员  信阳市
  staff_county         组织部工作人员  商城县
  leader_city          领导            信阳市
  leader_county        领导            商城县
  secretary_helper     支部书记        an organ (机关) branch in 商城县
  secretary_partner    支部书记        a village (农村) branch in 商城县
  community_secretary  社区党组织书记  a community in 平桥区
  member               在职党员        self (a branch of 市委办公室)
(.venv/bin/python manage.py seed_demo prints them again with names and branches.)
endef
export DEMO_LOGINS
