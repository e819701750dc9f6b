# Two set-up commands: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
GATESIM_PORT ?= 9100
# With no DATABASE_URL / REDIS_URL, an embedded PostgreSQL and Redis from pinned wheels
# (tools/devservices.py); with them set, those servers.
DEV := $(PY) -m tools.devservices exec --

.PHONY: run link test install lint format messages bench bench-scale migrate clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	mkdir -p var/static
	$(DEV) $(PY) manage.py migrate --noinput

# The demo's printed links and the API's absolute URLs point at the server just started.
# tools/devservices.py: migrate, seed (`seed_demo`, the demo/ app: docs/demo.md), then the
# portal, a Celery worker with beat and the gate simulator (docs/gatesim.md); Ctrl-C stops
# them all.
run: export PORTAL_BASE_URL ?= http://$(HOST):$(PORT)
run: export DEMO_GATESIM_URL ?= http://127.0.0.1:$(GATESIM_PORT)
run: install
	mkdir -p var/static
	$(PY) -m tools.devservices demo --host $(HOST) --port $(PORT) --gatesim-port $(GATESIM_PORT)

# A one-click rider link for the server `make run` started (its port), valid 10 minutes,
# signed with the demo platform's key (demo/riders.py):
# make link [RIDER=R124] [NAME=韩梅梅] [GATE=<entry code>]
RIDER ?= R124
NAME ?= 韩梅梅
link: export PORTAL_BASE_URL ?= $(shell cat var/run-url 2>/dev/null || echo http://$(HOST):$(PORT))
link: install
	@$(DEV) $(PY) manage.py platform_assertion --platform demo --rider-id "$(RIDER)" --name "$(NAME)" \
	  $(if $(GATE),--gate "$(GATE)")

test: install
	mkdir -p var/static
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(DEV) sh -c '$(PY) manage.py makemigrations --check --dry-run && \
	  env -u DJANGO_SETTINGS_MODULE $(VENV)/bin/pytest $(PYTEST_ARGS)'

lint: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: install
	$(DEV) $(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=var
	$(DEV) $(PY) manage.py makemessages -d djangojs -l zh_Hans -l en --ignore=.venv --ignore=var --ignore=static/vendor
	$(DEV) $(PY) manage.py compilemessages --ignore=.venv

# Every benchmark and load generator is in bench/ (docs/benchmarks.md).
bench: install
	$(DEV) $(PY) -m bench.run $(BENCH_ARGS)

# Every bench scenario on the demo data and on 1,000,000 riders / 10,000 communities /
# 5,000,000 events (generated once, kept), with the ratios; SCALE=small for a quick set.
bench-scale: install
	$(DEV) $(PY) -m bench.scale.run $(BENCH_ARGS)

clean:
	-$(PY) -m tools.devservices stop
	rm -rf var
