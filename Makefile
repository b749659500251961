# make run         - install, migrate, seed demo data, serve the portal with a Celery worker and beat
#                    (PORT=8000; an embedded PostgreSQL under var/ unless DATABASE_URL is set)
# make test        - install, lint, then run the whole suite on PostgreSQL and Redis
# make reset-demo  - forget the embedded database, stored PDFs and queued tasks of `make run`
# make screenshots - the main pages in English and German at 1280 and 375 px wide, into docs/screenshots/
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/billing_portal
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
PORT ?= 8000

.PHONY: run reset-demo lint test soak bench deps system-deps check-services messages clean screenshots

$(VENV)/.runtime: requirements.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

deps: $(VENV)/.runtime

system-deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES) $(EXTRA_DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "WeasyPrint needs Debian packages. Run: sudo apt-get install -y $$missing" >&2; exit 1; fi; \
	fi

run: deps system-deps
	@mkdir -p var/broker var/broker-processed var/broker-control
	@set -e; \
	if [ -z "$$DATABASE_URL" ]; then \
	  DATABASE_URL=$$($(PY) scripts/dev_postgres.py start); export DATABASE_URL; \
	  trap '$(PY) scripts/dev_postgres.py stop' EXIT INT TERM; \
	fi; \
	export DJANGO_DEBUG=$${DJANGO_DEBUG:-true} PORTAL_URL=$${PORTAL_URL:-http://127.0.0.1:$(PORT)}; \
	$(PY) manage.py migrate --noinput; \
	$(PY) manage.py seed_demo; \
	echo "Serving $$PORTAL_URL/ with a Celery worker and beat. Stop with Ctrl+C; start again from empty demo data with: make reset-demo run"; \
	$(VENV)/bin/honcho start -f Procfile.dev -p $(PORT)

reset-demo: deps
	$(PY) scripts/dev_postgres.py stop
	rm -rf var/postgres var/media var/broker var/broker-processed var/broker-control

check-services:
	@$(PY) scripts/check_services.py "$(TEST_DATABASE_URL)" "$(TEST_REDIS_URL)"

# make lint: ruff's checks and formatting (pyproject.toml); the same as the pre-commit hooks
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: $(VENV)/.dev
	@$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory system-deps EXTRA_DEBIAN_PACKAGES="chromium poppler-utils"
	@$(MAKE) --no-print-directory check-services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest
	DJANGO_DEBUG=false SECRET_KEY=check-deploy-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	  ALLOWED_HOSTS=portal.example PORTAL_URL=https://portal.example DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  $(PY) manage.py check --deploy --fail-level WARNING
	DJANGO_DEBUG=true DATABASE_URL=$(TEST_DATABASE_URL) $(PY) manage.py makemigrations --check --dry-run

# make bench: seed two PostgreSQL databases (bench_portal at the present scale, bench_portal_x5 at five
# times it), load every page at both with gunicorn and wrk, print the tables (docs/performance.md)
BENCH_ARGS ?= --scale-out

bench: $(VENV)/.dev
	$(MAKE) --no-print-directory system-deps EXTRA_DEBIAN_PACKAGES="wrk postgresql-client"
	@$(MAKE) --no-print-directory check-services
	$(PY) bench/run.py $(BENCH_ARGS)

soak: $(VENV)/.dev
	@$(MAKE) --no-print-directory check-services
	$(PY) scripts/soak.py

screenshots: $(VENV)/.dev
	$(MAKE) --no-print-directory system-deps EXTRA_DEBIAN_PACKAGES="chromium"
	@$(MAKE) --no-print-directory check-services
	SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  $(PY) -m pytest billing_portal/tests/test_screenshots.py -q

messages: $(VENV)/.runtime
	for app in accounts quotes invoices; do (cd $$app && ../$(PY) ../manage.py makemessages -l de --no-obsolete); done
	(DJANGO_DEBUG=true $(PY) manage.py makemessages -l de --no-obsolete --ignore=.venv --ignore=accounts --ignore=quotes --ignore=invoices)
	DJANGO_DEBUG=true $(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var staticfiles
