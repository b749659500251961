# make run   - install, migrate, seed demo data, serve the portal with a Celery worker and beat
# make test  - install, then run the whole suite on PostgreSQL and Redis
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/billing_portal
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test soak bench deps system-deps check-services messages clean

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
	mkdir -p var
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py seed_demo
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(VENV)/bin/honcho start -f Procfile.dev

check-services:
	@$(PY) scripts/check_services.py "$(TEST_DATABASE_URL)" "$(TEST_REDIS_URL)"

test: $(VENV)/.dev
	$(MAKE) --no-print-directory system-deps EXTRA_DEBIAN_PACKAGES="chromium poppler-utils"
	@$(MAKE) --no-print-directory check-services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest
	DJANGO_DEBUG=false SECRET_KEY=check-deploy-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	  ALLOWED_HOSTS=portal.example DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  $(PY) manage.py check --deploy --fail-level WARNING
	DJANGO_DEBUG=true DATABASE_URL=$(TEST_DATABASE_URL) $(PY) manage.py makemigrations --check --dry-run

# make bench: seed a large PostgreSQL database (bench_portal), load every page with gunicorn and wrk,
# print the table (docs/performance.md)
BENCH_ARGS ?= --scale-out

bench: deps
	$(MAKE) --no-print-directory system-deps EXTRA_DEBIAN_PACKAGES="wrk postgresql-client"
	@$(MAKE) --no-print-directory check-services
	$(PY) bench/run.py $(BENCH_ARGS)

soak: $(VENV)/.dev
	@$(MAKE) --no-print-directory check-services
	$(PY) scripts/soak.py

messages: $(VENV)/.runtime
	for app in accounts quotes invoices; do (cd $$app && ../$(PY) ../manage.py makemessages -l de --no-obsolete); done
	(DJANGO_DEBUG=true $(PY) manage.py makemessages -l de --no-obsolete --ignore=.venv --ignore=accounts --ignore=quotes --ignore=invoices)
	DJANGO_DEBUG=true $(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var staticfiles
